#!/usr/bin/env node
// Benchmark: metrics-adapter against etsy's statsd daemon (npm `statsd`), the same load, the
// same run, interleaved, several rounds. Searches the highest UDP line rate each accepts with
// no loss (33 lines per packet, and one line per packet: doubling from a start rate until a
// trial loses lines, then bisecting), then scrape time and RSS with 100,000 series. Writes its
// section of docs/benchmarks.md. The load comes from sender.mjs in its own process.
//
//   pnpm build && node bench/metrics-adapter/run.mjs [--rounds 3] [--quick]

import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
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
const DURATION_MS = quick ? 700 : 1000
// Search: start, ceiling (the highest rate tried) and bisection steps after the first loss.
const SEARCH = {
  batched: { perPacket: 33, start: 100_000, ceiling: 1_600_000 },
  single: { perPacket: 1, start: 10_000, ceiling: 320_000 }
}
const BISECT = quick ? 1 : 3
const SENDER = join(root, 'bench/metrics-adapter/sender.mjs')
const RMEM_MAX = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'))
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

async function startAdapter (readBuffer) {
  const udp = await freePort()
  const tcp = await freePort()
  const web = await freePort()
  const child = spawn(process.execPath, [ADAPTER, `--statsd.listen-udp=127.0.0.1:${udp}`, `--statsd.listen-tcp=127.0.0.1:${tcp}`, `--web.listen-address=127.0.0.1:${web}`, '--max-series=300000', '--log.level=warn', ...(readBuffer === undefined ? [] : [`--statsd.read-buffer=${readBuffer}`])], { stdio: ['ignore', 'ignore', 'inherit'] })
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`http://127.0.0.1:${web}/readyz`)).ok) break } catch { await sleep(100) }
  }
  return {
    name: readBuffer === undefined ? 'metrics-adapter' : 'metrics-adapter, kernel default buffer',
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
      const body = await res.arrayBuffer()
      return { ms: performance.now() - t0, bytes: body.byteLength }
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

/** Runs the sender process: `rate` lines/s for DURATION_MS, `perPacket` lines per datagram. */
async function load (port, metric, rate, perPacket) {
  const child = spawn(process.execPath, [SENDER, String(port), String(perPacket), String(rate), String(DURATION_MS), metric], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.add(child.pid)
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  children.delete(child.pid)
  if (code !== 0) throw new Error(`sender exited ${code}`)
  const r = JSON.parse(out)
  return { sent: r.sent, achieved: r.sent / (r.ms / 1000) }
}

/** The kernel's receive queue (bytes) and drop count of the UDP socket bound to `port`. */
function udpSocketState (port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[1]?.endsWith(':' + hex)) return { rxQueue: parseInt(f[4].split(':')[1], 16), drops: Number(f[12]) }
  }
  return { rxQueue: 0, drops: 0 }
}

/**
 * Waits until the server has taken in what the kernel queued for it (receive queue empty) and
 * its count of `metric` stopped moving, so a starved server is not mistaken for a lossy one.
 */
