// Real clients over real sockets: hot-shots in DogStatsD and Telegraf modes over UDP, TCP and
// a unix datagram socket gives exactly the expected series; TCP line handling; the relay.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import net from 'node:net'
import { join } from 'node:path'
import { statSync } from 'node:fs'
import StatsDClient from 'hot-shots'
import { samples, startTestAdapter, tempDir, userSamples, waitFor } from './helpers/adapter.js'

type Protocol = 'udp' | 'tcp' | 'uds'

const TAGS = { env: 'dev', route: '/a:b' }
const L = 'env="dev",route="/a:b"'

/** What hot-shots' calls below must turn into, in either mode. */
const EXPECTED: Record<string, number> = {
  [`hs_count{${L}}`]: 3,
  [`hs_gauge{${L}}`]: 9,
  [`hs_timer{${L},quantile="0.5"}`]: 0.25,
  [`hs_timer{${L},quantile="0.9"}`]: 0.25,
  [`hs_timer{${L},quantile="0.99"}`]: 0.25,
  [`hs_timer_sum{${L}}`]: 0.25,
  [`hs_timer_count{${L}}`]: 1,
  [`hs_hist{${L},quantile="0.5"}`]: 3,
  [`hs_hist{${L},quantile="0.9"}`]: 3,
  [`hs_hist{${L},quantile="0.99"}`]: 3,
  [`hs_hist_sum{${L}}`]: 3,
  [`hs_hist_count{${L}}`]: 1,
  [`hs_dist{${L},quantile="0.5"}`]: 7,
  [`hs_dist{${L},quantile="0.9"}`]: 7,
  [`hs_dist{${L},quantile="0.99"}`]: 7,
  [`hs_dist_sum{${L}}`]: 7,
  [`hs_dist_count{${L}}`]: 1,
  [`hs_set{${L}}`]: 2
}

for (const telegraf of [false, true]) {
  for (const protocol of ['udp', 'tcp', 'uds'] as Protocol[]) {
    const mode = telegraf ? 'Telegraf' : 'DogStatsD'
    test(`hot-shots in ${mode} mode over ${protocol} gives exactly the expected series`, async (t) => {
      const dir = tempDir()
      t.after(dir.cleanup)
      const sock = join(dir.path, 'statsd.sock')
      const a = await startTestAdapter(protocol === 'uds' ? [`--statsd.listen-unixgram=${sock}`] : [])
      t.after(async () => { await a.stop() })
      const errors: Error[] = []
      const client = new StatsDClient({
        ...(protocol === 'uds' ? { protocol: 'uds', path: sock } : { protocol, host: '127.0.0.1', port: protocol === 'udp' ? a.ports.udp : a.ports.tcp }),
        telegraf,
        datadog: false,
        includeDatadogTelemetry: false,
        maxBufferSize: 0,
        errorHandler: (err) => { errors.push(err) }
      })
      // hot-shots does not always call back from close() (TCP); don't wait on it forever.
      t.after(async () => { await new Promise<void>((resolve) => { const timer = setTimeout(resolve, 500); client.close(() => { clearTimeout(timer); resolve() }) }) })
      client.increment('hs.count', 2, TAGS)
      client.increment('hs.count', 1, TAGS)
      client.decrement('hs.count', 1, TAGS)
      client.gauge('hs.gauge', 10, TAGS)
      client.gaugeDelta('hs.gauge', 4, TAGS)
      client.gauge('hs.gauge', -5, TAGS)
      client.timing('hs.timer', 250, TAGS)
      client.histogram('hs.hist', 3, TAGS)
      client.distribution('hs.dist', 7, TAGS)
      client.set('hs.set', 'alice', TAGS)
      client.set('hs.set', 'bob', TAGS)
      client.unique('hs.set', 'alice', TAGS)
      let lines = 12
      if (!telegraf) {
        client.event('deploy', 'version 1.2', {}, { env: 'dev' })
        client.check('svc.up', client.CHECKS.OK, {}, { env: 'dev' })
        lines += 2
      }
      await waitFor(`${lines} lines`, () => a.stats.lines >= lines)
      const text = await a.render()
      assert.deepEqual(Object.fromEntries(userSamples(text)), EXPECTED)
      const own = samples(text)
      assert.equal(own.get('statsd_exporter_lines_total'), lines)
      assert.equal(own.get('statsd_exporter_samples_total'), 12)
      assert.equal(own.get('statsd_exporter_events_error_total{reason="illegal_negative_counter"}'), 1, 'decrement sends -1, rejected like statsd_exporter')
      for (const [k, v] of own) if (k.startsWith('statsd_exporter_sample_errors_total')) assert.equal(v, 0, k)
      if (!telegraf) {
        assert.equal(own.get('metrics_adapter_skipped_lines_total{kind="event"}'), 1)
        assert.equal(own.get('metrics_adapter_skipped_lines_total{kind="service_check"}'), 1)
      }
      if (protocol === 'uds') {
        assert.equal(own.get('statsd_exporter_unixgram_packets_total'), lines)
        assert.equal(statSync(sock).mode & 0o777, 0o755)
      }
      assert.deepEqual(errors, [])
    })
  }
}

