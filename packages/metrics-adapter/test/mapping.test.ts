// statsd_exporter mapping compatibility: globs, regexes, captures, types, observers, drop,
// honor_labels, defaults, glob-before-regex ordering, prefix globs, and config errors.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '@pod-patterns/runtime'
import { Mapper, parseMappingConfig } from '../src/mapping.js'
import { startTestAdapter, tempDir, userSamples } from './helpers/adapter.js'

const YAML = `
defaults:
  observer_type: summary
  ttl: 0
mappings:
- match: "test.dispatcher.*.*.*"
  name: "dispatcher_events_total"
  labels:
    processor: "$1"
    action: "$2"
    outcome: "\${3}"
    job: "test_dispatcher"
- match: "(.*)\\\\.regex\\\\.(.*)"
  match_type: regex
  name: "regex_\${2}"
  labels: { from: "$1" }
- match: "*.regex.first"
  name: "glob_won"
- match: "timer.hist.*"
  observer_type: histogram
  histogram_options: { buckets: [0.1, 1, 10] }
  name: "hist_seconds"
  labels: { kind: "$1" }
- match: "timer.quant.*"
  summary_options: { quantiles: [{ quantile: 0.5, error: 0.05 }], max_age: 5m, age_buckets: 2 }
  name: "quant_seconds"
- match: "typed.*"
  match_metric_type: gauge
  name: "typed_gauge"
- match: "typed.*"
  name: "typed_other"
- match: "drop.**"
  action: drop
  name: dropped
- match: "app.http.**"
  name: "http_$1"
- match: "svc.req_*"
  name: "svc_req"
  labels: { what: "$1" }
- match: "honor.*"
  name: "honor"
  honor_labels: true
  labels: { env: "mapped" }
- match: "nohonor.*"
  name: "nohonor"
  labels: { env: "mapped" }
`

test('mapping rules rename, label and type StatsD metrics as statsd_exporter does', async (t) => {
  const dir = tempDir()
  t.after(dir.cleanup)
  const file = join(dir.path, 'mapping.yml')
  writeFileSync(file, YAML)
  const a = await startTestAdapter([`--statsd.mapping-config=${file}`])
  t.after(async () => { await a.stop() })
  a.ingest([
    'test.dispatcher.p1.send.ok:3|c',
    'x.regex.first:1|c',
    'y.regex.second:2|c',
    'timer.hist.a:500|ms',
    'timer.hist.a:5000|ms',
    'timer.quant.b:100|ms',
    'typed.g:7|g',
    'typed.c:1|c',
    'drop.me.please:1|c',
    'app.http.req.count:3|c',
    'svc.req_time:4|g',
    'honor.x:1|c|#env:tag',
    'nohonor.x:1|c|#env:tag'
  ].join('\n'))
  const s = userSamples(await a.render())
  assert.equal(s.get('dispatcher_events_total{action="send",job="test_dispatcher",outcome="ok",processor="p1"}'), 3)
  assert.equal(s.get('glob_won'), 1, 'glob rules are tried before regex rules, whatever the file order')
  assert.equal(s.get('regex_second{from="y"}'), 2)
  assert.equal(s.get('hist_seconds_bucket{kind="a",le="0.1"}'), 0)
  assert.equal(s.get('hist_seconds_bucket{kind="a",le="1"}'), 1)
  assert.equal(s.get('hist_seconds_bucket{kind="a",le="10"}'), 2)
  assert.equal(s.get('hist_seconds_bucket{kind="a",le="+Inf"}'), 2)
  assert.equal(s.get('hist_seconds_sum{kind="a"}'), 5.5)
  assert.equal(s.get('quant_seconds{quantile="0.5"}'), 0.1)
  assert.equal(s.has('quant_seconds{quantile="0.9"}'), false)
  assert.equal(s.get('typed_gauge'), 7, 'match_metric_type: gauge only takes gauges')
  assert.equal(s.get('typed_other'), 1)
  assert.equal([...s.keys()].some((k) => k.includes('drop')), false, 'action: drop drops')
  assert.equal(s.get('http_req_count'), 3, '** captures the rest of the name')
  assert.equal(s.get('svc_req{what="time"}'), 4, 'prefix_* globs capture the rest of a component')
  assert.equal(s.get('honor{env="tag"}'), 1, 'honor_labels: tags win')
  assert.equal(s.get('nohonor{env="mapped"}'), 1, 'by default mapping labels win')
  assert.equal(a.stats.eventsUnmapped, 0)
})

test('the first matching glob in file order wins', () => {
  const m = new Mapper(parseMappingConfig('mappings:\n- match: "a.*"\n  name: first\n- match: "a.b"\n  name: second\n'))
  assert.equal(m.map('a.b', 'counter').name, 'first')
})

test('mapping results are cached and the cache is cleared on replace', () => {
  const m = new Mapper(parseMappingConfig('mappings:\n- match: "a.*"\n  name: one\n'))
  assert.equal(m.map('a.b', 'counter').name, 'one')
  assert.equal(m.map('a.b', 'counter').name, 'one')
  m.replace(parseMappingConfig('mappings:\n- match: "a.*"\n  name: two\n'))
  assert.equal(m.map('a.b', 'counter').name, 'two')
})

test('invalid mapping configs are rejected with a message naming the problem', () => {
  const bad: Array<[string, RegExp]> = [
    ['mappings: [{ name: x }]', /match.*required/],
    ['mappings: [{ match: "a.*", name: "bad name" }]', /invalid metric name/],
    ['mappings: [{ match: "(", match_type: regex, name: x }]', /invalid match/],
    ['mappings: [{ match: "a", name: x, match_type: fuzzy }]', /match_type/],
    ['mappings: [{ match: "a", name: x, observer_type: bogus }]', /observer_type/],
    ['mappings: [{ match: "a", name: x, ttl: forever }]', /invalid duration/],
    ['mappings: [{ match: "a", name: x, histogram_options: { buckets: [a] } }]', /list of numbers/],
    ['mappings: [{ match: "a", name: x, labels: { "bad-label": y } }]', /invalid label name/],
    ['mappings: [{ match: "a", name: x, match_metric_type: histogram }]', /match_metric_type/],
    ['mapings: []', /unknown key/],
    ['mappings: [ {', /yaml/]
  ]
  for (const [yaml, re] of bad) {
    assert.throws(() => parseMappingConfig(yaml), (err: unknown) => err instanceof ConfigError && re.test(err.message), yaml)
  }
})
