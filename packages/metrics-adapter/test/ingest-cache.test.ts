// The ingest fast path caches what a line shape (the line without its value) resolved to; these
// tests pin that a cached shape behaves exactly like a freshly parsed line, and that the cache
// lets go when series expire or the mapping is reloaded.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { samples, startTestAdapter, tempDir, userSamples, waitFor } from './helpers/adapter.js'

test('repeated line shapes keep exact counter, gauge, set and timer semantics', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('c.x:1|c\nc.x:1|c\nc.x:1|c\nc.x:2|c|@0.5\nc.x:2|c|@0.5')
  a.ingest('g.x:10|g\ng.x:+5|g\ng.x:-3|g\ng.x:+5|g')
  a.ingest('s.x:a|s\ns.x:b|s\ns.x:a|s')
  a.ingest('t.x:100|ms|@0.5\nt.x:300|ms|@0.5')
  a.ingest('k.x,host=a:1|c\nk.x,host=a:4|c\nk.x,host=b:1|c\nk.x:1|c|#host:a\nk.x:1|c|#host:a')
  let s = userSamples(await a.render())
  assert.equal(s.get('c_x'), 11)
  assert.equal(s.get('g_x'), 17)
  assert.equal(s.get('s_x'), 2)
  assert.equal(s.get('t_x_count'), 4)
  assert.equal(s.get('t_x_sum'), 0.8)
  assert.equal(s.get('k_x{host="a"}'), 7)
  assert.equal(s.get('k_x{host="b"}'), 1)
  a.ingest('g.x:4|g')
  s = userSamples(await a.render())
  assert.equal(s.get('g_x'), 4, 'an absolute gauge after relative ones on the same shape')
})

test('a bad value on a cached shape is counted by reason and changes nothing', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  a.ingest('c.x:1|c\nc.x:1|c\nc.x:abc|c\nc.x:-1|c\nc.x:0x10|c\nc.x:1|c\ns.x:|s')
  const all = samples(await a.render())
  assert.equal(userSamples(await a.render()).get('c_x'), 3)
  assert.equal(all.get('statsd_exporter_sample_errors_total{reason="malformed_value"}'), 3)
  assert.equal(all.get('statsd_exporter_events_error_total{reason="illegal_negative_counter"}'), 1)
  assert.equal(all.get('statsd_exporter_lines_total'), 7)
  assert.equal(all.get('statsd_exporter_samples_total'), 4)
})

test('tags and samples are counted on every line, cached or not', async (t) => {
  const a = await startTestAdapter()
  t.after(async () => { await a.stop() })
  for (let i = 0; i < 5; i++) a.ingest('k.x,host=a,zone=z:1|c\nk.y:1|g|#a:b,c')
  const all = samples(await a.render())
  assert.equal(all.get('statsd_exporter_tags_total'), 20)
  assert.equal(all.get('statsd_exporter_samples_total'), 10)
  assert.equal(all.get('statsd_exporter_events_total{type="counter"}'), 5)
  assert.equal(all.get('statsd_exporter_events_total{type="gauge"}'), 5)
})

test('a shape whose series expired starts a new series; a reloaded mapping applies at once', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const file = join(dir.path, 'mapping.yml')
  writeFileSync(file, 'mappings:\n- match: "e.*"\n  name: e_$1\n  ttl: 300ms\n- match: "d.*"\n  name: d\n  action: drop\n- match: "r.x"\n  name: before\n')
  const a = await startTestAdapter([`--statsd.mapping-config=${file}`])
  t.after(async () => { await a.stop() })
  a.ingest('e.x:1|c\ne.x:1|c\nd.x:1|c\nd.x:1|c\nr.x:1|c\nr.x:1|c')
  let s = userSamples(await a.render())
  assert.equal(s.get('e_x'), 2)
  assert.equal(s.get('before'), 2)
  assert.equal([...s.keys()].some((k) => k.startsWith('d')), false, 'dropped by the mapping')
  await waitFor('e_x expired', async () => !userSamples(await a.render()).has('e_x'))
  a.ingest('e.x:1|c')
  assert.equal(userSamples(await a.render()).get('e_x'), 1, 'the same shape after expiry lands in a live series')
  writeFileSync(file, 'mappings:\n- match: "r.x"\n  name: after\n')
  await a.reload()
  a.ingest('r.x:1|c\nd.x:5|c')
  s = userSamples(await a.render())
  assert.equal(s.get('after'), 1)
  assert.equal(s.get('d_x'), 5, 'the drop rule is gone after the reload')
})
