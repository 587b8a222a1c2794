#!/usr/bin/env node
// Benchmarks the Redis ambassador against direct Redis and twemproxy (nutcracker) in the same
// run: redis-benchmark set/get at -P 1 and -P 16, interleaved rounds, medians and ratios; then a
// 1 write : 10 reads mix showing where reads landed. Writes its section of docs/benchmarks.md.
// At -P 1 it also measures floor.mjs, the least a Node proxy built like the ambassador does (no
// routing table, limits, metrics or failover): roughly where Node itself puts the floor here.
//
//   pnpm build && node bench/redis-ambassador/run.mjs [--rounds 9] [--n1 200000] [--n16 400000]
//
// At -P 1 a run of 200,000 requests (about 3 s) averages out the 2 shared cores' scheduling far
// better than a 1-second run: with 60,000 one target's rounds spread ±20 %, with 200,000 about ±10 %.
//
// The ambassador runs on the image's Node (24, from .cache/node24 as scripts/setup.sh installs
// it; POD_PATTERNS_NODE overrides; without either, the Node running this script).

import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { writeSection } from '../write-section.mjs'
import { NODE, NODE_VERSION } from '../image-node.mjs'
import { args, freePort, median, opt, scratch, sleep } from './procs.mjs'

const run = promisify(execFile)
const ROUNDS = opt('rounds', 9)
const N1 = opt('n1', 200000)
const N16 = opt('n16', 400000)
/** redis-benchmark's clients (-c): at -P 16 they keep CLIENTS × 16 requests in flight. */
const CLIENTS = 50
const command = `node bench/redis-ambassador/run.mjs${args.length > 0 ? ' ' + args.join(' ') : ''}`

const { dir, launch, cleanup } = scratch('ra-bench-')
/** User and system CPU time (ms) a process has used so far, from /proc. */
function cpuSplitMs (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(f[11]) * 10, system: Number(f[12]) * 10 } // utime, stime in clock ticks (USER_HZ = 100)
}


async function waitPing (port) {
  for (let i = 0; i < 200; i++) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'PING'])
      if (stdout.trim() === 'PONG') return
    } catch { /* not up yet */ }
    await sleep(50)
  }
  throw new Error(`nothing answers PING on ${port}`)
}



