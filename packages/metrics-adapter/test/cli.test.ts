// The metrics-adapter binary: statsd_exporter's flags and env vars, config errors, --check-config,
// reload on SIGHUP and /-/reload, /-/quit, and a clean SIGTERM exit.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, scrape, tempDir, userSamples, waitFor } from './helpers/adapter.js'

const BIN = fileURLToPath(new URL('../src/main.js', import.meta.url))
const NODE = process.execPath

interface Proc { child: ChildProcess, logs: Array<Record<string, unknown>>, web: () => number, udp: () => number }

async function startBin (args: string[], env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(NODE, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: Array<Record<string, unknown>> = []
  let buf = ''
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      try { logs.push(JSON.parse(line) as Record<string, unknown>) } catch { /* not json */ }
    }
  })
  const find = (msg: string): number => {
    const l = logs.find((x) => x.msg === msg)
    const addr = l?.address as { port?: number } | undefined
    return addr?.port ?? (l?.port as number | undefined) ?? 0
  }
  const p: Proc = { child, logs, web: () => find('ops server listening'), udp: () => find('statsd udp listening') }
  await waitFor('web listener', () => p.web() > 0 || child.exitCode !== null)
  return p
}

async function stopBin (p: Proc): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode
  const exited = new Promise<number | null>((resolve) => p.child.once('exit', (code) => { resolve(code) }))
  p.child.kill('SIGTERM')
  return await exited
}

const LOOP = ['--statsd.listen-udp=127.0.0.1:0', '--statsd.listen-tcp=127.0.0.1:0', '--web.listen-address=127.0.0.1:0']

test('--help lists statsd_exporter flags with their defaults and env vars; --version prints the version', async () => {
  const help = await run(NODE, [BIN, '--help'])
  assert.equal(help.code, 0)
  for (const f of ['--statsd.listen-udp', '--statsd.mapping-config', '--web.listen-address', '--web.telemetry-path', '--statsd.parse-dogstatsd-tags', '--web.enable-lifecycle', '--check-config', '--statsd.relay.address']) {
    assert.ok(help.stdout.includes(f), f)
  }
  assert.match(help.stdout, /default :9125/)
  assert.match(help.stdout, /default :9102/)
  assert.match(help.stdout, /\$METRICS_ADAPTER_STATSD_MAPPING_CONFIG/)
  const v = await run(NODE, [BIN, '--version'])
  assert.match(v.stdout, /^metrics-adapter \d+\.\d+\.\d+/)
})

test('bad flags and env values are usage errors (exit 2) naming the flag', async () => {
  const unknown = await run(NODE, [BIN, '--statsd.no-such-flag=1'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown flag: --statsd.no-such-flag/)
  const badBool = await run(NODE, [BIN, '--statsd.parse-dogstatsd-tags=maybe'])
  assert.equal(badBool.code, 2)
  const badEnv = spawn(NODE, [BIN], { env: { ...process.env, METRICS_ADAPTER_MAX_SERIES: 'lots' } })
  const code = await new Promise<number | null>((resolve) => badEnv.on('exit', resolve))
  assert.equal(code, 2)
  const badMode = await run(NODE, [BIN, '--statsd.unixsocket-mode=rwx'])
  assert.equal(badMode.code, 1)
  assert.match(badMode.stderr, /unixsocket-mode/)
})

test('--check-config accepts a valid mapping (exit 0) and rejects a broken one (exit 1) with the reason', async (t) => {
  const dir = tempDir()
  t.after(dir.cleanup)
  const good = join(dir.path, 'good.yml')
  const bad = join(dir.path, 'bad.yml')
  writeFileSync(good, 'mappings:\n- match: "a.*"\n  name: "a_$1"\n')
  writeFileSync(bad, 'mappings:\n- match: "a.*"\n  name: "not valid"\n')
  const ok = await run(NODE, [BIN, '--check-config', `--statsd.mapping-config=${good}`])
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /configuration is valid/)
  const no = await run(NODE, [BIN, '--check-config', `--statsd.mapping-config=${bad}`])
  assert.equal(no.code, 1)
  assert.match(no.stderr, /invalid metric name/)
  const missing = await run(NODE, [BIN, '--check-config', `--statsd.mapping-config=${join(dir.path, 'nope.yml')}`])
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /cannot read/)
})

