// The StatsD line parser: every line form of the reference, and every bad line by reason.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ALL_TAG_STYLES, escapeName, parseLine, type LineErrorReason, type StatsdSample, type TagStyles } from '../src/statsd-line.js'

function parse (line: string, styles: TagStyles = ALL_TAG_STYLES): { samples: StatsdSample[], errors: LineErrorReason[], skipped: string[], tags: [number, number] } {
  const out = { samples: [] as StatsdSample[], errors: [] as LineErrorReason[], skipped: [] as string[], tags: [0, 0] as [number, number] }
  parseLine(line, styles, {
    sample: (s) => { out.samples.push(s) },
    error: (r) => { out.errors.push(r) },
    skipped: (k) => { out.skipped.push(k) },
    tags: (s, e) => { out.tags[0] += s; out.tags[1] += e }
  })
  return out
}

function one (line: string, styles?: TagStyles): StatsdSample {
  const r = parse(line, styles)
  assert.deepEqual(r.errors, [], `unexpected errors for ${line}`)
  assert.equal(r.samples.length, 1, `one sample from ${line}`)
  return r.samples[0] as StatsdSample
}

test('reads each type: c, g, ms, h, d, s', () => {
  for (const t of ['c', 'g', 'ms', 'h', 'd'] as const) {
    const s = one(`a.b:2.5|${t}`)
    assert.equal(s.type, t)
    assert.equal(s.value, 2.5)
    assert.equal(s.name, 'a.b')
  }
  const set = one('users:alice|s')
  assert.equal(set.type, 's')
  assert.equal(set.member, 'alice')
})

test('gauges with a leading sign are relative changes, including gauge(-5) as sent by hot-shots', () => {
  assert.equal(one('g:+4|g').relative, true)
  const neg = one('g:-5|g')
  assert.equal(neg.relative, true)
  assert.equal(neg.value, -5)
  assert.equal(one('g:5|g').relative, false)
})

test('sample rates are read; gauges ignore them; bad rates are invalid_sample_factor', () => {
  assert.equal(one('c:1|c|@0.25').rate, 0.25)
  assert.equal(one('t:1|ms|@0.5').rate, 0.5)
  assert.equal(one('g:1|g|@0.5').rate, 1)
  assert.equal(one('c:1|c|@0').rate, 1, 'a rate of 0 reads as 1, as statsd_exporter does')
  for (const bad of ['c:1|c|@x', 'c:1|c|@-1', 'c:1|c|@2', 'c:1|c|@']) assert.deepEqual(parse(bad).errors, ['invalid_sample_factor'], bad)
})

test('NaN, Inf and exponents are values; hex and spaces are not', () => {
  assert.ok(Number.isNaN(one('n:NaN|g').value))
  assert.equal(one('n:1e+21|g').value, 1e21)
  assert.equal(one('n:+Inf|g').value, Infinity)
  assert.equal(one('n:-Inf|g').value, -Infinity)
  assert.equal(one('n:.5|c').value, 0.5)
  for (const bad of ['n:0x10|g', 'n: 1|g', 'n:abc|c', 'n:|c', 'n:1.2.3|c']) assert.deepEqual(parse(bad).errors, ['malformed_value'], bad)
})

test('DogStatsD tags: values keep later colons, valueless tags are dropped, extras are ignored', () => {
  const s = one('app.req:1|c|#env:dev,route:/a:b,flag|c:abc123|T1700000000|e:it-1|card:low')
  assert.deepEqual(s.labels, { env: 'dev', route: '/a:b' })
  const r = parse('a:1|c|#:v,k:v')
  assert.deepEqual(r.tags, [2, 1])
})

test('InfluxDB, Librato and SignalFX tags become labels', () => {
  assert.deepEqual(one('app.req,env=dev,k=v:3|c|@0.5').labels, { env: 'dev', k: 'v' })
  assert.deepEqual(one('app.req#env=dev,k=v:3|c').labels, { env: 'dev', k: 'v' })
  const sfx = one('app[env=dev,k=v].req:3|c')
  assert.deepEqual(sfx.labels, { env: 'dev', k: 'v' })
  assert.equal(sfx.name, 'app.req')
})

test('an InfluxDB tag value may contain colons (hot-shots telegraf mode)', () => {
  const s = one('app.req,route=/a:b:c:7|c')
  assert.equal(s.name, 'app.req')
  assert.deepEqual(s.labels, { route: '/a:b:c' })
  assert.equal(s.value, 7)
})

test('tag keys are escaped like names; label values stay raw', () => {
  assert.deepEqual(one('a:1|c|#my-key.x:v.a-l"ue').labels, { my_key_x: 'v.a-l"ue' })
})

test('mixing tag styles in one line is mixed_tagging_styles', () => {
  for (const bad of ['a,k=v:1|c|#x:y', 'a#k=v:1|c|#x:y', 'a[k=v],x=y:1|c', 'a,k=v#x=y:1|c']) {
    assert.deepEqual(parse(bad).errors, ['mixed_tagging_styles'], bad)
  }
})

test('a disabled tag style leaves the characters in the name', () => {
  const s = one('a,k=v:1|c', { ...ALL_TAG_STYLES, influxdb: false })
  assert.equal(s.name, 'a,k=v')
  assert.deepEqual(s.labels, {})
})

test('multi-value lines and extended aggregation yield several samples', () => {
  const multi = parse('a:1|c:2|g:3|ms')
  assert.deepEqual(multi.samples.map((s) => [s.type, s.value]), [['c', 1], ['g', 2], ['ms', 3]])
  const ext = parse('t:1:2:3|ms|#k:v')
  assert.deepEqual(ext.samples.map((s) => s.value), [1, 2, 3])
  assert.deepEqual(ext.samples[0]?.labels, { k: 'v' })
  const ext2 = parse('t:1:2:3|h')
  assert.deepEqual(ext2.samples.map((s) => [s.type, s.value]), [['h', 1], ['h', 2], ['h', 3]])
})

test('events and service checks are skipped, not errors', () => {
  const e = parse('_e{10,4}:title12345|text|d:123|#k:v')
  assert.deepEqual(e.skipped, ['event'])
  assert.deepEqual(e.errors, [])
  const sc = parse('_sc|name|0|#k:v')
  assert.deepEqual(sc.skipped, ['service_check'])
})

test('malformed lines are reported by statsd_exporter reason names', () => {
  const cases: Array<[string, LineErrorReason]> = [
    ['no-colon-or-pipe', 'malformed_line'],
    ['a:1', 'malformed_line'],
    [':1|c', 'malformed_line'],
    ['a|c:1', 'malformed_line'],
    ['a:1|', 'malformed_component'],
    ['a:1|x', 'illegal_event'],
    ['a:1|c|zzz', 'malformed_component'],
    ['a:1|c:2', 'malformed_component'],
    ['a:1|c|#k:v|zzz', 'malformed_component']
  ]
  for (const [line, reason] of cases) assert.deepEqual(parse(line).errors, [reason], line)
})

test('names escape like statsd_exporter: invalid characters, leading digit, runs of -', () => {
  assert.equal(escapeName('foo.bar'), 'foo_bar')
  assert.equal(escapeName('1abc'), '_1abc')
  assert.equal(escapeName('a--b-c'), 'a_b_c')
  assert.equal(escapeName('a b/c'), 'a_b_c')
})
