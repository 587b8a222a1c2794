// Faults against real servers: a replica killed under load, a replica restarted while loading, a
// replica lagging past --max-replica-lag, a replica answering MASTERDOWN,
// the primary gone (fast errors, then recovery), and seeded fuzzing of the client protocol
// against the CLI binary (then a valid request works and memory is back within bounds).

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { RedisTopology, RedisProc, commandCalls, freePort, sleep, waitFor } from './helpers/redis-servers.js'
import { start } from './helpers/ambassador.js'
import type { Ambassador } from '../src/index.js'

/** Reads as fast as a few pipelined clients can until `stop()`; counts replies and errors. */
function readLoad (port: number, clients = 4): { stop: () => Promise<{ ok: number, errors: string[] }> } {
  let running = true
  const errors: string[] = []
  let ok = 0
  const conns = Array.from({ length: clients }, () => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    c.on('error', (err: Error) => { errors.push(`connection: ${err.message}`) })
    return c
  })
  const loops = conns.map(async (c) => {
    while (running) {
      const p = c.pipeline()
      for (let i = 0; i < 20; i++) p.get(`load:${i}`)
      const res = await p.exec().catch((err: Error) => [[err, null]] as Array<[Error | null, unknown]>)
      for (const [err, v] of res ?? []) {
        if (err !== null) errors.push(err.message)
        else if (v !== 'v') errors.push(`wrong value ${String(v)}`)
        else ok++
      }
    }
  })
  return {
    stop: async () => {
      running = false
      await Promise.all(loops)
      for (const c of conns) c.disconnect()
      return { ok, errors }
    }
  }
}