test('TCP accepts CRLF, keeps a last line without newline, and counts over-long lines', async (t) => {
  const a = await startTestAdapter(['--statsd.tcp-max-line-length=100'])
  t.after(async () => { await a.stop() })
  const conn = net.connect(a.ports.tcp, '127.0.0.1')
  await new Promise<void>((resolve) => conn.once('connect', resolve))
  conn.write('a:1|c\r\nb:2|c\n')
  conn.write('x'.repeat(150))
  conn.write('y'.repeat(150) + ':1|c\n')
  conn.write(`long:${'9'.repeat(120)}|g\n`)
  conn.write('split')
  conn.write('.line:3|c\nlast:4|c')
  conn.end()
  await waitFor('connection end', () => a.stats.lines >= 4)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const text = await a.render()
  const s = userSamples(text)
  assert.deepEqual(Object.fromEntries(s), { a: 1, b: 2, split_line: 3, last: 4 })
  assert.equal(samples(text).get('statsd_exporter_tcp_too_long_lines_total'), 2)
  assert.equal(samples(text).get('statsd_exporter_tcp_connections_total'), 1)
})

test('UDP packets carry several lines; a bad one among them drops only itself', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  const c = dgram.createSocket('udp4')
  t.after(() => { c.close() })
  await new Promise<void>((resolve, reject) => { c.send('a:1|c\nnot a line\nb:2|g\n\n', a.ports.udp, '127.0.0.1', (err) => { if (err !== null) reject(err); else resolve() }) })
  await waitFor('lines', () => a.stats.lines >= 3)
  const text = await a.render()
  assert.deepEqual(Object.fromEntries(userSamples(text)), { a: 1, b: 2 })
  assert.equal(samples(text).get('statsd_exporter_sample_errors_total{reason="malformed_line"}'), 1)
  assert.equal(samples(text).get('statsd_exporter_udp_packets_total'), 1)
})

test('--statsd.relay.address forwards every line unmodified', async (t) => {
  const rx = dgram.createSocket('udp4')
  const got: string[] = []
  rx.on('message', (m) => { got.push(...m.toString().split('\n').filter((l) => l !== '')) })
  await new Promise<void>((resolve) => { rx.bind(0, '127.0.0.1', resolve) })
  t.after(() => { rx.close() })
  const a = await startTestAdapter([`--statsd.relay.address=127.0.0.1:${rx.address().port}`])
  t.after(async () => { await a.stop() })
  const lines = ['a.b:1|c|#k:v', 'x,k=v:2|g', 'bad line', 'u:alice|s']
  a.ingest(lines.join('\n'))
  await waitFor('relayed lines', () => got.length >= lines.length, 5000)
  assert.deepEqual(got, lines)
})