async function settle (server, metric, sent) {
  let last = -1
  let still = 0
  for (let i = 0; i < 100; i++) {
    const n = await server.count(metric)
    if (n >= sent) return n
    const { rxQueue } = udpSocketState(server.udp)
    still = n === last && rxQueue === 0 ? still + 1 : 0
    if (still >= 3) return n
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

let trial = 0
/** One trial at `rate`; returns loss and the rate the sender achieved. */
async function trialAt (server, mode, rate) {
  const metric = `bench_t${++trial}`
  const { sent, achieved } = await load(server.udp, metric, rate, SEARCH[mode].perPacket)
  const got = await settle(server, metric, sent)
  const loss = 1 - got / sent
  console.log(`  ${mode} ${server.name} ${rate.toLocaleString('en')}/s: sent ${sent} got ${got} loss ${(loss * 100).toFixed(2)}% (sender achieved ${Math.round(achieved).toLocaleString('en')}/s; kernel receive-buffer drops so far ${udpSocketState(server.udp).drops})`)
  return { rate, loss, achieved, ok: loss <= LOSS_OK }
}

/**
 * The highest offered rate with no loss: doubles from the start rate until a trial loses lines
 * (or the ceiling is passed), then bisects between the last good and the first bad rate.
 */
async function search (server, mode) {
  const { start, ceiling } = SEARCH[mode]
  const trials = []
  let good = 0
  let bad
  for (let rate = start; rate <= ceiling; rate *= 2) {
    const t = await trialAt(server, mode, rate)
    trials.push(t)
    if (!t.ok) { bad = rate; break }
    // A sender that fell short of the offered rate proves only the rate it achieved.
    good = Math.max(good, Math.min(rate, Math.round(t.achieved)))
  }
  if (bad !== undefined) {
    let lo = good
    let hi = bad
    let best = good
    for (let i = 0; i < BISECT; i++) {
      const mid = Math.round((lo === 0 ? hi / 2 : Math.sqrt(lo * hi)) / 1000) * 1000
      if (mid <= lo || mid >= hi) break
      const t = await trialAt(server, mode, mid)
      trials.push(t)
      if (t.ok) { lo = mid; best = Math.max(best, Math.min(mid, Math.round(t.achieved))) } else hi = mid
    }
    good = best
  }
  // The most lines per second counted in any trial (also meaningful past the no-loss rate).
  const counted = Math.max(...trials.map((t) => t.achieved * (1 - t.loss)))
  const senderLimited = trials.some((t) => t.ok && t.achieved < 0.9 * t.rate)
  return { noLoss: good, atCeiling: bad === undefined, counted, senderLimited, trials }
}

const CONFIGS = [
  { name: 'metrics-adapter', start: () => startAdapter(undefined) },
  { name: 'etsy statsd', start: startEtsy },
  { name: 'metrics-adapter, kernel default buffer', start: () => startAdapter(0) }
]
const results = { batched: {}, single: {} } // mode → config → [search result per round]
for (let round = 1; round <= ROUNDS; round++) {
  for (const mode of ['batched', 'single']) {
    // Interleave: rotate which server goes first each round.
    const order = CONFIGS.map((_, i) => CONFIGS[(i + round - 1) % CONFIGS.length])
    for (const cfg of order) {
      console.log(`round ${round} ${mode} ${cfg.name}`)
      const server = await cfg.start()
      const r = await search(server, mode)
      await server.stop()
      ;(results[mode][cfg.name] ??= []).push(r)
      console.log(`round ${round} ${mode} ${cfg.name}: highest no-loss ${r.noLoss.toLocaleString('en')} lines/s${r.atCeiling ? ' (the ceiling)' : ''}`)
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

const fmt = (n) => Math.round(n).toLocaleString('en')
const noLoss = (mode, name) => median(results[mode][name].map((r) => r.noLoss))
const counted = (mode, name) => median(results[mode][name].map((r) => r.counted))
const perRound = (mode, name) => results[mode][name].map((r) => fmt(r.noLoss) + (r.atCeiling ? '+' : '')).join(', ')
const ratio = (x, y) => (y === 0 ? (x > 0 ? '∞ (peer lost lines at every rate tried)' : 'n/a') : `${(x / y).toFixed(2)}×`)
const anyLimited = Object.values(results).some((byCfg) => Object.values(byCfg).some((rs) => rs.some((r) => r.senderLimited)))

const rows = []
for (const [mode, label] of [['batched', '33 lines/packet'], ['single', '1 line/packet']]) {
  const e = noLoss(mode, 'etsy statsd')
  for (const cfg of CONFIGS) {
    const a = noLoss(mode, cfg.name)
    rows.push(`| ${label} | ${cfg.name} | ${fmt(a)} | ${perRound(mode, cfg.name)} | ${fmt(counted(mode, cfg.name))} | ${cfg.name === 'etsy statsd' ? '1.00×' : ratio(a, e)} |`)
  }
}
const bigA = big['metrics-adapter']
const bigE = big['etsy statsd']
const aB = noLoss('batched', 'metrics-adapter')
const aBK = noLoss('batched', 'metrics-adapter, kernel default buffer')
const aSK = noLoss('single', 'metrics-adapter, kernel default buffer')
const eB = noLoss('batched', 'etsy statsd')
const aS = noLoss('single', 'metrics-adapter')
const eS = noLoss('single', 'etsy statsd')
const scrapeA = median(bigA.map((r) => r.scrapeMs))
const md = `
Command: \`pnpm build && node bench/metrics-adapter/run.mjs${ROUNDS !== 3 ? ` --rounds ${ROUNDS}` : ''}${quick ? ' --quick' : ''}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${cpus().length} cores, load average ${LOAD} at the start${Number(LOAD) > 1.5 ? ' (other work shared the CPUs: absolute numbers are noisy and losses appear at rates an idle machine handles; the ratios are what the run compares)' : ''}.

Peer: etsy \`statsd\` ${require('statsd/package.json').version} (no backends, counters read over its management port). Same UDP load, same run, ${ROUNDS} round(s), the servers' order rotated each round. Load: \`bench_tN:1|c\` from \`bench/metrics-adapter/sender.mjs\` (its own process, sharing the ${cpus().length} cores: a pre-built datagram on a connected socket, sends paced by elapsed time) for ${DURATION_MS / 1000} s per trial. Loss = 1 − counted/sent; "no loss" means ≤ ${LOSS_OK * 100} %. Each search doubles the rate from ${fmt(SEARCH.batched.start)} (batched) or ${fmt(SEARCH.single.start)} (one line per packet) lines/s until a trial loses lines, then bisects ${BISECT} time(s); the ceiling is ${fmt(SEARCH.batched.ceiling)} / ${fmt(SEARCH.single.ceiling)} lines/s (a \`+\` marks a round that reached it). etsy statsd gets the kernel's default UDP receive buffer (net.core.rmem_default = ${readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim()} bytes; it has no option for it); \`metrics-adapter\` runs as shipped, with its default \`--statsd.read-buffer\` of 4 MiB (the kernel caps it at net.core.rmem_max = ${RMEM_MAX}); the third configuration gives the adapter the kernel's default buffer too (\`--statsd.read-buffer=0\`, statsd_exporter's default), for a same-buffer comparison.${anyLimited ? ' In some trials the sender could not reach the offered rate (it shares the CPUs): the search then measures the sender as much as the server.' : ''}

| packets | server | highest no-loss rate (median) | per round | most lines/s counted (median) | vs etsy |
| --- | --- | ---: | --- | ---: | ---: |
${rows.join('\n')}

| 100,000 series + 1,000 summaries | metrics-adapter | etsy statsd | ratio |
| --- | ---: | ---: | ---: |
| scrape (median of 5 × ${ROUNDS}, client included) | ${scrapeA.toFixed(0)} ms (${(median(bigA.map((r) => r.bytes)) / 1e6).toFixed(1)} MB Prometheus text) | ${median(bigE.map((r) => r.scrapeMs)).toFixed(0)} ms (counters+gauges+timers dumps over its admin port; no Prometheus output) | ${(scrapeA / median(bigE.map((r) => r.scrapeMs))).toFixed(2)}× |
| RSS after the scrapes | ${median(bigA.map((r) => r.rss)).toFixed(0)} MiB | ${median(bigE.map((r) => r.rss)).toFixed(0)} MiB | ${(median(bigA.map((r) => r.rss)) / median(bigE.map((r) => r.rss))).toFixed(2)}× |

Targets (issue 5): ≥ 400,000 lines/s batched with no loss — ${aB >= 400_000 ? 'met' : '**not met**'} (${fmt(aB)} as shipped; ${fmt(aBK)} with the kernel's default buffer); ≥ 2× etsy statsd where it starts to drop — as shipped: batched ${ratio(aB, eB)}, one line per packet ${ratio(aS, eS)}${aB >= 2 * eB && aS >= 2 * eS ? ' (met)' : ' (**not met**)'}; with the same kernel-default buffer for both: batched ${ratio(aBK, eB)}, one line per packet ${ratio(aSK, eS)}; 100k-series scrape ≤ 500 ms — ${scrapeA <= 500 ? 'met' : '**not met**'} (${scrapeA.toFixed(0)} ms).
`
writeSection('metrics-adapter', md)
console.log(md)
