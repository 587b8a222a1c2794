// The small HTTP server every service runs for operators: /healthz, /readyz, /metrics, and
// whatever routes the service adds (git-sync's `/`, the adapter's `/probe`, …).

import type http from 'node:http'
import type https from 'node:https'
import { promises as fsp } from 'node:fs'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { Logger } from 'pino'
import { parseAddress, type Address } from './address.js'

// node:http, node:https and prom-client are loaded when a server or registry is made, and with
// require, not by an ESM import: the ESM view of node:http reads every export, and one of them
// (the WebSocket classes) loads undici. A git-sync that starts no server loads none of them,
// and its first git command starts about 15 ms sooner.
const require = createRequire(import.meta.url)

export type ReadyState = boolean | { ready: boolean, reason?: string }

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>

export interface Route {
  /** Undefined: any method. */
  method?: string
  /** Exact path (query string ignored). */
  path: string
  handler: RouteHandler
}

export interface OpsServerOptions {
  /** `host:port`, `:port` (all interfaces) or `unix:/path`. */
  bind: string | Address
  logger: Logger
  /** Registry served on the metrics path; a new one with process metrics by default. */
  registry?: Registry
  /** Whether the service is ready to take traffic; true when omitted. */
  ready?: () => ReadyState | Promise<ReadyState>
  /** Default `/metrics`; statsd_exporter users may move it. */
  metricsPath?: string
  /** Extra exposition text appended after the registry's (series prom-client can't express). */
  metricsText?: () => string | Promise<string>
  routes?: readonly Route[]
  /** /healthz fails when the event loop has not turned for this long (ms). */
  loopStallMs?: number
  /** Serve HTTPS with these options (certificate, key, client-certificate policy). */
  tls?: https.ServerOptions
  /**
   * Runs before every route (built-in ones too): false means it has answered the request
   * itself (e.g. 401 for basic auth) and nothing else runs.
   */
  guard?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>
}

/** A registry with Node's default process metrics registered. */
export function createRegistry (): Registry {
  const { Registry, collectDefaultMetrics } = require('prom-client') as typeof import('prom-client')
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}

export class OpsServer {
  readonly registry: Registry
  private readonly server: http.Server | https.Server
  private readonly options: OpsServerOptions
  private readonly routes: Route[]
  private readonly address: Address
  private lastTick = Date.now()
  private ticker: NodeJS.Timeout | undefined

  constructor (options: OpsServerOptions) {
    this.options = options
    this.registry = options.registry ?? createRegistry()
    this.routes = [...(options.routes ?? [])]
    this.address = typeof options.bind === 'string' ? parseAddress(options.bind, 'http bind address') : options.bind
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        options.logger.error({ err, url: req.url }, 'ops server handler failed')
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('internal error\n')
      })
    }
    this.server = options.tls === undefined
      ? (require('node:http') as typeof http).createServer(onRequest)
      : (require('node:https') as typeof https).createServer(options.tls, onRequest)
    this.server.keepAliveTimeout = 5000
  }

  /** Adds a route; a later route for the same method and path replaces the earlier one. */
  addRoute (route: Route): void {
    const i = this.routes.findIndex((r) => r.path === route.path && r.method === route.method)
    if (i === -1) this.routes.push(route)
    else this.routes[i] = route
  }

  async start (): Promise<AddressInfo | string> {
    this.ticker = setInterval(() => { this.lastTick = Date.now() }, 500)
    this.ticker.unref()
    const a = this.address
    if (a.kind === 'unix') await fsp.unlink(a.path).catch(() => undefined)
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      const done = (): void => { this.server.off('error', reject); resolve() }
      if (a.kind === 'unix') this.server.listen(a.path, done)
      else this.server.listen(a.port, a.host, done)
    })
    const bound = this.server.address()
    this.options.logger.info({ address: bound }, 'ops server listening')
    return bound as AddressInfo | string
  }

  /** The bound TCP port (useful with port 0). */
  get port (): number {
    const a = this.server.address()
    return a !== null && typeof a === 'object' ? a.port : 0
  }

  async stop (): Promise<void> {
    if (this.ticker !== undefined) clearInterval(this.ticker)
    if (!this.server.listening) return
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeIdleConnections()
    })
  }

  private async handle (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.options.guard !== undefined && !(await this.options.guard(req, res))) return
    const path = (req.url ?? '/').split('?')[0] as string
    const method = req.method ?? 'GET'
    const route = this.routes.find((r) => r.path === path && (r.method === undefined || r.method === method))
    if (route !== undefined) {
      await route.handler(req, res)
      return
    }
    if (path === '/healthz') {
      const stalled = Date.now() - this.lastTick
      const ok = stalled < (this.options.loopStallMs ?? 10_000)
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
      res.end(ok ? 'ok\n' : `event loop stalled for ${stalled} ms\n`)
      return
    }
    if (path === '/readyz') {
      const state = await this.readyState()
      res.writeHead(state.ready ? 200 : 503, { 'content-type': 'text/plain' })
      res.end(state.ready ? 'ready\n' : `not ready${state.reason === undefined ? '' : ': ' + state.reason}\n`)
      return
    }
    if (path === (this.options.metricsPath ?? '/metrics')) {
      if (method !== 'GET' && method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end()
        return
      }
      let body = await this.registry.metrics()
      if (this.options.metricsText !== undefined) body += await this.options.metricsText()
      res.writeHead(200, { 'content-type': this.registry.contentType })
      res.end(method === 'HEAD' ? undefined : body)
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
  }

  private async readyState (): Promise<{ ready: boolean, reason?: string }> {
    if (this.options.ready === undefined) return { ready: true }
    try {
      const s = await this.options.ready()
      return typeof s === 'boolean' ? { ready: s } : s
    } catch (err) {
      return { ready: false, reason: (err as Error).message }
    }
  }
}
