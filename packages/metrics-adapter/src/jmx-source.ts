// JMX input through node-jmx (an optional dependency, imported only when a JMX source is
// configured). node-jmx connects; the scrape then calls the MBeanServerConnection through
// reflection with setAccessible (what the --add-opens below permits), since node-jmx's own
// calls report errors only as 'error' events, never to the callback.

import { createRequire } from 'node:module'
import { PodPatternsError, type Logger } from '@pod-patterns/runtime'
import type { SampleFamily } from './exposition.js'
import { preloadNativeBinding } from './native-abi.js'
import { JmxRuleMatcher, type JmxAttribute, type JmxConfig } from './jmx-rules.js'

const ADD_OPENS = '--add-opens=java.management.rmi/javax.management.remote.rmi=ALL-UNNAMED'

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- node-java objects are untyped */
type J = any

interface Bridge { java: J, jmx: { createClient: (o: Record<string, unknown>) => J } }
let bridge: Bridge | undefined

/** Loads node-java (options first, before the JVM starts) and node-jmx; a clear error if absent. */
export function loadJmxBridge (): Bridge {
  if (bridge !== undefined) return bridge
  const require = createRequire(import.meta.url)
  try {
    preloadNativeBinding('java')
    const jmxMain = require.resolve('jmx')
    const fromJmx = createRequire(jmxMain)
    const java = fromJmx('java')
    if (!java.options.includes(ADD_OPENS)) java.options.push(ADD_OPENS)
    if (!java.options.includes('-Xrs')) java.options.push('-Xrs') // leave SIGTERM/SIGINT to Node
    const jmx = fromJmx(jmxMain)
    bridge = { java, jmx }
    return bridge
  } catch (err) {
    throw new PodPatternsError('ERR_ADAPTER_NO_JMX',
      `JMX sources need the optional modules jmx and java (node-java, built against this Node with a JDK; for another Node run packages/metrics-adapter/scripts/build-native.mjs); they did not load: ${(err as Error).message}`, { cause: err })
  }
}

function promisify<T> (fn: (cb: (err: unknown, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, v) => { if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(JSON.stringify(err))); else resolve(v) })
  })
}

function toNumber (v: J): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v !== null && typeof v === 'object') {
    // node-java hands Long as a Number object carrying longValue.
    if (typeof v.longValue === 'string') return Number(v.longValue)
    if (v instanceof Number) return v.valueOf()
  }
  return undefined
}

export class JmxSource {
  readonly name: string
  private conn: J
  private readonly methods = new Map<string, J>()
  private readonly matcher: JmxRuleMatcher
  private attrCache = new Map<string, { names: string[], descriptions: Map<string, string> }>()

  private constructor (private readonly config: JmxConfig, private readonly client: J, private readonly java: J, private readonly logger: Logger) {
    this.name = `jmx:${config.source}`
    this.matcher = new JmxRuleMatcher(config)
  }

  static async create (config: JmxConfig, logger: Logger): Promise<JmxSource> {
    const { java, jmx } = loadJmxBridge()
    const client = jmx.createClient({ service: config.jmxUrl, ...(config.username === undefined ? {} : { username: config.username, password: config.password }) })
    const src = new JmxSource(config, client, java, logger)
    client.on('error', (err: unknown) => { logger.warn({ err: err instanceof Error ? err : new Error(JSON.stringify(err)), url: config.jmxUrl }, 'jmx client error'); src.conn = undefined })
    client.on('disconnect', () => { src.conn = undefined })
    // A first connection failure is not fatal: the target JVM may start later.
    await src.connect().catch((err: unknown) => { logger.warn({ err, url: config.jmxUrl }, 'jmx connect failed; will retry at scrape') })
    return src
  }

