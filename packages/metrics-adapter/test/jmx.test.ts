// JMX input against a real JVM started here (custom MBean compiled with javac): jmx_exporter
// rules, default names, composite data, include/exclude, valueFactor, lowercase, cache, errors.

import { test } from 'node:test'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '@pod-patterns/runtime'
import { JmxRuleMatcher, parseJmxConfig } from '../src/jmx-rules.js'
import { ensureNativeBindings } from '../src/native-abi.js'
import { HAVE_JDK, startJvm } from './helpers/jvm.js'
import { promtoolCheck, samples, scrape, tempDir, userSamples, waitFor } from './helpers/adapter.js'

const BIN = fileURLToPath(new URL('../src/main.js', import.meta.url))

const RULES = (port: number): string => `
hostPort: 127.0.0.1:${port}
lowercaseOutputName: true
lowercaseOutputLabelNames: true
includeObjectNames: ["com.example:*", "java.lang:type=Memory"]
excludeObjectNames: ["com.example:type=Hidden,*"]
rules:
- pattern: 'com.example<type=Queue, name=(\\w+)><>Depth'
  name: Queue_Depth
  labels: { Queue: "$1" }
  help: "Messages waiting in $1"
  type: GAUGE
- pattern: 'com.example<type=Queue, name=(\\w+)><>BytesIn'
  name: queue_kilobytes_in
  labels: { queue: "$1" }
  valueFactor: 0.001
  type: COUNTER
- pattern: 'java.lang<type=Memory><HeapMemoryUsage>(used|max)'
  name: jvm_heap_$1_bytes
- pattern: 'com.example<type=Queue, name=(\\w+)><>Healthy'
- pattern: 'com.example<type=Queue, name=(\\w+), client=(\\w+)><Consumers>(lag|rate)'
  name: consumer_$3
  labels: { queue: "$1", client: "$2" }
- pattern: 'com.example<type=Queue, name=(\\w+), key=(\\w+)><>Limits'
`

test('the rule engine matches jmx_exporter\'s attribute strings and caches matches by name', () => {
  const cfg = parseJmxConfig(RULES(1))
  const m = new JmxRuleMatcher(cfg)
  const attr = { domain: 'com.example', props: [['type', 'Queue'], ['name', 'orders']] as Array<[string, string]>, attrKeys: [], attrName: 'Depth', description: '', value: 42 }
  assert.equal(JmxRuleMatcher.matchName(attr), 'com.example<type=Queue, name=orders><>Depth')
  assert.deepEqual(m.apply(attr), { name: 'queue_depth', type: 'gauge', help: 'Messages waiting in orders', labels: { queue: 'orders' }, value: 42 })
  m.apply({ ...attr, value: 43 })
  assert.equal(m.hits, 1, 'the second lookup of the same attribute is a cache hit')
  const fallback = m.apply({ ...attr, attrName: 'Healthy', value: 1 })
  assert.equal(fallback?.name, 'com_example_queue_healthy', 'a rule without a name uses the default format')
  assert.deepEqual(fallback?.labels, { name: 'orders' })
  assert.equal(m.apply({ ...attr, attrName: 'Other' }), undefined, 'no rule: not exported')
})

test('invalid jmx configs are rejected with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['rules: []', /hostPort.*jmxUrl/],
    ['hostPort: a:1\njmxUrl: service:jmx:x', /not both/],
    ['hostPort: a:1\nrules: [ { pattern: "(" } ]', /pattern/],
    ['hostPort: a:1\nrules: [ { pattern: "x", type: HISTOGRAM } ]', /GAUGE, COUNTER or UNTYPED/],
    ['hostPort: a:1\nrules: [ { pattern: "x", valueFactor: lots } ]', /valueFactor/],
    ['hostPort: a:1\nincludeObjectNames: x', /list of object names/]
  ]
  for (const [yaml, re] of bad) assert.throws(() => parseJmxConfig(yaml), (err: unknown) => err instanceof ConfigError && re.test(err.message), yaml)
})

