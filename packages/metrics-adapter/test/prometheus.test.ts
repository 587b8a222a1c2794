// A real Prometheus (the Debian package) scrapes the adapter and answers queries over its HTTP
// API: names unchanged from statsd_exporter, label-set variants and NaN ingested, scrape healthy.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestAdapter, tempDir, waitFor } from './helpers/adapter.js'

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus'

async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => { srv.listen(0, '127.0.0.1', resolve) })
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => { srv.close(() => { resolve() }) })
  return port
}

interface PromResult { metric: Record<string, string>, value: [number, string] }

async function query (port: number, q: string): Promise<PromResult[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)
  const body = await res.json() as { status: string, data?: { result: PromResult[] } }
  return body.status === 'success' ? body.data?.result ?? [] : []
}

test('Prometheus scrapes the adapter and answers queries with statsd_exporter\'s names', { skip: !existsSync(PROMETHEUS) && 'prometheus is not installed (scripts/setup.sh installs it)' }, async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('app.requests:3|c|#route:/a\napp.requests:4|c|#route:/b,code:200\napp.latency:250|ms\nq.nan:NaN|g\ntemp:21.5|g')

  const dir = tempDir('ma-prom-')
  t.after(dir.cleanup)
  const cfg = join(dir.path, 'prometheus.yml')
  writeFileSync(cfg, [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: adapter',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${a.ports.web}']`,
    ''
  ].join('\n'))
  const port = await freePort()
  const prom = spawn(PROMETHEUS, [
    `--config.file=${cfg}`,
    `--storage.tsdb.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn'
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  prom.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  t.after(async () => {
    if (prom.exitCode !== null) return
    const exited = new Promise<void>((resolve) => { prom.once('exit', () => { resolve() }) })
    prom.kill('SIGTERM')
    await exited
  })

  await waitFor('prometheus to scrape the adapter', async () => {
    if (prom.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`)
    try { return (await query(port, 'up{job="adapter"}'))[0]?.value[1] === '1' } catch { return false }
  }, 60_000)
  await waitFor('statsd series in prometheus', async () => (await query(port, 'app_requests')).length === 2, 30_000)

  const req = await query(port, 'app_requests')
  const byRoute = Object.fromEntries(req.map((r) => [r.metric.route ?? '', [r.value[1], r.metric.code]]))
  assert.deepEqual(byRoute, { '/a': ['3', undefined], '/b': ['4', '200'] }, 'one name with two label sets ingests fine')
  assert.equal((await query(port, 'app_requests_total')).length, 0, 'no _total is added')
  assert.equal((await query(port, 'app_latency_count'))[0]?.value[1], '1')
  assert.equal((await query(port, 'app_latency{quantile="0.5"}'))[0]?.value[1], '0.25')
  assert.equal((await query(port, 'q_nan'))[0]?.value[1], 'NaN')
  assert.equal((await query(port, 'temp'))[0]?.value[1], '21.5')
  assert.equal((await query(port, 'statsd_exporter_lines_total'))[0]?.value[1], '5')
  const health = await fetch(`http://127.0.0.1:${port}/api/v1/targets`)
  const targets = await health.json() as { data: { activeTargets: Array<{ health: string, lastError: string }> } }
  assert.equal(targets.data.activeTargets[0]?.health, 'up')
  assert.equal(targets.data.activeTargets[0]?.lastError, '')
})