test('env vars set every flag; SIGHUP reloads the mapping; a broken reload keeps the old one', async (t) => {
  const dir = tempDir()
  t.after(dir.cleanup)
  const file = join(dir.path, 'm.yml')
  writeFileSync(file, 'mappings:\n- match: "a.*"\n  name: "first_$1"\n')
  const p = await startBin([], {
    METRICS_ADAPTER_STATSD_LISTEN_UDP: '127.0.0.1:0',
    METRICS_ADAPTER_STATSD_LISTEN_TCP: '127.0.0.1:0',
    METRICS_ADAPTER_WEB_LISTEN_ADDRESS: '127.0.0.1:0',
    METRICS_ADAPTER_WEB_TELEMETRY_PATH: '/stats',
    METRICS_ADAPTER_STATSD_MAPPING_CONFIG: file
  })
  t.after(async () => { await stopBin(p) })
  const { default: dgram } = await import('node:dgram')
  const sock = dgram.createSocket('udp4')
  t.after(() => { sock.close() })
  const send = async (s: string): Promise<void> => { await new Promise<void>((resolve) => { sock.send(s, p.udp(), '127.0.0.1', () => { resolve() }) }) }
  await send('a.x:1|c')
  await waitFor('first mapping', async () => userSamples((await scrape(p.web(), '/stats')).body).get('first_x') === 1)
  writeFileSync(file, 'mappings:\n- match: "a.*"\n  name: "second_$1"\n')
  p.child.kill('SIGHUP')
  await waitFor('reload log', () => p.logs.some((l) => l.msg === 'configuration reloaded'))
  await send('a.x:1|c')
  await waitFor('second mapping', async () => userSamples((await scrape(p.web(), '/stats')).body).get('second_x') === 1)
  writeFileSync(file, 'mappings: [ {')
  p.child.kill('SIGHUP')
  await waitFor('failed reload log', () => p.logs.some((l) => l.msg === 'configuration reload failed; keeping the previous one'))
  await send('a.y:1|c')
  await waitFor('old mapping kept', async () => userSamples((await scrape(p.web(), '/stats')).body).get('second_y') === 1)
  const page = (await scrape(p.web(), '/stats')).body
  assert.match(page, /statsd_exporter_config_reloads_total\{outcome="failure"\} 1/)
  assert.match(page, /statsd_exporter_config_reloads_total\{outcome="success"\} 1/)
  assert.equal(await stopBin(p), 0, 'SIGTERM exits 0')
})

test('/-/reload and /-/quit answer only with --web.enable-lifecycle', async (t) => {
  const off = await startBin(LOOP)
  t.after(async () => { await stopBin(off) })
  const r = await fetch(`http://127.0.0.1:${off.web()}/-/reload`, { method: 'POST' })
  assert.equal(r.status, 403)

  const dir = tempDir()
  t.after(dir.cleanup)
  const file = join(dir.path, 'm.yml')
  writeFileSync(file, 'mappings: []\n')
  const on = await startBin([...LOOP, '--web.enable-lifecycle', `--statsd.mapping-config=${file}`])
  t.after(async () => { await stopBin(on) })
  writeFileSync(file, 'mappings:\n- match: "a.*"\n  name: x\n')
  const ok = await fetch(`http://127.0.0.1:${on.web()}/-/reload`, { method: 'POST' })
  assert.equal(ok.status, 200)
  assert.match((await scrape(on.web())).body, /statsd_exporter_loaded_mappings 1/)
  writeFileSync(file, 'nonsense: [')
  const failed = await fetch(`http://127.0.0.1:${on.web()}/-/reload`, { method: 'PUT' })
  assert.equal(failed.status, 500)
  assert.match((await scrape(on.web())).body, /statsd_exporter_loaded_mappings 1/)
  const get = await fetch(`http://127.0.0.1:${on.web()}/-/reload`)
  assert.equal(get.status, 405)
  const exited = new Promise<number | null>((resolve) => on.child.once('exit', resolve))
  const quit = await fetch(`http://127.0.0.1:${on.web()}/-/quit`, { method: 'POST' })
  assert.equal(quit.status, 200)
  assert.equal(await exited, 0)
})

test('a listen address already in use fails start-up with exit 1 and a clear message', async (t) => {
  const p = await startBin(LOOP)
  t.after(async () => { await stopBin(p) })
  const r = await run(NODE, [BIN, '--statsd.listen-udp=', '--statsd.listen-tcp=', `--web.listen-address=127.0.0.1:${p.web()}`])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /EADDRINUSE/)
})
