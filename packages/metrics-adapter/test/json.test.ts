// JSON input against a real local HTTP endpoint: json_exporter modules on /probe, targets
// fetched per scrape and on an interval, headers, status codes, bad documents, bad configs.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { ConfigError } from '@pod-patterns/runtime'
import { parseJsonConfig } from '../src/json-source.js'
import { evaluateJsonPath } from '../src/jsonpath.js'
import { promtoolCheck, samples, scrape, startTestAdapter, tempDir, userSamples, waitFor } from './helpers/adapter.js'

const DOC = {
  counter: 1234,
  timestamp: 1657568506,
  location: 'mars',
  values: [
    { id: 'id-A', count: 1, some_boolean: true, state: 'ACTIVE' },
    { id: 'id-B', count: 2, some_boolean: true, state: 'INACTIVE' },
    { id: 'id-C', count: 3, some_boolean: false, state: 'ACTIVE' }
  ],
  nested: { 'dotted.key': 9, list: [10, 20, 30] }
}

const CONFIG = `
modules:
  default:
    headers:
      X-Dummy: my-test-header
    metrics:
    - name: example_global_value
      path: '{ .counter }'
      help: Example of a top-level global value scrape in the json
      valuetype: gauge
      labels:
        environment: beta
        location: 'planet-{.location}'
    - name: example_value
      type: object
      help: Example of sub-level value scrapes from a json
      path: '{.values[?(@.state == "ACTIVE")]}'
      labels:
        environment: beta
        id: '{.id}'
      values:
        active: 1
        count: '{.count}'
        boolean: '{.some_boolean}'
    - name: dotted
      path: "{.nested['dotted.key']}"
    - name: last_of_list
      path: '{.nested.list[-1]}'
      valuetype: counter
  strict:
    valid_status_codes: [201]
    metrics:
    - name: s
      path: '{.counter}'
targets:
- url: URL/per-scrape
  module: default
  labels: { instance: per-scrape }
- url: URL/interval
  module: default
  interval: 200ms
  labels: { instance: interval }
`

async function jsonServer (t: { after: (fn: () => Promise<void> | void) => void }): Promise<{ url: string, headers: string[], hits: () => number }> {
  const headers: string[] = []
  let hits = 0
  const server = http.createServer((req, res) => {
    hits++
    headers.push(String(req.headers['x-dummy']))
    if (req.url === '/broken') { res.writeHead(200, { 'content-type': 'application/json' }).end('{not json'); return }
    if (req.url === '/missing') { res.writeHead(404).end('no'); return }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(DOC))
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  t.after(async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }) })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, headers, hits: () => hits }
}

