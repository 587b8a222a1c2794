import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { Counter } from 'prom-client'
import { OpsServer, createLogger, createRegistry } from '../src/index.js'

const quiet = createLogger({ name: 'test', level: 'silent' })

async function get (port: number, path: string, method = 'GET'): Promise<{ status: number, body: string, type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method })
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') }
}

test('serves /healthz, /readyz and /metrics with process metrics and service metrics', async (t) => {
  const registry = createRegistry()
  const c = new Counter({ name: 'demo_things_total', help: 'Things.', registers: [registry] })
  c.inc(3)
  const ops = new OpsServer({ bind: '127.0.0.1:0', logger: quiet, registry, metricsText: () => 'extra_series 1\n' })
  await ops.start()
  t.after(() => ops.stop())
  assert.deepEqual(await get(ops.port, '/healthz'), { status: 200, body: 'ok\n', type: 'text/plain' })
  assert.equal((await get(ops.port, '/readyz')).status, 200)
  const m = await get(ops.port, '/metrics')
  assert.equal(m.status, 200)
  assert.match(m.type ?? '', /text\/plain; version=0\.0\.4/)
  assert.match(m.body, /^demo_things_total 3$/m)
  assert.match(m.body, /^process_cpu_user_seconds_total /m)
  assert.match(m.body, /^nodejs_eventloop_lag_seconds /m)
  assert.match(m.body, /extra_series 1\n$/)
  assert.equal((await get(ops.port, '/metrics', 'POST')).status, 405)
  assert.equal((await get(ops.port, '/nope')).status, 404)
})

test('/readyz follows the service readiness function, including its reason and its failures', async (t) => {
  let state: boolean | { ready: boolean, reason: string } = { ready: false, reason: 'first sync pending' }
  let boom = false
  const ops = new OpsServer({
    bind: '127.0.0.1:0',
    logger: quiet,
    ready: () => {
      if (boom) throw new Error('primary unreachable')
      return state
    }
  })
  await ops.start()
  t.after(() => ops.stop())
  assert.deepEqual(await get(ops.port, '/readyz'), { status: 503, body: 'not ready: first sync pending\n', type: 'text/plain' })
  state = true
  assert.equal((await get(ops.port, '/readyz')).status, 200)
  boom = true
  assert.deepEqual((await get(ops.port, '/readyz')).body, 'not ready: primary unreachable\n')
})

test('service routes take precedence, can be added later, and a throwing handler gives 500 and keeps serving', async (t) => {
  const lines: string[] = []
  const logger = createLogger({ name: 'test', destination: new Writable({ write (c, _e, cb) { lines.push(String(c)); cb() } }) })
  const ops = new OpsServer({ bind: '127.0.0.1:0', logger, metricsPath: '/stats' })
  await ops.start()
  t.after(() => ops.stop())
  ops.addRoute({ path: '/', method: 'GET', handler: (_req, res) => { res.writeHead(503).end('not yet\n') } })
  ops.addRoute({ path: '/boom', handler: () => { throw new Error('kaput') } })
  assert.equal((await get(ops.port, '/')).status, 503)
  ops.addRoute({ path: '/', method: 'GET', handler: (_req, res) => { res.end('synced\n') } })
  assert.deepEqual((await get(ops.port, '/')).body, 'synced\n')
  assert.equal((await get(ops.port, '/boom')).status, 500)
  assert.equal((await get(ops.port, '/healthz')).status, 200)
  assert.equal((await get(ops.port, '/stats')).status, 200)
  assert.equal((await get(ops.port, '/metrics')).status, 404)
  const err = lines.map((l) => JSON.parse(l) as { msg: string, err?: { message: string } }).find((l) => l.msg === 'ops server handler failed')
  assert.equal(err?.err?.message, 'kaput')
})

test('a bad bind address is refused up front and a taken port fails start()', async (t) => {
  assert.throws(() => new OpsServer({ bind: 'nonsense', logger: quiet }), /invalid address/)
  const a = new OpsServer({ bind: '127.0.0.1:0', logger: quiet })
  await a.start()
  t.after(() => a.stop())
  const b = new OpsServer({ bind: `127.0.0.1:${a.port}`, logger: quiet })
  await assert.rejects(b.start(), /EADDRINUSE/)
})

test('listens on a unix socket when asked', async (t) => {
  const path = `/tmp/pp-ops-${process.pid}.sock`
  const ops = new OpsServer({ bind: `unix:${path}`, logger: quiet })
  await ops.start()
  t.after(() => ops.stop())
  const http = await import('node:http')
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ socketPath: path, path: '/healthz' }, (res) => {
      let s = ''
      res.on('data', (d: Buffer) => { s += d.toString() })
      res.on('end', () => resolve(s))
    }).on('error', reject)
  })
  assert.equal(body, 'ok\n')
})
