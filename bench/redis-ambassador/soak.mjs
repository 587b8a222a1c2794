#!/usr/bin/env node
// Memory soak for the Redis ambassador: a mixed load (pipelined ioredis clients with reads,
// writes and transactions, short-lived connections, a subscriber, and redis-benchmark in a loop)
// through the ambassador (the CLI, primary + one replica) for a given time, sampling its RSS and
// V8 heap from its own /metrics every 10 s. Writes the 'redis-ambassador-soak' section of
// docs/benchmarks.md with the samples, their first/median/last, the slopes and a verdict.
//
//   pnpm build && node bench/redis-ambassador/soak.mjs [--seconds 600] [--every 10]
//
// Verdict "flat": after a warm-up (the first third of the run, at most 60 s), the least-squares
// slope of RSS is below 1 MiB per minute, the last RSS sample is within 20% of the post-warm-up
// median, and the heap floor (the lowest heap-used sample, i.e. after a GC) of the last third of
// the samples is at most 10% + 1 MiB above the floor of the first third. Heap used is a GC
// sawtooth, so its slope is reported but not judged.

import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { writeSection } from '../write-section.mjs'
import { args, freePort, median, opt, scratch, sleep } from './procs.mjs'

const SECONDS = opt('seconds', 600)
const EVERY = opt('every', 10)
const command = `node bench/redis-ambassador/soak.mjs${args.length > 0 ? ' ' + args.join(' ') : ''}`
const MiB = 1024 * 1024

const { dir, launch } = scratch('ra-soak-')




async function waitUp (port) {
  for (let i = 0; i < 200; i++) {
    const c = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    c.on('error', () => {})
    try {
      await c.connect()
      if (await c.ping() === 'PONG') return
    } catch { /* not up yet */ } finally { c.disconnect() }
    await sleep(50)
  }
  throw new Error(`nothing answers PING on ${port}`)
}

async function sample (httpPort) {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  const metric = (name) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)
    return m === null ? NaN : Number(m[1])
  }
  return { rss: metric('process_resident_memory_bytes'), heap: metric('nodejs_heap_size_used_bytes'), clients: metric('redis_ambassador_clients') }
}

/** Least-squares slope of ys over xs. */
function slope (xs, ys) {
  const n = xs.length
  if (n < 2) return 0
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}