test('a live JVM\'s MBeans become series through the rules', { skip: !HAVE_JDK && 'no JDK (scripts/setup.sh installs default-jdk-headless)', timeout: 240_000 }, async (t) => {
  // On a Node whose ABI the native modules were not built for, build them now (see native-abi.ts).
  await ensureNativeBindings(['java'])
  const dir = tempDir('ma-jvm-')
  t.after(dir.cleanup)
  const jvm = await startJvm(dir.path)
  t.after(jvm.stop)
  const file = join(dir.path, 'jmx.yml')
  writeFileSync(file, RULES(jvm.port))
  // The adapter runs as the real binary: once node-java has started a JVM inside a Node process,
  // that process only ends through process.exit (which the CLI does on SIGTERM).
  const child = spawn(process.execPath, [BIN, `--jmx.config-file=${file}`, '--statsd.listen-udp=', '--statsd.listen-tcp=', '--web.listen-address=127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  t.after(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  let port = 0
  await waitFor('adapter listening', () => {
    const m = /"msg":"ops server listening"[^\n]*|"port":(\d+)[^\n]*"msg":"ops server listening"/.exec(out)
    const line = out.split('\n').find((l) => l.includes('ops server listening'))
    if (line !== undefined) port = (JSON.parse(line) as { address: { port: number } }).address.port
    if (child.exitCode !== null) throw new Error(`adapter exited: ${out}`)
    return m !== null && port > 0
  }, 30_000)
  const a = { render: async () => (await scrape(port)).body }
  const text = await a.render()
  const s = userSamples(text)
  assert.equal(s.get('queue_depth{queue="orders"}'), 42)
  assert.equal(s.get('queue_depth{queue="billing"}'), 7)
  assert.equal(s.get('queue_kilobytes_in{queue="orders"}'), 2.048)
  assert.equal(s.get('com_example_queue_healthy{name="orders"}'), 1, 'booleans are 1/0')
  // TabularData: index columns are bean properties (labels), value columns attributes.
  assert.equal(s.get('consumer_lag{client="c1",queue="orders"}'), 43)
  assert.equal(s.get('consumer_lag{client="c2",queue="billing"}'), 9)
  assert.equal(s.get('consumer_rate{client="c2",queue="orders"}'), 2.5)
  assert.equal(s.get('com_example_queue_limits{key="max",name="orders"}'), 100, 'a `value` column keeps the table\'s name; default names take the row keys as labels')
  assert.ok((s.get('jvm_heap_used_bytes') ?? 0) > 0, 'composite data (HeapMemoryUsage.used) is read')
  assert.ok((s.get('jvm_heap_max_bytes') ?? 0) > 0)
  assert.equal([...s.keys()].some((k) => k.includes('secret') || k.includes('hidden')), false, 'excludeObjectNames')
  assert.equal([...s.keys()].some((k) => k.startsWith('java_lang_threading')), false, 'includeObjectNames')
  assert.match(text, /# HELP queue_depth Messages waiting in (orders|billing)\n/)
  assert.match(text, /# TYPE queue_kilobytes_in counter/)
  const src = file
  assert.equal(s.get(`jmx_scrape_error{source="${src}"}`), 0)
  assert.ok((s.get(`jmx_scrape_duration_seconds{source="${src}"}`) ?? -1) >= 0)
  const again = samples(await a.render())
  assert.ok((again.get(`jmx_scrape_cached_rule_matches_total{source="${src}"}`) ?? 0) > 0, 'the second scrape answers rule matches from the cache')
  const check = await promtoolCheck(text)
  assert.ok(check.parsed, check.output)

  // The JVM goes away: the scrape still answers, with jmx_scrape_error 1.
  await jvm.stop()
  const down = userSamples(await a.render())
  assert.equal(down.get(`jmx_scrape_error{source="${src}"}`), 1)
  assert.equal(down.has('queue_depth{queue="orders"}'), false)
  assert.equal(child.exitCode, null, `the adapter is still running: ${out.slice(-2000)}`)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  assert.equal(await exited, 0, 'SIGTERM ends the adapter cleanly with a JVM inside')
})
