// What /metrics shows: statsd_exporter's names, sampling, sets, conflicts resolved and counted,
// NaN/Inf, TTL, the series cap, OpenMetrics only when enabled, and promtool accepting it all.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promtoolCheck, samples, scrape, startTestAdapter, tempDir, userSamples, waitFor } from './helpers/adapter.js'

test('counters keep statsd_exporter names (no _total) and sampling scales counters and repeats timers', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('foo.bar:1|c\nfoo.bar:1|c|@0.5\nt.x:200|ms|@0.25\nh.x:3|h\ng:5|g|@0.1')
  const text = await a.render()
  assert.match(text, /# TYPE foo_bar counter\n/)
  const s = userSamples(text)
  assert.equal(s.get('foo_bar'), 3)
  assert.equal(s.get('t_x_count'), 4)
  assert.equal(s.get('t_x_sum'), 0.8)
  assert.equal(s.get('t_x{quantile="0.99"}'), 0.2)
  assert.equal(s.get('h_x_sum'), 3, 'h is not divided by 1000')
  assert.equal(s.get('g'), 5)
})

test('sets expose the distinct values of the last completed interval', async (t) => {
  const a = await startTestAdapter(['--statsd.set-interval=300ms'])
  t.after(async () => { await a.stop() })
  a.ingest('users:alice|s\nusers:bob|s\nusers:alice|s')
  assert.equal(userSamples(await a.render()).get('users'), 2, 'running count before the first interval ends')
  await waitFor('interval end', async () => userSamples(await a.render()).get('users') === 2)
  await new Promise((resolve) => setTimeout(resolve, 350))
  a.ingest('users:carol|s')
  // The completed interval's count stays until the next one ends.
  await waitFor('next interval', async () => userSamples(await a.render()).get('users') === 1, 3000)
})

test('one name with two label sets keeps both series and counts the variant', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('req:1|c|#a:1\nreq:2|c|#b:2\nreq:3|c')
  const text = await a.render()
  const s = userSamples(text)
  assert.equal(s.get('req{a="1"}'), 1)
  assert.equal(s.get('req{b="2"}'), 2)
  assert.equal(s.get('req'), 3)
  assert.equal(samples(text).get('metrics_adapter_label_set_variants_total'), 2)
  const check = await promtoolCheck(text)
  assert.ok(check.parsed, check.output)
  assert.deepEqual(check.lint, [])
})

test('type conflicts and x_count vs summary x are dropped and counted, never breaking the scrape', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('x:100|ms\nx.count:5|c\nx:1|c\ny.count:1|c\ny:5|ms\nstatsd_exporter_lines_total:1|c')
  const text = await a.render()
  const s = userSamples(text)
  assert.equal(s.get('x_count'), 1, 'the summary owns x_count')
  assert.equal(s.get('y_count'), 1, 'the counter y_count came first and keeps the name')
  assert.equal(s.has('y_sum'), false)
  const all = samples(text)
  assert.equal(all.get('statsd_exporter_events_conflict_total{type="counter"}'), 3)
  assert.equal(all.get('statsd_exporter_events_conflict_total{type="observer"}'), 1)
  assert.equal(all.get('statsd_exporter_lines_total'), 6, 'an input named like an own metric cannot shadow it')
  const check = await promtoolCheck(text)
  assert.ok(check.parsed, check.output)
  assert.deepEqual(check.lint, [])
})

test('NaN and infinities are written as Prometheus spells them and promtool accepts the page', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('n:NaN|g\np:+Inf|g\nm:-Inf|g\nbig:1e+21|g\nempty.timer:1|ms')
  const text = await a.render()
  assert.match(text, /^n NaN$/m)
  assert.match(text, /^p \+Inf$/m)
  assert.match(text, /^m -Inf$/m)
  assert.match(text, /^big 1e\+21$/m)
  const check = await promtoolCheck(text)
  assert.ok(check.parsed, check.output)
  assert.deepEqual(check.lint, [])
})

