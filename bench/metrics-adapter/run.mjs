#!/usr/bin/env node
// Benchmark: metrics-adapter against etsy's statsd daemon (npm `statsd`), the same load, the
// same run, interleaved, several rounds. Measures the highest UDP line rate each accepts with no
// loss (batched ~33 lines per packet, and one line per packet), then scrape time and RSS with
// 100,000 series. Writes its section of docs/benchmarks.md.
//
//   pnpm build && node bench/metrics-adapter/run.mjs [--rounds 3] [--quick]

import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import dgram from 'node:dgram'
import net from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir, cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeSection } from '../write-section.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const require = createRequire(import.meta.url)
const STATSD = join(dirname(require.resolve('statsd/package.json')), 'stats.js')
const ADAPTER = join(root, 'packages/metrics-adapter/dist/src/main.js')

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const ri = args.indexOf('--rounds')
const ROUNDS = ri === -1 ? (quick ? 1 : 3) : Number(args[ri + 1])
const DURATION_MS = quick ? 1000 : 2000
const BATCHED_RATES = quick ? [200_000, 400_000] : [200_000, 400_000, 600_000, 800_000]
const SINGLE_RATES = quick ? [25_000, 50_000] : [25_000, 50_000, 100_000, 150_000]
const LOSS_OK = 0.001
const LOAD = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function freePort () {
  const s = net.createServer()
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve))
  const p = s.address().port
  await new Promise((resolve) => s.close(resolve))
  return p
}

function rssMiB (pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? NaN : Number(m[1]) / 1024
  } catch { return NaN }
}

async function startAdapter () {
  const udp = await freePort()
  const tcp = await freePort()
  const web = await freePort()
  const child = spawn(process.execPath, [ADAPTER, `--statsd.listen-udp=127.0.0.1:${udp}`, `--statsd.listen-tcp=127.0.0.1:${tcp}`, `--web.listen-address=127.0.0.1:${web}`, '--max-series=300000', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] })
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`http://127.0.0.1:${web}/readyz`)).ok) break } catch { await sleep(100) }
  }
  return {
    name: 'metrics-adapter',
    udp,
    tcp,
    _reg: children.add(child.pid),
    pid: child.pid,
    async count (metric) {
      const text = await (await fetch(`http://127.0.0.1:${web}/metrics`)).text()
      let n = 0
      for (const line of text.split('\n')) if (line.startsWith(metric + ' ') || line.startsWith(metric + '{')) n += Number(line.slice(line.lastIndexOf(' ') + 1))
      return n
    },
    async scrape () {
      const t0 = performance.now()
      const res = await fetch(`http://127.0.0.1:${web}/metrics`)
      const body = await res.text()
      return { ms: performance.now() - t0, bytes: body.length }
    },
    async stop () { child.kill('SIGTERM'); await new Promise((resolve) => child.once('exit', resolve)) }
  }
}

async function startEtsy () {
  const udp = await freePort()
  const tcp = await freePort()
  const mgmt = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'bench-statsd-'))
  const cfg = join(dir, 'config.js')
  // No backends and a long flush interval: counters accumulate and are read over the
  // management port, so nothing but receiving and aggregating is measured.
  writeFileSync(cfg, `({ servers: [{ server: './servers/udp', port: ${udp}, address: '127.0.0.1' }, { server: './servers/tcp', port: ${tcp}, address: '127.0.0.1' }], mgmt_port: ${mgmt}, mgmt_address: '127.0.0.1', backends: [], flushInterval: 3600000, deleteIdleStats: false })`)
  const child = spawn(process.execPath, [STATSD, cfg], { stdio: ['ignore', 'ignore', 'inherit'], cwd: dirname(STATSD) })
  // Its management console ends dumps with END; `health` answers one line.
  const admin = async (cmd) => await new Promise((resolve, reject) => {
    const c = net.connect(mgmt, '127.0.0.1')
    let out = ''
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`statsd admin ${cmd}: no answer`)) }, 10_000)
    c.on('data', (d) => {
      out += d.toString()
      if (out.includes('END') || (cmd === 'health' && out.includes('\n'))) { clearTimeout(timer); c.end(); resolve(out) }
    })
    c.on('error', (err) => { clearTimeout(timer); reject(err) })
    c.write(cmd + '\n')
  })
  for (let i = 0; i < 100; i++) {
    try { await admin('health'); break } catch { await sleep(100) }
  }
  return {
    name: 'etsy statsd',
    udp,
    tcp,
    _reg: children.add(child.pid),
    pid: child.pid,
    async count (metric) {
      const out = await admin('counters')
      const m = new RegExp(`'?${metric}'?: (\\d+)`).exec(out)
      return m === null ? 0 : Number(m[1])
    },
    async scrape () {
      const t0 = performance.now()
      const a = await admin('counters')
      const b = await admin('gauges')
      const c = await admin('timers')
      return { ms: performance.now() - t0, bytes: a.length + b.length + c.length }
    },
    async stop () { child.kill('SIGTERM'); await new Promise((resolve) => child.once('exit', resolve)); rmSync(dir, { recursive: true, force: true }) }
  }
}

