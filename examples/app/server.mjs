#!/usr/bin/env node
// The example pods' application container. It uses each pattern the way an ordinary app would:
// serves files that git-sync keeps current, stores data through the Redis ambassador on
// localhost, emits StatsD with hot-shots and exposes its own counters as JSON stats.
//
// Everything is optional and set by environment, so one image plays the app in every example:
//   PORT=8080               HTTP port
//   CONTENT_DIR=/content/site   serve GET / and /content/* from here (git-sync's link)
//   REDIS_URL=redis://127.0.0.1:6379   enable /kv/<key> (GET reads, PUT/POST writes)
//   STATSD_HOST=127.0.0.1 STATSD_PORT=9125   emit StatsD (UDP) for every request
//   STATS_PREFIX=shop       prefix of the StatsD names

import { createServer } from 'node:http'
import { readFile, realpath } from 'node:fs/promises'
import { join, normalize, basename } from 'node:path'
import StatsD from 'hot-shots'
import { Redis } from 'ioredis'

const port = Number(process.env.PORT ?? 8080)
const contentDir = process.env.CONTENT_DIR ?? ''
const prefix = process.env.STATS_PREFIX ?? 'shop'
const startedAt = Date.now()

const stats = { requests: 0, errors: 0, orders: 0, kvReads: 0, kvWrites: 0 }

const statsd = process.env.STATSD_HOST
  ? new StatsD({
    host: process.env.STATSD_HOST,
    port: Number(process.env.STATSD_PORT ?? 9125),
    prefix: `${prefix}.`,
    errorHandler: (err) => { log('warn', 'statsd send failed', { err: err.message }) }
  })
  : undefined

const redis = process.env.REDIS_URL
  ? new Redis(process.env.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 3, enableOfflineQueue: true })
  : undefined
redis?.on('error', (err) => { log('warn', 'redis error', { err: err.message }) })

function log (level, msg, extra = {}) {
  process.stdout.write(JSON.stringify({ level, time: new Date().toISOString(), msg, ...extra }) + '\n')
}

function send (res, status, body, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
}

async function readBody (req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

async function serveContent (res, rel) {
  if (contentDir === '') return send(res, 404, 'no CONTENT_DIR configured\n')
  const file = normalize(join('/', rel === '' ? 'index.html' : rel))
  try {
    // The link's target is the synced commit: report it, as consumers of git-sync do.
    const target = await realpath(contentDir)
    const body = await readFile(join(target, file))
    res.setHeader('x-content-commit', basename(target))
    send(res, 200, body, file.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8')
  } catch (err) {
    send(res, 404, `not synced yet or missing: ${file} (${err.code ?? err.message})\n`)
  }
}

const server = createServer((req, res) => {
  const t0 = process.hrtime.bigint()
  const url = new URL(req.url ?? '/', 'http://app')
  stats.requests++
  const route = url.pathname.split('/')[1] || 'root'
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    statsd?.increment('http.requests', 1, { route, status: String(res.statusCode) })
    statsd?.timing('http.duration', ms, { route })
    if (res.statusCode >= 500) stats.errors++
  })
  handle(req, res, url).catch((err) => {
    log('error', 'request failed', { err: err.message, path: url.pathname })
    if (!res.headersSent) send(res, 500, `error: ${err.message}\n`)
    else res.destroy()
  })
})

async function handle (req, res, url) {
  const path = url.pathname
  if (path === '/healthz') return send(res, 200, 'ok\n')
  if (path === '/stats.json') {
    return send(res, 200, JSON.stringify({ ...stats, uptimeSeconds: (Date.now() - startedAt) / 1000 }), 'application/json')
  }
  if (path === '/order' && req.method === 'POST') {
    stats.orders++
    statsd?.increment('orders', 1, { channel: url.searchParams.get('channel') ?? 'web' })
    statsd?.gauge('orders.last_value', Number(url.searchParams.get('value') ?? 1))
    return send(res, 200, `order ${stats.orders}\n`)
  }
  if (path.startsWith('/kv/')) {
    if (!redis) return send(res, 404, 'no REDIS_URL configured\n')
    const key = decodeURIComponent(path.slice(4))
    if (req.method === 'PUT' || req.method === 'POST') {
      const value = await readBody(req)
      await redis.set(key, value)
      stats.kvWrites++
      return send(res, 200, 'OK\n')
    }
    const value = await redis.get(key)
    stats.kvReads++
    return value === null ? send(res, 404, '(nil)\n') : send(res, 200, value)
  }
  if (path === '/' || path.startsWith('/content/')) return serveContent(res, path === '/' ? '' : path.slice('/content/'.length))
  return send(res, 404, 'not found\n')
}

server.listen(port, () => { log('info', 'example app listening', { port, contentDir, redis: Boolean(redis), statsd: Boolean(statsd) }) })

function shutdown () {
  log('info', 'shutting down')
  server.close()
  statsd?.close()
  redis?.disconnect()
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