test('negative counters are rejected as illegal_negative_counter', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('c:5|c\nc:-1|c')
  const text = await a.render()
  assert.equal(userSamples(text).get('c'), 5)
  assert.equal(samples(text).get('statsd_exporter_events_error_total{reason="illegal_negative_counter"}'), 1)
})

test('--max-series refuses new series past the cap and counts them; existing ones keep updating', async (t) => {
  const a = await startTestAdapter(['--max-series=3'])
  t.after(async () => { await a.stop() })
  const lines: string[] = []
  for (let i = 0; i < 10; i++) lines.push(`bomb:1|c|#id:${i}`)
  lines.push('bomb:1|c|#id:0')
  a.ingest(lines.join('\n'))
  const text = await a.render()
  const s = userSamples(text)
  assert.equal([...s.keys()].filter((k) => k.startsWith('bomb')).length, 3)
  assert.equal(s.get('bomb{id="0"}'), 2)
  assert.equal(samples(text).get('metrics_adapter_series_dropped_total'), 7)
})

test('series expire after their mapping ttl', async (t) => {
  const dir = tempDir()
  t.after(dir.cleanup)
  const file = join(dir.path, 'm.yml')
  writeFileSync(file, 'mappings:\n- match: "short.*"\n  name: short\n  labels: { k: "$1" }\n  ttl: 300ms\n')
  const a = await startTestAdapter([`--statsd.mapping-config=${file}`])
  t.after(async () => { await a.stop() })
  a.ingest('short.a:1|c\nlong.a:1|c')
  assert.equal(userSamples(await a.render()).get('short{k="a"}'), 1)
  await waitFor('expiry', async () => !userSamples(await a.render()).has('short{k="a"}'), 5000)
  assert.equal(userSamples(await a.render()).get('long_a'), 1, 'no ttl: kept')
})

test('OpenMetrics is served only when enabled and asked for; counters then gain _total', async (t) => {
  const off = await startTestAdapter()
  t.after(async () => { await off.stop() })
  off.ingest('foo.bar:1|c')
  const plain = await scrape(off.ports.web, '/metrics', 'application/openmetrics-text;version=1.0.0')
  assert.match(plain.type, /^text\/plain/)
  assert.match(plain.body, /^foo_bar 1$/m)

  const on = await startTestAdapter(['--web.openmetrics'])
  t.after(async () => { await on.stop() })
  on.ingest('foo.bar:1|c\nn:NaN|g')
  const om = await scrape(on.ports.web, '/metrics', 'application/openmetrics-text;version=1.0.0')
  assert.match(om.type, /^application\/openmetrics-text/)
  assert.match(om.body, /^# TYPE foo_bar counter$/m)
  assert.match(om.body, /^foo_bar_total 1$/m)
  assert.match(om.body, /^n NaN$/m)
  assert.match(om.body, /# EOF\n$/)
  assert.match(om.body, /^statsd_exporter_lines_total 2$/m)
  const check = await promtoolCheck(om.body)
  assert.ok(check.parsed, check.output)
  const plainAgain = await scrape(on.ports.web, '/metrics')
  assert.match(plainAgain.body, /^foo_bar 1$/m, 'a scraper that does not ask gets the text format')
})

test('a 100k-series page is accepted by promtool', async (t) => {
  const a = await startTestAdapter(['--max-series=200000'])
  t.after(async () => { await a.stop() })
  const lines: string[] = []
  for (let i = 0; i < 50_000; i++) {
    lines.push(`load.c:1|c|#a:${i % 10},b:${i % 7},c:${i}`)
    lines.push(`load.g:${i}|g|#a:${i % 10},b:${i % 7},c:${i}`)
  }
  for (let i = 0; i < 1000; i++) lines.push(`load.t${i}:${i}|ms`)
  a.ingest(lines.join('\n'))
  const text = (await scrape(a.ports.web)).body
  const s = userSamples(text)
  assert.equal(s.get('load_c{a="3",b="2",c="12343"}'), 1)
  assert.equal(s.get('load_g{a="3",b="2",c="12343"}'), 12343)
  const check = await promtoolCheck(text)
  assert.ok(check.parsed, check.output)
  assert.deepEqual(check.lint, [])
})