void describe('faults: replicas and primary going away', () => {
  const topo = new RedisTopology()
  let amb: Ambassador
  let port: number

  before(async () => {
    await topo.startPrimaryAndReplicas(2)
    amb = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), connectTimeout: 500 })
    port = amb.server.port
    const c = topo.primary.client()
    for (let i = 0; i < 20; i++) await c.set(`load:${i}`, 'v')
    // Enough keys that a restarted replica spends a while LOADING (key-load-delay slows it down).
    const p = c.pipeline()
    for (let i = 0; i < 20000; i++) p.set(`bulk:${i}`, 'x')
    await p.exec()
    c.disconnect()
    await topo.waitReplicasSynced()
    await waitFor('replicas readable', () => amb.server.topology.readable.length === 2)
  })

  after(async () => {
    await amb?.stop()
    await topo.close()
  })

  void test('a replica killed under read load causes no client-visible errors', async () => {
    const load = readLoad(port)
    await sleep(300)
    const victim = topo.replicas[0] as RedisProc
    victim.kill('SIGKILL')
    await victim.stopped()
    await sleep(700)
    const { ok, errors } = await load.stop()
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} errors`)
    assert.ok(ok > 100, `reads done: ${ok}`)
    await waitFor('dead replica out of the read set', () => amb.server.topology.readable.length === 1)
  })

  void test('a replica restarted while LOADING is skipped until it is ready; reads never see LOADING', async () => {
    const victim = topo.replicas[0] as RedisProc
    // Same port and data file: it loads its RDB slowly, then syncs.
    const again = new RedisProc(victim.port, [...victim.args, '--key-load-delay', '150', '--loading-process-events-interval-bytes', '1024'], 'redis-server', topo.dir)
    topo.replicas[0] = again
    ;(topo as unknown as { all: RedisProc[] }).all.push(again)
    // Without its old RDB it cannot resync partially: a full sync, loaded slowly.
    rmSync(join(topo.dir, 'replica0.rdb'), { force: true })
    const load = readLoad(port)
    again.proc = spawn('redis-server', again.args, { cwd: topo.dir, stdio: 'ignore' })
    let sawLoading = false
    await waitFor('replica loading', async () => {
      const text = await rawInfo(again.port)
      if (/loading:1/.test(text) || text.startsWith('-LOADING')) sawLoading = true
      return sawLoading
    }, 10000, 20)
    assert.ok(sawLoading)
    await waitFor('replica back in the read set', () => amb.server.topology.readable.length === 2, 30000)
    const before = await commandCalls(again, 'get')
    await sleep(300)
    const { ok, errors } = await load.stop()
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} errors`)
    assert.ok(ok > 100)
    assert.ok(await commandCalls(again, 'get') - before > 0, 'the recovered replica serves reads again')
  })

  void test('a replica more than --max-replica-lag bytes behind is not read from until it catches up', async () => {
    const lagging = topo.replicas[0] as RedisProc
    const other = topo.replicas[1] as RedisProc
    const amb2 = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), maxReplicaLag: 1000, healthInterval: 200 })
    const reader = new Redis({ port: amb2.server.port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    const admin = lagging.client()
    const primary = topo.primary.client()
    try {
      await waitFor('both replicas readable', () => amb2.server.topology.readable.length === 2)
      // The replica stops applying the replication stream (it still answers INFO and reads).
      await admin.call('CLIENT', 'PAUSE', '20000', 'WRITE')
      for (let i = 0; i < 100; i++) await primary.set(`lag:${i}`, 'x'.repeat(40))
      await waitFor('the lagging replica left the readable set', () => amb2.server.topology.readable.length === 1 && amb2.server.topology.readable[0]?.id === other.addr)
      const lag = amb2.server.topology.snapshot().find((n) => n.id === lagging.addr)?.lagBytes ?? 0
      assert.ok(lag > 1000, `lag measured: ${lag} bytes`)
      const before = [await commandCalls(lagging, 'get'), await commandCalls(other, 'get')]
      for (let i = 0; i < 50; i++) assert.equal(await reader.get('load:1'), 'v')
      assert.equal(await commandCalls(lagging, 'get') - (before[0] as number), 0, 'no read went to the lagging replica')
      assert.ok(await commandCalls(other, 'get') - (before[1] as number) >= 50, 'the reads went to the other replica')
      await admin.call('CLIENT', 'UNPAUSE')
      await waitFor('the caught-up replica is readable again', () => amb2.server.topology.readable.length === 2)
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined)
      admin.disconnect()
      primary.disconnect()
      reader.disconnect()
      await amb2.stop()
    }
  })

  void test('a replica answering MASTERDOWN is skipped: the read is retried on another replica, and the client sees no error', async () => {
    const stale = topo.replicas[0] as RedisProc
    // A long health interval: the replies, not a health check, must find the replica unfit.
    const amb2 = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), healthInterval: 60_000 })
    const reader = new Redis({ port: amb2.server.port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    const admin = stale.client()
    const deadPort = await freePort()
    try {
      await waitFor('both replicas readable', () => amb2.server.topology.readable.length === 2)
      // Link to its primary down, and stale data refused: its reads answer -MASTERDOWN.
      await admin.config('SET', 'replica-serve-stale-data', 'no')
      await admin.call('REPLICAOF', '127.0.0.1', String(deadPort))
      await waitFor('the replica answers MASTERDOWN', async () => /MASTERDOWN/.test(await admin.get('load:1').then(() => '', (err: Error) => err.message)))
      for (let i = 0; i < 40; i++) assert.equal(await reader.get('load:1'), 'v')
      const errorstats = await admin.info('errorstats')
      assert.match(errorstats, /errorstat_MASTERDOWN:count=[1-9]/, 'reads reached the stale replica and were refused there')
      assert.ok(!amb2.server.topology.readable.some((r) => r.id === stale.addr), 'the replica left the read set')
    } finally {
      await admin.call('REPLICAOF', '127.0.0.1', String(topo.primary.port)).catch(() => undefined)
      await admin.config('SET', 'replica-serve-stale-data', 'yes').catch(() => undefined)
      admin.disconnect()
      reader.disconnect()
      await amb2.stop()
    }
    await topo.waitReplicasSynced()
  })

  void test('primary gone: writes fail fast with a clear error, reads keep working, writes resume when it is back', async () => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    try {
      assert.equal(await c.set('pg:k', '1'), 'OK')
      topo.primary.kill('SIGKILL')
      await topo.primary.stopped()
      const t0 = Date.now()
      await assert.rejects(c.set('pg:k', '2'), /ambassador/)
      for (let i = 0; i < 5; i++) await assert.rejects(c.set('pg:k', '2'), /primary .* is unreachable|ambassador/)
      assert.ok(Date.now() - t0 < 3000, `errors took ${Date.now() - t0} ms`)
      assert.equal(await c.get('load:1'), 'v', 'replicas still serve reads')
      const base = `http://127.0.0.1:${amb.server.httpPort}`
      await waitFor('readyz fails', async () => (await fetch(`${base}/readyz`)).status === 503)
      const back = new RedisProc(topo.primary.port, topo.primary.args, 'redis-server', topo.dir)
      ;(topo as unknown as { all: RedisProc[] }).all.push(back)
      await back.start()
      topo.primary = back
      await waitFor('writes resume', async () => (await c.set('pg:k', '3').catch(() => 'no')) === 'OK', 10000, 100)
      await waitFor('readyz ok', async () => (await fetch(`${base}/readyz`)).status === 200)
    } finally { c.disconnect() }
  })
})

async function rawInfo (port: number): Promise<string> {
  return await new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    let text = ''
    s.setTimeout(500)
    s.on('connect', () => { s.write('*2\r\n$4\r\nINFO\r\n$11\r\npersistence\r\n') })
    s.on('data', (d) => { text += d.toString(); if (text.includes('loading:') || text.startsWith('-')) { s.destroy(); resolve(text) } })
    s.on('error', () => { resolve('') })
    s.on('timeout', () => { s.destroy(); resolve(text) })
  })
}