/** redis-benchmark's result per test, and its own CPU (ms): bash's `times` after it exits. */
async function bench (port, pipeline, n) {
  const argv = ['-p', String(port), '-t', 'set,get', '-c', String(CLIENTS), '-n', String(n), '-r', '100000', '-P', String(pipeline), '--csv']
  // `times` prints the shell's own user and system time, then its children's: redis-benchmark's.
  const { stdout } = await run('bash', ['-c', 'redis-benchmark "$@" && times', 'bench', ...argv], { maxBuffer: 1 << 20 })
  const lines = stdout.trim().split('\n')
  const t = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1) ?? '')
  if (t === null || !/^\d+m[\d.]+s \d+m[\d.]+s$/.test(lines.at(-2) ?? '')) throw new Error(`no CPU times from redis-benchmark:\n${stdout}`)
  const cpu = { user: (Number(t[1]) * 60 + Number(t[2])) * 1000, system: (Number(t[3]) * 60 + Number(t[4])) * 1000 }
  const out = {}
  for (const line of lines.slice(1, -2)) {
    const cols = line.split(',').map((c) => c.replace(/"/g, ''))
    out[cols[0]] = { rps: Number(cols[1]), p50: Number(cols[4]) }
  }
  return { tests: out, cpu }
}


async function main () {
  const primary = await freePort()
  const replica = await freePort()
  const amb = await freePort()
  const twem = await freePort()
  const twemStats = await freePort()
  const floor = await freePort()
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no']
  const primaryProc = launch('redis-server', ['--port', String(primary), '--dbfilename', 'p.rdb', ...common])
  const replicaProc = launch('redis-server', ['--port', String(replica), '--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(primary), ...common])
  await waitPing(primary)
  await waitPing(replica)
  const main = fileURLToPath(new URL('../../packages/redis-ambassador/dist/src/main.js', import.meta.url))
  const ambProc = launch(NODE, [main, '--listen', `127.0.0.1:${amb}`, '--primary', `127.0.0.1:${primary}`, '--replicas', `127.0.0.1:${replica}`, '--log-level', 'warn'])
  const conf = join(dir, 'nutcracker.yml')
  writeFileSync(conf, `pool:\n  listen: 127.0.0.1:${twem}\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n  auto_eject_hosts: false\n  servers:\n    - 127.0.0.1:${primary}:1\n`)
  const twemProc = launch('nutcracker', ['-c', conf, '-s', String(twemStats), '-o', join(dir, 'nutcracker.log')])
  const floorProc = launch(NODE, [fileURLToPath(new URL('floor.mjs', import.meta.url)), String(floor), String(primary), String(replica)])
  await waitPing(amb)
  await waitPing(floor)
  await sleep(1500) // the ambassador's first replica health check
  // nutcracker answers no PING before it connects upstream; a GET proves the path.
  for (let i = 0; i < 100; i++) {
    const r = await run('redis-cli', ['-p', String(twem), 'GET', 'x']).catch(() => ({ stdout: 'ERR' }))
    if (!r.stdout.includes('ERR')) break
    await sleep(50)
  }

  const targets = [['direct', primary], ['ambassador', amb], ['nutcracker', twem]]
  /** The targets measured at a pipeline depth: the Node floor at -P 1 only (it is a yardstick for that depth's targets). */
  const targetsAt = (p) => p === 1 ? [...targets, ['node floor', floor]] : targets
  const proxyPid = { ambassador: ambProc.pid, nutcracker: twemProc.pid, 'node floor': floorProc.pid }
  const results = {} // key `${target} P${p} ${test}` -> [{rps,p50}]
  // One untimed run each first: a sidecar runs for days, and its first requests pay for the
  // JIT compiling its data path (about 50% more CPU per request in the first 40,000 here).
  for (const [, port] of targetsAt(1)) await bench(port, 1, N1)
  const cpu = {} // key `${proxy} P${p}` -> [µs of the proxy's CPU per request]
  // At -P 1, every process's CPU per request, user and system: key `${target} ${process}` -> [{ user, system }] in µs.
  const split = {}
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [p, n] of [[1, N1], [16, N16]]) {
      // Rotate the order each round so no target always runs first or last.
      const at = targetsAt(p)
      const order = at.map((_, i) => at[(i + round) % at.length])
      for (const [name, port] of order) {
        const proxy = proxyPid[name]
        const pids = [['primary', primaryProc.pid], ['replica', replicaProc.pid], ...(proxy === undefined ? [] : [['proxy', proxy]])]
        const before = pids.map(([, pid]) => cpuSplitMs(pid))
        const { tests: r, cpu: benchCpu } = await bench(port, p, n)
        // CPU per request in µs (SET and GET runs together: 2n requests).
        const perRequest = (ms) => ms * 1000 / (2 * n)
        const used = [['redis-benchmark', { user: perRequest(benchCpu.user), system: perRequest(benchCpu.system) }]]
        pids.forEach(([label, pid], i) => {
          const after = cpuSplitMs(pid)
          used.push([label, { user: perRequest(after.user - before[i].user), system: perRequest(after.system - before[i].system) }])
        })
        for (const [label, c] of used) {
          if (label === 'proxy') (cpu[`${name} P${p}`] ??= []).push(c.user + c.system)
          if (p === 1) (split[`${name} ${label}`] ??= []).push(c)
        }
        for (const [test, v] of Object.entries(r)) {
          const key = `${name} P${p} ${test}`
          ;(results[key] ??= []).push(v)
        }
        process.stderr.write(`round ${round} -P ${p} ${name}: ${Object.entries(r).map(([t, v]) => `${t} ${Math.round(v.rps)}/s p50 ${v.p50}ms`).join(', ')}\n`)
      }
    }
  }

  const med = (name, p, test) => {
    const xs = results[`${name} P${p} ${test}`] ?? []
    return { rps: median(xs.map((x) => x.rps)), p50: median(xs.map((x) => x.p50)) }
  }
  const rows = []
  for (const p of [1, 16]) {
    for (const test of ['SET', 'GET']) {
      const d = med('direct', p, test)
      const a = med('ambassador', p, test)
      const t = med('nutcracker', p, test)
      rows.push(`| ${test} | -P ${p} | ${Math.round(d.rps)} | ${Math.round(a.rps)} | ${Math.round(t.rps)} | ${(a.rps / d.rps).toFixed(2)}× | ${(a.rps / t.rps).toFixed(2)}× | ${d.p50.toFixed(3)} / ${a.p50.toFixed(3)} / ${t.p50.toFixed(3)} | ${(a.p50 - d.p50).toFixed(3)} |`)
    }
  }

  // The issue's targets, judged on the unrounded medians (a ratio that rounds up to its target
  // but misses it is printed with a third decimal).
  const ratio = (x, target) => (x < target && Number(x.toFixed(2)) >= target ? x.toFixed(3) : x.toFixed(2)) + '×'
  const met = (ok) => ok ? 'met' : '**not met**'
  const vsTwem = []
  const vsDirect = []
  const added = []
  for (const p of [1, 16]) {
    for (const test of ['SET', 'GET']) {
      const r = med('ambassador', p, test).rps / med('nutcracker', p, test).rps
      vsTwem.push(`${test} -P ${p} ${ratio(r, 1)} ${met(r >= 1)}`)
    }
  }
  for (const test of ['SET', 'GET']) {
    const r = med('ambassador', 1, test).rps / med('direct', 1, test).rps
    vsDirect.push(`${test} ${ratio(r, 0.8)} ${met(r >= 0.8)}`)
    const ms = med('ambassador', 1, test).p50 - med('direct', 1, test).p50
    added.push(`${test} ${ms.toFixed(3)} ms ${met(ms <= 0.3)}`)
  }
  // At -P 16 each client keeps 16 requests in flight, so a request's latency is mostly
  // its wait behind the others: by Little's law, in flight / throughput.
  const queued = (name, test) => (CLIENTS * 16 * 1000 / med(name, 16, test).rps).toFixed(2)
  const littles = ['SET', 'GET'].map((test) => `${test} ${targets.map(([name]) => queued(name, test)).join(' / ')} ms`).join(', ')
  const p16Added = ['SET', 'GET'].map((test) => {
    const d = med('direct', 16, test).p50
    return `${test} ambassador ${(med('ambassador', 16, test).p50 - d).toFixed(2)} ms, nutcracker ${(med('nutcracker', 16, test).p50 - d).toFixed(2)} ms`
  }).join('; ')
  const targetLines = [
    `Targets (issue 4): ≥ 1.0× nutcracker at both depths — ${vsTwem.join(', ')}; ≥ 0.8× direct at -P 1 — ${vsDirect.join(', ')};`,
    `added p50 ≤ 0.3 ms at -P 1 — ${added.join(', ')}. At -P 16 the p50s are queueing: ${CLIENTS * 16} requests in flight divided by each target's throughput give`,
    `${littles} (direct / ambassador / nutcracker), close to the measured p50s: the latency added there follows the throughput (added p50 at -P 16: ${p16Added}).`
  ]

  // The 1 write : 10 reads mix, through the ambassador; where reads landed, by the servers' own stats.
  const stats = async (port) => {
    const c = new Redis({ port, host: '127.0.0.1' })
    await c.call('CONFIG', 'RESETSTAT')
    return c
  }
  const pc = await stats(primary)
  const rc = await stats(replica)
  const clients = Array.from({ length: 8 }, () => new Redis({ port: amb, host: '127.0.0.1' }))
  const OPS = 22000
  let done = 0
  const t0 = performance.now()
  await Promise.all(clients.map(async (c, ci) => {
    while (done < OPS) {
      const pl = c.pipeline()
      for (let i = 0; i < 11; i++) {
        const k = `mix:${(ci * 7919 + done + i) % 1000}`
        if (i === 0) pl.set(k, 'v')
        else pl.get(k)
      }
      done += 11
      await pl.exec()
    }
  }))
  const secs = (performance.now() - t0) / 1000
  const calls = async (c, cmd) => Number((/calls=(\d+)/.exec((await c.info('commandstats')).split('\n').find((l) => l.startsWith(`cmdstat_${cmd}:`)) ?? '') ?? [])[1] ?? 0)
  const mix = { pSet: await calls(pc, 'set'), pGet: await calls(pc, 'get'), rGet: await calls(rc, 'get') }
  for (const c of [pc, rc, ...clients]) c.disconnect()

  const cpuMed = (name, p) => median(cpu[`${name} P${p}`] ?? [NaN]).toFixed(1)
  // Where the CPU goes at -P 1, process by process (medians of the rounds, µs per request).
  const PROCS = ['redis-benchmark', 'primary', 'replica', 'proxy']
  const part = (name, proc, kind) => { const xs = split[`${name} ${proc}`]; return xs === undefined ? undefined : median(xs.map((x) => x[kind])) }
  const total = (name, procs = PROCS) => procs.reduce((sum, proc) => sum + (part(name, proc, 'user') ?? 0) + (part(name, proc, 'system') ?? 0), 0)
  const cell = (name, proc) => part(name, proc, 'user') === undefined ? '—' : `${part(name, proc, 'user').toFixed(1)} + ${part(name, proc, 'system').toFixed(1)}`
  const splitRows = targetsAt(1).map(([name]) => `| ${name} | ${PROCS.map((proc) => cell(name, proc)).join(' | ')} | ${total(name).toFixed(1)} |`)
  const others = ['redis-benchmark', 'primary', 'replica']
  const budget = total('direct') / 0.8 - total('ambassador', others)
  const splitLines = [
    'CPU per request at -P 1, process by process (µs of user + system time from /proc and, for redis-benchmark, bash\'s `times`; SET and GET runs together, medians of the rounds):',
    '',
    '| target | redis-benchmark | primary | replica | proxy | all |',
    '| --- | --- | --- | --- | --- | --- |',
    ...splitRows,
    '',
    `redis-benchmark makes one write and one read per request and little else, so its ${part('direct', 'redis-benchmark', 'system')?.toFixed(1)} µs of system time per request (direct) is what this machine's kernel charges for that pair on loopback TCP (with the wake-ups between them).`,
    'A proxy makes the same pair for every client request, on top of its upstream traffic. The machine is CPU-bound, so throughput follows the CPU all processes spend per request:',
    `for 0.8× direct at -P 1 the proxy could use about ${budget.toFixed(1)} µs per request in all (direct's ${total('direct').toFixed(1)} µs ÷ 0.8, less the ${total('ambassador', others).toFixed(1)} µs the other processes used through the ambassador);`,
    `the ambassador used ${(part('ambassador', 'proxy', 'user') ?? NaN).toFixed(1)} µs of user and ${(part('ambassador', 'proxy', 'system') ?? NaN).toFixed(1)} µs of system time, nutcracker ${(part('nutcracker', 'proxy', 'user') ?? NaN).toFixed(1)} and ${(part('nutcracker', 'proxy', 'system') ?? NaN).toFixed(1)},`,
    `the node floor ${(part('node floor', 'proxy', 'user') ?? NaN).toFixed(1)} and ${(part('node floor', 'proxy', 'system') ?? NaN).toFixed(1)}.`
  ]
  // The Node floor at -P 1 (floor.mjs): what a Node proxy of this design reaches with nothing but forwarding.
  const floorRows = ['SET', 'GET'].map((test) => {
    const f = med('node floor', 1, test).rps
    return `| ${test} | ${Math.round(f)} | ${(f / med('direct', 1, test).rps).toFixed(2)}× | ${(f / med('nutcracker', 1, test).rps).toFixed(2)}× | ${(med('ambassador', 1, test).rps / f).toFixed(2)}× |`
  })
  const floorLines = [
    'The Node floor at -P 1: `bench/redis-ambassador/floor.mjs` reads and batches like the ambassador (GET to the replica, the rest to the primary, replies in order) and does nothing else —',
    'no command table, limits, metrics, health checks or failover. It runs on the same Node: roughly where a Node proxy of this design lands against nutcracker and direct on this machine with no features at all:',
    '',
    '| test | node floor ops/s | floor / direct | floor / nutcracker | ambassador / floor |',
    '| --- | --- | --- | --- | --- |',
    ...floorRows
  ]
  // The rounds behind the -P 1 medians: on 2 shared cores one target's rounds spread widely.
  const spread = (test) => targetsAt(1).map(([name]) => `${name} ${(results[`${name} P1 ${test}`] ?? []).map((x) => Math.round(x.rps / 1000)).join('/')}`).join('; ')
  const md = [
    '## redis-ambassador',
    '',
    `Command: \`${command}\` (after \`pnpm build\`). ${ROUNDS} interleaved rounds (order rotated each round), medians shown.`,
    `Each target gets \`redis-benchmark -t set,get -c ${CLIENTS} -r 100000 -P <1|16> --csv\` with -n ${N1} at -P 1 and -n ${N16} at -P 16.`,
    `direct = the primary itself; ambassador = primary + one replica behind redis-ambassador (GETs go to the replica; Node ${NODE_VERSION}, the image's runtime);`,
    'nutcracker = Debian twemproxy in front of the primary. Everything co-located on one machine, so the proxies',
    `compete with redis-benchmark and Redis for ${cpus().length} cores; other work on the machine adds noise (load average at the end: ${loadavg()[0].toFixed(1)}).`,
    '',
    '| test | depth | direct ops/s | ambassador ops/s | nutcracker ops/s | ambassador / direct | ambassador / nutcracker | p50 ms direct / amb / twem | added p50 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Each proxy's own CPU (user + system, from /proc) per request, median of the rounds: at -P 1 ambassador ${cpuMed('ambassador', 1)} µs, nutcracker ${cpuMed('nutcracker', 1)} µs;`,
    `at -P 16 ambassador ${cpuMed('ambassador', 16)} µs, nutcracker ${cpuMed('nutcracker', 16)} µs. Most of it is the kernel's: a read and a write per request on loopback TCP (the ambassador batches each turn's upstream writes into one).`,
    '',
    ...splitLines,
    '',
    `Rounds at -P 1 (thousands of ops/s, in round order): SET — ${spread('SET')}. GET — ${spread('GET')}.`,
    '',
    ...targetLines,
    '',
    ...floorLines,
    '',
    `1 write : 10 reads mix through the ambassador (8 ioredis clients, pipelines of 11, ${OPS} commands, ${Math.round(OPS / secs)} ops/s):`,
    `SET on the primary ${mix.pSet}; GET on the primary ${mix.pGet}; GET on the replica ${mix.rGet}`,
    `(${((100 * mix.rGet) / Math.max(1, mix.rGet + mix.pGet)).toFixed(1)}% of reads served by the replica, by the servers' own INFO commandstats).`
  ].join('\n')
  writeSection('redis-ambassador', md)
  console.log(md)
}

main().then(() => { cleanup(); process.exit(0) }, (err) => { console.error(err); cleanup(); process.exit(1) })