// ---- servers and the ambassador (the CLI binary, as in a pod)
const [primary, replica, amb, http] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', '--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru']
launch('redis-server', ['--port', String(primary), '--dbfilename', 'p.rdb', ...common])
launch('redis-server', ['--port', String(replica), '--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(primary), ...common])
await waitUp(primary)
await waitUp(replica)
const main = fileURLToPath(new URL('../../packages/redis-ambassador/dist/src/main.js', import.meta.url))
launch(process.execPath, [main, '--listen', `127.0.0.1:${amb}`, '--primary', `127.0.0.1:${primary}`, '--replicas', `127.0.0.1:${replica}`, '--http-bind', `127.0.0.1:${http}`, '--read-policy', 'round-robin', '--log-level', 'warn'])
await waitUp(amb)
await sleep(1500) // the first replica health check

// ---- load
let running = true
const counts = { commands: 0, errors: 0, connections: 0, messages: 0 }
const loops = []

// Pipelined clients: reads, writes, hashes, a transaction now and then.
for (let c = 0; c < 6; c++) {
  const r = new Redis({ port: amb, maxRetriesPerRequest: 0 })
  r.on('error', () => { counts.errors++ })
  loops.push((async () => {
    let i = 0
    while (running) {
      const p = r.pipeline()
      for (let k = 0; k < 20; k++) {
        const key = `soak:${c}:${(i * 20 + k) % 5000}`
        if (k % 10 === 0) p.set(key, `v${i}`)
        else if (k % 10 === 1) p.hset(`${key}:h`, 'f', String(i))
        else p.get(key)
      }
      const res = await p.exec().catch(() => null)
      if (res === null) counts.errors++
      else for (const [err] of res) { if (err === null) counts.commands++; else counts.errors++ }
      if (i % 50 === 0) {
        const m = await r.multi().incr(`soak:${c}:n`).get(`soak:${c}:n`).exec().catch(() => null)
        if (m === null) counts.errors++
        else counts.commands += 2
      }
      i++
    }
    r.disconnect()
  })())
}

// Short-lived connections (web-request style): connect, handshake, a few commands, quit.
loops.push((async () => {
  while (running) {
    const r = new Redis({ port: amb, maxRetriesPerRequest: 0, lazyConnect: true })
    r.on('error', () => { counts.errors++ })
    try {
      await r.connect()
      await r.get('soak:0:1')
      await r.set(`soak:short:${counts.connections % 1000}`, 'x')
      await r.quit()
      counts.connections++
      counts.commands += 3
    } catch {
      counts.errors++
      r.disconnect()
    }
  }
})())

// A subscriber and a publisher.
const sub = new Redis({ port: amb })
sub.on('error', () => { counts.errors++ })
sub.on('message', () => { counts.messages++ })
await sub.subscribe('soak:chan')
const pub = new Redis({ port: amb })
pub.on('error', () => { counts.errors++ })
loops.push((async () => {
  while (running) {
    await pub.publish('soak:chan', 'm').catch(() => { counts.errors++ })
    await sleep(5)
  }
})())

// redis-benchmark in a loop (-l) the whole time, killed at the end.
const bench = launch('redis-benchmark', ['-p', String(amb), '-t', 'set,get,lpush,lpop', '-c', '20', '-r', '100000', '-P', '4', '-l', '-q'])

// ---- sampling
const samples = []
const t0 = Date.now()
for (;;) {
  const t = (Date.now() - t0) / 1000
  const s = await sample(http)
  samples.push({ t: Math.round(t), ...s })
  console.error(`t=${Math.round(t)}s rss=${(s.rss / MiB).toFixed(1)}MiB heap=${(s.heap / MiB).toFixed(1)}MiB clients=${s.clients} commands=${counts.commands} errors=${counts.errors}`)
  if (t >= SECONDS) break
  await sleep(Math.min(EVERY * 1000, Math.max(0, (SECONDS - t) * 1000)))
}
running = false
bench.kill('SIGKILL')
await Promise.all(loops)
sub.disconnect()
pub.disconnect()

// ---- verdict
const warm = Math.min(60, SECONDS / 3)
const steady = samples.filter((s) => s.t >= warm)
const mins = steady.map((s) => s.t / 60)
const rssSlope = slope(mins, steady.map((s) => s.rss / MiB))
const heapSlope = slope(mins, steady.map((s) => s.heap / MiB))
const rssMedian = median(steady.map((s) => s.rss))
const last = samples[samples.length - 1]
const third = Math.max(1, Math.floor(steady.length / 3))
const floorFirst = Math.min(...steady.slice(0, third).map((s) => s.heap))
const floorLast = Math.min(...steady.slice(-third).map((s) => s.heap))
const flat = rssSlope < 1 && last.rss <= rssMedian * 1.2 && floorLast <= floorFirst * 1.1 + MiB
const mib = (b) => (b / MiB).toFixed(1)
const row = (name, pick) => `| ${name} | ${mib(pick(samples[0]))} | ${mib(median(steady.map(pick)))} | ${mib(pick(last))} |`

const md = [
  '## redis-ambassador memory soak',
  '',
  `Command: \`${command}\` (${SECONDS} s, a sample every ${EVERY} s; ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)} at the end — other work on the machine adds noise).`,
  '',
  'Load through the ambassador (CLI, primary + one replica, round-robin reads): 6 pipelined ioredis clients (GET/SET/HSET, a MULTI every 50 pipelines),',
  'a loop of short-lived connections (connect, GET, SET, QUIT), a subscriber with a publisher, and `redis-benchmark -t set,get,lpush,lpop -c 20 -P 4 -l` the whole time.',
  `${counts.commands} commands from the load script (${counts.errors} errors), ${counts.connections} short-lived connections, ${counts.messages} pub/sub messages, plus redis-benchmark's own.`,
  '',
  '| memory (MiB) | first sample | median after warm-up | last sample |',
  '| --- | --- | --- | --- |',
  row('RSS', (s) => s.rss),
  row('V8 heap used', (s) => s.heap),
  '',
  `After the ${warm} s warm-up: RSS slope ${rssSlope.toFixed(2)} MiB/min; heap-used slope ${heapSlope.toFixed(2)} MiB/min (a GC sawtooth, not judged); heap floor ${mib(floorFirst)} MiB in the first third of the samples, ${mib(floorLast)} MiB in the last third.`,
  '',
  `Verdict: **${flat ? 'flat' : 'NOT flat'}** (criterion: after the warm-up, RSS slope below 1 MiB/min, last RSS within 20% of the median, and the last third's heap floor at most 10% + 1 MiB above the first third's).`,
  '',
  '<details><summary>samples (s: RSS MiB / heap MiB)</summary>',
  '',
  samples.map((s) => `${s.t}: ${mib(s.rss)} / ${mib(s.heap)}`).join(', '),
  '',
  '</details>'
].join('\n')
writeSection('redis-ambassador-soak', md)
console.log(md)
process.exit(0)
