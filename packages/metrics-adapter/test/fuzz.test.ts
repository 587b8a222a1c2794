// Seeded fuzz: random bytes and mutated valid lines on every listener, with known-good lines
// between them. The process must keep serving, the page must stay valid, and every good line
// must be counted: lines sent = samples counted = the sum the scrape shows.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import net from 'node:net'
import { join } from 'node:path'
import { loadUnixDgram } from '../src/statsd-listeners.js'
import { promtoolCheck, scrape, startTestAdapter, tempDir, userSamples, waitFor } from './helpers/adapter.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261123)

function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TEMPLATES = [
  'app.req:1|c|#env:dev,route:/a:b', 'app.req,env=dev,k=v:3|c|@0.5', 'u:alice|s', 'g:+4|g', 'g:-5|g', 'n:NaN|g',
  'big:1e+21|g', 't:250|ms|@0.1', 'h:3:4:5|h', 'd:7|d|#k:v|c:abc|T123', 'a:1|c:2|g', 'lib#k=v:1|c', 'sfx[k=v].x:1|c',
  '_e{5,4}:title|text', '_sc|name|0', 'x:1|c|@0.5|#a:b'
]
const NOISE = ':|#@,=[]\n\r\\"{}.-_ \u0000\u00ff\u2028é'

function mutate (r: () => number, line: string): string {
  let s = line
  const n = 1 + Math.floor(r() * 4)
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(r() * (s.length + 1))
    const op = Math.floor(r() * 4)
    const ch = NOISE[Math.floor(r() * NOISE.length)] as string
    if (op === 0) s = s.slice(0, pos) + ch + s.slice(pos)
    else if (op === 1) s = s.slice(0, pos) + s.slice(pos + 1)
    else if (op === 2) s = s.slice(0, pos) + ch + s.slice(pos + 1)
    else s = s.slice(0, pos)
  }
  return s
}

function randomBytes (r: () => number): Buffer {
  const len = Math.floor(r() * 300)
  const b = Buffer.alloc(len)
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256)
  return b
}

/** The fuzz stream for one listener: [payload, isGood] chunks (each a datagram or TCP write). */
function stream (seed: number, proto: string, count: number): Array<[Buffer, boolean]> {
  const r = rng(seed)
  const out: Array<[Buffer, boolean]> = []
  for (let i = 0; i < count; i++) {
    const kind = r()
    if (kind < 0.3) out.push([Buffer.from(`zz.good.${proto}:1|c|#p:${proto}`), true])
    else if (kind < 0.55) out.push([randomBytes(r), false])
    else {
      const lines: string[] = []
      const k = 1 + Math.floor(r() * 5)
      for (let j = 0; j < k; j++) lines.push(mutate(r, TEMPLATES[Math.floor(r() * TEMPLATES.length)] as string))
      out.push([Buffer.from(lines.join('\n')), false])
    }
  }
  return out
}

const pause = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

test(`fuzzed input on UDP, TCP and unixgram never stops the adapter and loses no good line (seed ${SEED})`, async (t) => {
  const dir = tempDir()
  t.after(dir.cleanup)
  const sockPath = join(dir.path, 'fuzz.sock')
  const a = await startTestAdapter([`--statsd.listen-unixgram=${sockPath}`, '--statsd.read-buffer=4194304'])
  t.after(async () => { await a.stop() })
  const N = 3000
  const good: Record<string, number> = {}

  // UDP: each chunk is a datagram; wait for each send so the kernel buffer never overflows.
  const udp = dgram.createSocket('udp4')
  t.after(() => { udp.close() })
  const udpStream = stream(SEED, 'udp', N)
  good.udp = udpStream.filter(([, g]) => g).length
  for (let i = 0; i < udpStream.length; i++) {
    const [buf] = udpStream[i] as [Buffer, boolean]
    await new Promise<void>((resolve, reject) => { udp.send(buf, a.ports.udp, '127.0.0.1', (err) => { if (err !== null) reject(err); else resolve() }) })
    if (i % 100 === 0) await pause()
  }

  // TCP: each chunk is terminated so garbage cannot glue itself onto the next good line.
  const tcpStream = stream(SEED + 1, 'tcp', N)
  good.tcp = tcpStream.filter(([, g]) => g).length
  const conn = net.connect(a.ports.tcp, '127.0.0.1')
  await new Promise<void>((resolve) => conn.once('connect', resolve))
  for (const [buf] of tcpStream) conn.write(Buffer.concat([buf, Buffer.from('\n')]))
  await new Promise<void>((resolve) => { conn.end(resolve) })

  // Unix datagrams, resent on congestion (the socket's queue is small).
  const unix = loadUnixDgram()
  const us = unix.createSocket('unix_dgram') as unknown as { send: (b: Buffer, o: number, l: number, p: string, cb: (err?: Error) => void) => void, close: () => void }
  t.after(() => { us.close() })
  const uStream = stream(SEED + 2, 'unixgram', N)
  good.unixgram = uStream.filter(([, g]) => g).length
  for (const [buf] of uStream) {
    if (buf.length === 0) continue
    for (let attempt = 0; ; attempt++) {
      const err = await new Promise<Error | undefined>((resolve) => { us.send(buf, 0, buf.length, sockPath, (e) => { resolve(e) }) })
      if (err === undefined) break
      if (attempt > 200) throw err
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  const want = (proto: string): string => `zz_good_${proto}{p="${proto}"}`
  await waitFor('good lines counted', async () => {
    const s = userSamples((await scrape(a.ports.web)).body)
    return ['udp', 'tcp', 'unixgram'].every((p) => (s.get(want(p)) ?? 0) >= (good[p] as number))
  }, 20_000)
  const page = await scrape(a.ports.web)
  assert.equal(page.status, 200)
  const s = userSamples(page.body)
  for (const p of ['udp', 'tcp', 'unixgram']) assert.equal(s.get(want(p)), good[p], `${p}: every good line counted once`)
  const health = await fetch(`http://127.0.0.1:${a.ports.web}/healthz`)
  assert.equal(health.status, 200)
  const check = await promtoolCheck(page.body)
  assert.ok(check.parsed, check.output.slice(0, 2000))
  assert.ok(a.stats.lines > 3 * N * 0.3, 'the fuzz really reached the parser')
  assert.ok([...a.stats.sampleErrors.values()].reduce((x, y) => x + y, 0) > 100, 'and produced many bad lines')
})