test('/probe?module=&target= answers with the module\'s series from a live JSON endpoint', async (t) => {
  const srv = await jsonServer(t)
  const dir = tempDir()
  t.after(dir.cleanup)
  const file = join(dir.path, 'json.yml')
  writeFileSync(file, CONFIG.replace(/URL/g, srv.url))
  const a = await startTestAdapter([`--json.config-file=${file}`])
  t.after(async () => { await a.stop() })
  const r = await scrape(a.ports.web, `/probe?module=default&target=${encodeURIComponent(srv.url + '/doc')}`)
  assert.equal(r.status, 200)
  assert.deepEqual(Object.fromEntries(samples(r.body)), {
    'example_global_value{environment="beta",location="planet-mars"}': 1234,
    'example_value_active{environment="beta",id="id-A"}': 1,
    'example_value_active{environment="beta",id="id-C"}': 1,
    'example_value_count{environment="beta",id="id-A"}': 1,
    'example_value_count{environment="beta",id="id-C"}': 3,
    'example_value_boolean{environment="beta",id="id-A"}': 1,
    'example_value_boolean{environment="beta",id="id-C"}': 0,
    dotted: 9,
    last_of_list: 30
  })
  assert.match(r.body, /# TYPE example_global_value gauge/)
  assert.match(r.body, /# TYPE last_of_list counter/)
  assert.match(r.body, /# TYPE dotted untyped/)
  assert.ok(srv.headers.includes('my-test-header'), 'module headers are sent')
  const check = await promtoolCheck(r.body)
  assert.ok(check.parsed, check.output)

  assert.equal((await scrape(a.ports.web, '/probe?module=default')).status, 400)
  assert.equal((await scrape(a.ports.web, `/probe?module=nope&target=${srv.url}`)).status, 400)
  assert.equal((await scrape(a.ports.web, `/probe?module=default&target=${encodeURIComponent(srv.url + '/broken')}`)).status, 503)
  assert.equal((await scrape(a.ports.web, `/probe?module=strict&target=${encodeURIComponent(srv.url + '/doc')}`)).status, 503, 'status 200 is not in valid_status_codes [201]')
  assert.equal((await scrape(a.ports.web, '/healthz')).status, 200)
})

test('targets are fetched on each scrape or on their interval and appear in /metrics with json_target_up', async (t) => {
  const srv = await jsonServer(t)
  const dir = tempDir()
  t.after(dir.cleanup)
  const file = join(dir.path, 'json.yml')
  writeFileSync(file, CONFIG.replace(/URL/g, srv.url) + `- url: ${srv.url}/missing\n  module: default\n- url: ${srv.url}/again\n  module: default\n  labels: { instance: per-scrape }\n`)
  const a = await startTestAdapter([`--json.config-file=${file}`])
  t.after(async () => { await a.stop() })
  const before = srv.hits()
  const page = await scrape(a.ports.web)
  const s = userSamples(page.body)
  assert.equal(s.get('example_global_value{environment="beta",instance="per-scrape",location="planet-mars"}'), 1234, 'target labels are added')
  const dupes = page.body.split('\n').filter((l) => l.startsWith('example_global_value{environment="beta",instance="per-scrape"'))
  assert.equal(dupes.length, 1, 'a target repeating another\'s series is dropped, not written twice')
  assert.equal(samples(page.body).get('metrics_adapter_scrape_conflicts_total{source="json"}') ?? 0, 0, 'counted from the next scrape on')
  assert.ok((samples((await scrape(a.ports.web)).body).get('metrics_adapter_scrape_conflicts_total{source="json"}') ?? 0) > 0)
  assert.equal(s.get(`json_target_up{module="default",target="${srv.url}/per-scrape"}`), 1)
  assert.equal(s.get(`json_target_up{module="default",target="${srv.url}/missing"}`), 0)
  assert.ok(srv.hits() > before, 'per-scrape targets are fetched during the scrape')
  await waitFor('interval target up', async () => userSamples((await scrape(a.ports.web)).body).get(`json_target_up{module="default",target="${srv.url}/interval"}`) === 1)
  assert.equal(userSamples((await scrape(a.ports.web)).body).get('example_global_value{environment="beta",instance="interval",location="planet-mars"}'), 1234)
  const check = await promtoolCheck(page.body)
  assert.ok(check.parsed, check.output)
})

test('JSONPath covers filters, wildcards, slices, recursion and bracket keys', () => {
  assert.deepEqual(evaluateJsonPath('{.values[*].id}', DOC), ['id-A', 'id-B', 'id-C'])
  assert.deepEqual(evaluateJsonPath('{.values[?(@.count > 1)].id}', DOC), ['id-B', 'id-C'])
  assert.deepEqual(evaluateJsonPath('{.values[?(@.state != "ACTIVE")].count}', DOC), [2])
  assert.deepEqual(evaluateJsonPath('{.values[0:2].count}', DOC), [1, 2])
  assert.deepEqual(evaluateJsonPath('{..count}', DOC), [1, 2, 3])
  assert.deepEqual(evaluateJsonPath('{$.nested.list[1]}', DOC), [20])
  assert.deepEqual(evaluateJsonPath('{.nope.deeper}', DOC), [])
})

test('invalid json configs are rejected with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['modules: { default: { metrics: [ { path: "{.a}" } ] } }', /name.*required/],
    ['modules: { default: { metrics: [ { name: x } ] } }', /path.*required/],
    ['modules: { default: { metrics: [ { name: x, path: "{.a}", type: bogus } ] } }', /type must be/],
    ['modules: { default: { metrics: [ { name: x, path: "{.a}", valuetype: histogram } ] } }', /valuetype/],
    ['modules: { default: { metrics: [ { name: x, path: "{.a}", type: object } ] } }', /needs `values`/],
    ['modules: { default: { metrics: [ { name: x, path: "{.a[?(x)]}" } ] } }', /unsupported filter/],
    ['modules: { default: { metrics: [] } }\ntargets: [ { url: "ftp://x", module: default } ]', /url/],
    ['modules: { default: { metrics: [] } }\ntargets: [ { url: "http://x", module: other } ]', /unknown module/]
  ]
  for (const [yaml, re] of bad) assert.throws(() => parseJsonConfig(yaml), (err: unknown) => err instanceof ConfigError && re.test(err.message), yaml)
})
