import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { PodPatternsError, ConfigError, UsageError, isPodPatternsError } from '../src/index.js'

const fixture = fileURLToPath(new URL('./fixtures/slow-service.js', import.meta.url))

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

function run (args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture, ...args], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** Starts the fixture service and resolves once it logged its port. */
function startService (args: string[] = []): Promise<{ child: ReturnType<typeof spawn>, port: number, logs: Array<Record<string, unknown>>, exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    const logs: Array<Record<string, unknown>> = []
    const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const rec = JSON.parse(line) as Record<string, unknown>
      logs.push(rec)
      if (rec.msg === 'ready for tests') resolve({ child, port: rec.port as number, logs, exited })
    })
    child.on('error', reject)
    setTimeout(() => reject(new Error('service did not start')), 10_000).unref()
  })
}

test('--help prints the generated usage and exits 0; --version prints name and version', async () => {
  const help = await run(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: slow-service \[flags\]/)
  assert.match(help.stdout, /--slow-ms int/)
  const version = await run(['--version'])
  assert.equal(version.code, 0)
  assert.equal(version.stdout, 'slow-service 9.9.9\n')
})

test('an unknown flag exits 2 with one line naming it, plus the usage line', async () => {
  const r = await run(['--frobnicate'])
  assert.equal(r.code, 2)
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines[0], 'slow-service: unknown flag: --frobnicate')
  assert.match(lines[1] ?? '', /^Usage: slow-service \[flags\]/)
  assert.equal(lines.length, 2)
  assert.equal(r.stdout, '')
})

test('a malformed env value is a usage error naming the variable', async () => {
  const r = await run([], { SLOW_SLOW_MS: 'soon' })
  assert.equal(r.code, 2)
  assert.match(r.stderr, /invalid integer "soon" for \$SLOW_SLOW_MS/)
})

test('an invalid configuration exits 1 with the message and the full usage', async () => {
  const r = await run(['--slow-ms=-5'])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^slow-service: ERROR: --slow-ms must be at least 0, got -5\n\nUsage: slow-service/)
})

test('a start failure (port taken) exits 1 with a clear message', async (t) => {
  const first = await startService()
  t.after(() => first.child.kill('SIGKILL'))
  const r = await run([`--http-bind=127.0.0.1:${first.port}`])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /failed to start: .*EADDRINUSE/)
})

test('SIGTERM drains the request in flight, then exits 0', async () => {
  const svc = await startService(['--slow-ms=800'])
  const response = fetch(`http://127.0.0.1:${svc.port}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }))
  await waitFor(() => svc.logs.some((l) => l.msg === 'slow request started'))
  svc.child.kill('SIGTERM')
  const [res, code] = await Promise.all([response, svc.exited])
  assert.deepEqual(res, { status: 200, body: 'finished\n' })
  assert.equal(code, 0)
  const msgs = svc.logs.map((l) => l.msg)
  assert.ok(msgs.indexOf('shutting down') < msgs.indexOf('shutdown complete'))
  // After the drain, nothing listens any more.
  await assert.rejects(fetch(`http://127.0.0.1:${svc.port}/healthz`))
})

test('a second signal during the drain exits at once with 130', async () => {
  const svc = await startService(['--slow-ms=20000'])
  const response = fetch(`http://127.0.0.1:${svc.port}/slow`).catch((err: unknown) => err)
  await waitFor(() => svc.logs.some((l) => l.msg === 'slow request started'))
  const t0 = Date.now()
  svc.child.kill('SIGTERM')
  await waitFor(() => svc.logs.some((l) => l.msg === 'shutting down'))
  svc.child.kill('SIGINT')
  assert.equal(await svc.exited, 130)
  assert.ok(Date.now() - t0 < 5000, 'exited long before the request would have finished')
  assert.ok((await response) instanceof Error, 'the in-flight request was cut off')
})

test('error classes carry stable codes and causes', () => {
  const cause = new Error('root')
  const e = new PodPatternsError('PP_ERR_DEMO', 'demo', { cause })
  assert.equal(e.code, 'PP_ERR_DEMO')
  assert.equal(e.cause, cause)
  assert.equal(e.name, 'PodPatternsError')
  assert.equal(new UsageError('x', '--f').code, 'PP_ERR_USAGE')
  assert.equal(new ConfigError('x').name, 'ConfigError')
  assert.ok(isPodPatternsError(new ConfigError('x')))
  assert.ok(!isPodPatternsError(new Error('x')))
})

async function waitFor (cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}