  private async connect (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => { cleanup(); resolve() }
      const onError = (err: unknown): void => { cleanup(); reject(err instanceof Error ? err : new Error(String(err))) }
      const timer = setTimeout(() => { cleanup(); reject(new Error(`jmx connect to ${this.config.jmxUrl} timed out`)) }, 10_000)
      const cleanup = (): void => { clearTimeout(timer); this.client.off('connect', onConnect); this.client.off('error', onError) }
      this.client.on('connect', onConnect)
      this.client.on('error', onError)
      this.client.connect()
    })
    this.conn = this.client.javaJmx.mbeanServerConnection.mbeanServerConnection
    this.methods.clear()
  }

  /** Calls a method of the (non-public) RMI connection class through reflection. */
  private async call (name: string, paramClasses: string[], args: J[]): Promise<J> {
    const key = name + '(' + paramClasses.join(',') + ')'
    let method = this.methods.get(key)
    if (method === undefined) {
      const classes = paramClasses.map((c) => this.java.findClassSync(c))
      method = this.conn.getClassSync().getMethodSync(name, ...classes)
      method.setAccessibleSync(true)
      this.methods.set(key, method)
    }
    const argArray = this.java.newArray('java.lang.Object', args)
    return await promisify((cb) => method.invoke(this.conn, argArray, cb))
  }

  /**
   * A Java collection as a JS array, copied through a public ArrayList first: node-java calls
   * methods reflectively, and on a JDK-internal class (Collections$Unmodifiable…) that fails
   * with an access error that aborts the whole process.
   */
  private toArray (collection: J): J[] {
    return this.java.newInstanceSync('java.util.ArrayList', collection).toArraySync()
  }

  private flatten (domain: string, props: Array<[string, string]>, keys: string[], attrName: string, description: string, value: J, out: JmxAttribute[]): void {
    const n = toNumber(value)
    if (n !== undefined) { out.push({ domain, props, attrKeys: keys, attrName, description, value: n }); return }
    if (value === null || typeof value !== 'object') return
    if (typeof value.getCompositeTypeSync === 'function') {
      const names: string[] = this.toArray(value.getCompositeTypeSync().keySetSync())
      for (const k of names) this.flatten(domain, props, [...keys, attrName], k, description, value.getSync(k), out)
      return
    }
    if (typeof value.getTabularTypeSync === 'function') this.flattenTable(domain, props, keys, attrName, description, value, out)
  }

  /**
   * TabularData as jmx_exporter reads it: each row's index columns become extra bean
   * properties (so labels, and `<…, key=v>` in rule patterns; a repeated key gains `_`), and
   * each other column is an attribute under `<…, attrName>` named after the column, except a
   * column called `value`, which keeps the table's own name.
   */
  private flattenTable (domain: string, props: Array<[string, string]>, keys: string[], attrName: string, description: string, table: J, out: JmxAttribute[]): void {
    const type = table.getTabularTypeSync()
    const indexNames: string[] = this.toArray(type.getIndexNamesSync())
    const rowType = type.getRowTypeSync()
    const valueNames = (this.toArray(rowType.keySetSync()) as string[]).filter((k) => !indexNames.includes(k)).sort()
    for (const row of this.toArray(table.valuesSync())) {
      if (row === null || typeof row !== 'object' || typeof row.getSync !== 'function') continue
      const rowProps = [...props]
      for (const idx of indexNames) {
        const v: J = row.getSync(idx)
        if (v === null || v === undefined) continue
        let key = idx
        while (rowProps.some(([k]) => k === key)) key += '_'
        rowProps.push([key, typeof v === 'object' && typeof v.toStringSync === 'function' ? String(v.toStringSync()) : String(v)])
      }
      for (const col of valueNames) {
        const isValue = col.toLowerCase() === 'value'
        this.flatten(domain, rowProps, isValue ? keys : [...keys, attrName], isValue ? attrName : col, description, row.getSync(col), out)
      }
    }
  }

  private allowed (on: J): boolean {
    const test = (patterns: string[]): boolean => patterns.some((p) => this.java.newInstanceSync('javax.management.ObjectName', p).applySync(on))
    if (this.config.includeObjectNames.length > 0 && !test(this.config.includeObjectNames)) return false
    return !test(this.config.excludeObjectNames)
  }

  async scrape (): Promise<JmxAttribute[]> {
    if (this.conn === undefined) await this.connect()
    const set = await this.call('queryNames', ['javax.management.ObjectName', 'javax.management.QueryExp'], [null, null])
    const names: J[] = this.toArray(set)
    const out: JmxAttribute[] = []
    const seen = new Set<string>()
    for (const on of names) {
      if (!this.allowed(on)) continue
      const canonical: string = on.getCanonicalNameSync()
      seen.add(canonical)
      let attrs = this.attrCache.get(canonical)
      if (attrs === undefined) {
        let info: J
        try { info = await this.call('getMBeanInfo', ['javax.management.ObjectName'], [on]) } catch { continue }
        const descriptions = new Map<string, string>()
        const list: string[] = []
        for (const a of info.getAttributesSync()) {
          if (!a.isReadableSync()) continue
          const n: string = a.getNameSync()
          list.push(n)
          descriptions.set(n, a.getDescriptionSync() ?? '')
        }
        attrs = { names: list, descriptions }
        this.attrCache.set(canonical, attrs)
      }
      if (attrs.names.length === 0) continue
      let values: J
      try {
        values = await this.call('getAttributes', ['javax.management.ObjectName', '[Ljava.lang.String;'], [on, this.java.newArray('java.lang.String', attrs.names)])
      } catch (err) {
        this.logger.debug({ err, mbean: canonical }, 'jmx getAttributes failed')
        continue
      }
      const domain: string = on.getDomainSync()
      const props: Array<[string, string]> = String(on.getKeyPropertyListStringSync()).split(',').map((kv) => {
        const eq = kv.indexOf('=')
        return [kv.slice(0, eq), kv.slice(eq + 1)] as [string, string]
      })
      for (const attr of this.toArray(values)) {
        const name: string = attr.getNameSync()
        let v: J
        try { v = attr.getValueSync() } catch { continue }
        this.flatten(domain, props, [], name, attrs.descriptions.get(name) ?? '', v, out)
      }
    }
    for (const k of this.attrCache.keys()) if (!seen.has(k)) this.attrCache.delete(k)
    return out
  }

  async collect (): Promise<SampleFamily[]> {
    const t0 = performance.now()
    let error = 0
    const families = new Map<string, SampleFamily>()
    try {
      for (const a of await this.scrape()) {
        const s = this.matcher.apply(a)
        if (s === undefined) continue
        let f = families.get(s.name)
        if (f === undefined) { f = { name: s.name, help: s.help, type: s.type, samples: [] }; families.set(s.name, f) }
        if (f.type !== s.type) continue
        // Two attributes mapped to one series: the first wins, as jmx_exporter does.
        if (f.samples.some((x) => sameLabels(x.labels, s.labels))) continue
        f.samples.push({ labels: s.labels, value: s.value })
      }
    } catch (err) {
      error = 1
      this.conn = undefined
      this.logger.warn({ err, url: this.config.jmxUrl }, 'jmx scrape failed')
    }
    const seconds = (performance.now() - t0) / 1000
    return [
      ...families.values(),
      { name: 'jmx_scrape_duration_seconds', help: 'Time this JMX scrape took, in seconds.', type: 'gauge', samples: [{ labels: { source: this.config.source }, value: seconds }] },
      { name: 'jmx_scrape_error', help: 'Non-zero if this scrape failed.', type: 'gauge', samples: [{ labels: { source: this.config.source }, value: error }] },
      { name: 'jmx_scrape_cached_rule_matches_total', help: 'Rule matches answered from the cache.', type: 'counter', samples: [{ labels: { source: this.config.source }, value: this.matcher.hits }] }
    ]
  }

  close (): Promise<void> {
    try { if (this.conn !== undefined) this.client.disconnect() } catch { /* already gone */ }
    this.conn = undefined
    return Promise.resolve()
  }
}

function sameLabels (a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => a[k] === b[k])
}