/** A small seeded PRNG (mulberry32): the same seed gives the same inputs. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function fuzzInputs (seed: number, n: number): Buffer[] {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const valid = [
    '*2\r\n$3\r\nGET\r\n$1\r\na\r\n', '*3\r\n$3\r\nSET\r\n$2\r\nfz\r\n$3\r\nabc\r\n', '*1\r\n$4\r\nPING\r\n',
    '*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n', '*4\r\n$4\r\nHSET\r\n$2\r\nfh\r\n$1\r\nf\r\n$1\r\nv\r\n',
    '*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n', '*4\r\n$6\r\nLRANGE\r\n$2\r\nfl\r\n$1\r\n0\r\n$2\r\n-1\r\n', 'PING\r\n'
  ]
  const junk = ['*', '$', '\r\n', '\r', '\n', '-1', '99999999999', '-99', '*-1\r\n', '$-1\r\n', '*0\r\n', '"', '\x00', '*1\r\n*1\r\n', ':1\r\n', '%1\r\n', '$2147483648\r\n']
  const out: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const kind = rnd()
    let b: Buffer
    if (kind < 0.15) {
      b = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)))
    } else {
      const frames = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(valid)).join('')
      const bytes = [...Buffer.from(frames, 'latin1')]
      const muts = 1 + Math.floor(rnd() * 3)
      for (let m = 0; m < muts; m++) {
        const at = Math.floor(rnd() * (bytes.length + 1))
        const op = rnd()
        if (op < 0.3) bytes[Math.min(at, bytes.length - 1)] = Math.floor(rnd() * 256)
        else if (op < 0.5) bytes.splice(at, 1 + Math.floor(rnd() * 4))
        else if (op < 0.8) bytes.splice(at, 0, ...Buffer.from(pick(junk), 'latin1'))
        else bytes.length = Math.max(1, at)
      }
      b = Buffer.from(bytes)
    }
    out.push(b)
  }
  return out
}

async function sendAndClose (port: number, b: Buffer): Promise<void> {
  await new Promise<void>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    const t = setTimeout(() => { s.destroy(); resolve() }, 30)
    s.on('connect', () => { s.write(b) })
    s.on('data', () => undefined)
    s.on('error', () => undefined)
    s.on('close', () => { clearTimeout(t); resolve() })
  })
}

function rssKb (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1])
}

void describe('fuzzing the client protocol (CLI binary)', () => {
  const topo = new RedisTopology()
  let child: ChildProcess
  let port: number
  let httpPort: number

  before(async () => {
    await topo.startPrimaryAndReplicas(1)
    port = await freePort()
    httpPort = await freePort()
    const main = fileURLToPath(new URL('../src/main.js', import.meta.url))
    child = spawn(process.execPath, [main, '--listen', `127.0.0.1:${port}`, '--primary', topo.primary.addr, '--replicas', (topo.replicas[0] as RedisProc).addr,
      '--http-bind', `127.0.0.1:${httpPort}`, '--max-bulk-bytes', '1048576', '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] })
    await waitFor('ambassador listening', async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.status === 200)
  })

  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await topo.close()
  })

  void test('thousands of seeded malformed and mutated inputs: the process keeps serving and memory returns within bounds', async () => {
    const warm = new Redis({ port, host: '127.0.0.1' })
    for (let i = 0; i < 200; i++) await warm.set(`w:${i}`, 'x')
    const pid = child.pid as number
    const rssBefore = rssKb(pid)
    const inputs = fuzzInputs(20261123, 3000)
    for (let i = 0; i < inputs.length; i += 25) {
      await Promise.all(inputs.slice(i, i + 25).map(async (b) => { await sendAndClose(port, b) }))
    }
    // Also a few inputs that announce huge frames and stop, on connections left open briefly.
    await Promise.all([0, 1, 2].map(async () => { await sendAndClose(port, Buffer.from('*1000\r\n$1000000\r\n' + 'x'.repeat(1000))) }))
    assert.equal(child.exitCode, null, 'still running')
    const fresh = new Redis({ port, host: '127.0.0.1' })
    try {
      assert.equal(await fresh.set('after:fuzz', 'ok'), 'OK')
      assert.equal(await fresh.call('ECHO', 'still here'), 'still here')
      assert.equal(await warm.get('w:1'), 'x')
    } finally { fresh.disconnect(); warm.disconnect() }
    await waitFor('client sessions released', async () => /redis_ambassador_clients 0\n/.test(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()), 10000, 100)
    const rssAfter = rssKb(pid)
    assert.ok(rssAfter - rssBefore < 64 * 1024, `RSS grew by ${rssAfter - rssBefore} kB`)
    const m = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
    assert.match(m, /redis_ambassador_errors_total\{kind="protocol"\} \d{3,}/)
  })

  void test('SIGTERM drains in-flight replies before exiting', async () => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null })
    c.on('error', () => undefined)
    await c.set('drain:k', 'v')
    const pending = c.blpop('drain:list', 1) // in flight when SIGTERM arrives
    await sleep(100)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
    child.kill('SIGTERM')
    assert.equal(await pending, null, 'the blocked call got its (timeout) reply')
    assert.equal(await exited, 0)
    c.disconnect()
  })
})