/** Sends `rate` lines/s for DURATION_MS, `perPacket` lines per datagram; returns lines sent. */
async function load (port, metric, rate, perPacket) {
  const sock = dgram.createSocket('udp4')
  const line = `${metric}:1|c`
  const packet = Buffer.from(Array(perPacket).fill(line).join('\n'))
  const tickMs = 5
  const packetsPerTick = rate / perPacket / (1000 / tickMs)
  let sent = 0
  let owed = 0
  const t0 = performance.now()
  let inflight = 0
  while (performance.now() - t0 < DURATION_MS) {
    owed += packetsPerTick
    while (owed >= 1) {
      owed--
      inflight++
      sock.send(packet, port, '127.0.0.1', () => { inflight-- })
      sent += perPacket
    }
    const next = t0 + Math.ceil((performance.now() - t0 + 0.001) / tickMs) * tickMs
    await sleep(Math.max(0, next - performance.now()))
  }
  while (inflight > 0) await sleep(1)
  const elapsed = performance.now() - t0
  sock.close()
  return { sent, achieved: sent / (elapsed / 1000) }
}

async function settle (server, metric, sent) {
  let last = -1
  for (let i = 0; i < 40; i++) {
    const n = await server.count(metric)
    if (n >= sent || n === last) return n
    last = n
    await sleep(150)
  }
  return last
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)] }

const children = new Set()
process.on('exit', () => { for (const pid of children) { try { process.kill(pid) } catch { /* already gone */ } } })
process.on('SIGTERM', () => process.exit(143))
process.on('SIGINT', () => process.exit(130))

const results = {} // mode → server → rate → [loss...]
let trial = 0
for (let round = 1; round <= ROUNDS; round++) {
  for (const [mode, perPacket, rates] of [['batched', 33, BATCHED_RATES], ['single', 1, SINGLE_RATES]]) {
    // Interleave: alternate which server goes first each round.
    const order = round % 2 === 1 ? [startAdapter, startEtsy] : [startEtsy, startAdapter]
    for (const start of order) {
      const server = await start()
      for (const rate of rates) {
        const metric = `bench_t${++trial}`
        const { sent, achieved } = await load(server.udp, metric, rate, perPacket)
        const got = await settle(server, metric, sent)
        const loss = 1 - got / sent
        ;((results[mode] ??= {})[server.name] ??= {})[rate] ??= []
        results[mode][server.name][rate].push({ loss, achieved, counted: got / (DURATION_MS / 1000) })
        console.log(`round ${round} ${mode} ${server.name} ${rate}/s: sent ${sent} got ${got} loss ${(loss * 100).toFixed(2)}% (achieved ${Math.round(achieved)}/s)`)
      }
      await server.stop()
    }
  }
}

// 100k series: 50k counters + 50k gauges with three labels each, plus 1,000 summaries (timers).
// Fed over TCP so that every series arrives whatever the machine's load.
async function feedSeries (port) {
  const lines = []
  for (let i = 0; i < 50_000; i++) {
    lines.push(`big.c,a=${i % 10},b=${i % 100},c=${i}:1|c`)
    lines.push(`big.g,a=${i % 10},b=${i % 100},c=${i}:${i}|g`)
  }
  for (let i = 0; i < 1000; i++) lines.push(`big.t${i}:${i % 500}|ms`)
  const c = net.connect(port, '127.0.0.1')
  await new Promise((resolve, reject) => { c.once('connect', resolve); c.once('error', reject) })
  c.write(lines.join('\n') + '\n')
  await new Promise((resolve) => c.end(resolve))
  return lines.length
}

const big = {}
for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 === 1 ? [startAdapter, startEtsy] : [startEtsy, startAdapter]
  for (const start of order) {
    const server = await start()
    const rssBefore = rssMiB(server.pid)
    await feedSeries(server.tcp)
    // Wait until every line has been taken in (the last timer is there).
    for (let i = 0; i < 200; i++) {
      if (server.name === 'metrics-adapter' ? (await server.count('big_t999_count')) === 1 : (await server.count('statsd.metrics_received')) >= 101_000) break
      await sleep(200)
    }
    const scrapes = []
    let bytes = 0
    for (let i = 0; i < 5; i++) { const s = await server.scrape(); scrapes.push(s.ms); bytes = s.bytes }
    const rss = rssMiB(server.pid)
    ;(big[server.name] ??= []).push({ scrapeMs: median(scrapes), rss, rssBefore, bytes })
    console.log(`round ${round} 100k series ${server.name}: scrape ${median(scrapes).toFixed(1)} ms (${(bytes / 1e6).toFixed(1)} MB), RSS ${rss.toFixed(0)} MiB (idle ${rssBefore.toFixed(0)})`)
    await server.stop()
  }
}

/** The most lines per second a server counted at any offered rate (median over rounds). */
function bestCounted (mode, name) {
  let best = 0
  for (const runs of Object.values(results[mode][name])) best = Math.max(best, median(runs.map((r) => r.counted)))
  return Math.round(best)
}

function maxNoLoss (mode, name) {
  const byRate = results[mode][name]
  let best = 0
  for (const [rate, runs] of Object.entries(byRate)) if (median(runs.map((r) => r.loss)) <= LOSS_OK) best = Math.max(best, Number(rate))
  return best
}

const rows = []
for (const mode of ['batched', 'single']) {
  for (const rate of Object.keys(results[mode]['metrics-adapter']).map(Number)) {
    const a = results[mode]['metrics-adapter'][rate]
    const e = results[mode]['etsy statsd'][rate]
    rows.push(`| ${mode === 'batched' ? '33 lines/packet' : '1 line/packet'} | ${rate.toLocaleString('en')} | ${(median(a.map((r) => r.loss)) * 100).toFixed(2)} % | ${(median(e.map((r) => r.loss)) * 100).toFixed(2)} % |`)
  }
}
const aB = maxNoLoss('batched', 'metrics-adapter')
const eB = maxNoLoss('batched', 'etsy statsd')
const aS = maxNoLoss('single', 'metrics-adapter')
const eS = maxNoLoss('single', 'etsy statsd')
const ratio = (x, y) => (y === 0 ? (x > 0 ? '∞ (peer lost lines at every rate tried)' : 'n/a') : `${(x / y).toFixed(2)}×`)
const bigA = big['metrics-adapter']
const bigE = big['etsy statsd']
const md = `
Command: \`pnpm build && node bench/metrics-adapter/run.mjs${ROUNDS !== 3 ? ` --rounds ${ROUNDS}` : ''}${quick ? ' --quick' : ''}\` — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores.
Peer: etsy \`statsd\` ${require('statsd/package.json').version} (no backends, counters read over its management port), fed the same UDP load in the same run, servers alternating first, ${ROUNDS} round(s); each cell is the median loss over rounds. Load: \`bench_tN:1|c\` for ${DURATION_MS / 1000} s per rate from one sender process. Loss = 1 − counted/sent; "no loss" means ≤ ${LOSS_OK * 100} %. Both servers use the kernel's default UDP receive buffer (${readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim()} bytes). Load average when the run started: ${LOAD}; other work on this 2-core machine shares the CPUs, so absolute numbers are noisy and losses appear at rates an idle machine handles; the ratios are what the run compares.

| packets | lines/s offered | metrics-adapter loss | etsy statsd loss |
| --- | ---: | ---: | ---: |
${rows.join('\n')}

| | metrics-adapter | etsy statsd | ratio |
| --- | ---: | ---: | ---: |
| highest no-loss rate, 33 lines/packet (lines/s) | ${aB.toLocaleString('en')} | ${eB.toLocaleString('en')} | ${ratio(aB, eB)} |
| highest no-loss rate, 1 line/packet (lines/s) | ${aS.toLocaleString('en')} | ${eS.toLocaleString('en')} | ${ratio(aS, eS)} |
| most lines/s counted at any rate, 33 lines/packet | ${bestCounted('batched', 'metrics-adapter').toLocaleString('en')} | ${bestCounted('batched', 'etsy statsd').toLocaleString('en')} | ${ratio(bestCounted('batched', 'metrics-adapter'), bestCounted('batched', 'etsy statsd'))} |
| most lines/s counted at any rate, 1 line/packet | ${bestCounted('single', 'metrics-adapter').toLocaleString('en')} | ${bestCounted('single', 'etsy statsd').toLocaleString('en')} | ${ratio(bestCounted('single', 'metrics-adapter'), bestCounted('single', 'etsy statsd'))} |
| 100,000 series + 1,000 summaries: scrape (median of 5 × ${ROUNDS}) | ${median(bigA.map((r) => r.scrapeMs)).toFixed(0)} ms (${(median(bigA.map((r) => r.bytes)) / 1e6).toFixed(1)} MB text) | ${median(bigE.map((r) => r.scrapeMs)).toFixed(0)} ms (counters+gauges+timers dump over its admin port; no Prometheus output) | |
| 100,000 series + 1,000 summaries: RSS | ${median(bigA.map((r) => r.rss)).toFixed(0)} MiB | ${median(bigE.map((r) => r.rss)).toFixed(0)} MiB | ${(median(bigA.map((r) => r.rss)) / median(bigE.map((r) => r.rss))).toFixed(2)}× |

Targets (issue 5): ≥ 400,000 lines/s batched with no loss — ${aB >= 400_000 ? 'met' : '**not met**'} (${aB.toLocaleString('en')}); ≥ 2× etsy statsd where it starts to drop — batched ${ratio(aB, eB)}, one line per packet ${ratio(aS, eS)}; 100k-series scrape ≤ 500 ms — ${median(bigA.map((r) => r.scrapeMs)) <= 500 ? 'met' : '**not met**'}.
The highest rate tried is the ceiling of this table: "highest no-loss" cannot exceed it.
`
writeSection('metrics-adapter', md)
console.log(md)
