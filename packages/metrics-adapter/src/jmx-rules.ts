// jmx_exporter-compatible config and rule engine, without the JVM: each MBean attribute is
// written as `domain<k1=v1, k2=v2><key1, key2>attrName: value` and run through the rules.
// Matches are cached per attribute name so a scrape does not re-run every regex.

import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { ConfigError } from '@pod-patterns/runtime'
import type { FamilyType } from './exposition.js'

export interface JmxRule {
  pattern: RegExp | undefined
  /** Pattern text looks at the value part (`: `), so its match cannot be cached by name. */
  readsValue: boolean
  name: string | undefined
  value: string | undefined
  valueFactor: number
  labels: Array<[string, string]>
  help: string | undefined
  type: FamilyType
}

export interface JmxConfig {
  /** `service:jmx:rmi:///jndi/rmi://host:port/jmxrmi` */
  jmxUrl: string
  username: string | undefined
  password: string | undefined
  ssl: boolean
  lowercaseOutputName: boolean
  lowercaseOutputLabelNames: boolean
  includeObjectNames: string[]
  excludeObjectNames: string[]
  rules: JmxRule[]
  source: string
}

function fail (where: string, msg: string): never {
  throw new ConfigError(`jmx config: ${where}: ${msg}`, '--jmx.config-file')
}

function stringList (v: unknown, where: string): string[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(where, 'expected a list of object names')
  return v as string[]
}

export function parseJmxConfig (text: string, source = 'jmx'): JmxConfig {
  let doc: unknown
  try { doc = parseYaml(text) } catch (err) { fail('yaml', (err as Error).message) }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) fail('top level', 'expected a mapping')
  const top = doc as Record<string, unknown>
  let jmxUrl: string
  if (typeof top.jmxUrl === 'string' && top.jmxUrl !== '') {
    if (top.hostPort !== undefined) fail('top level', 'set hostPort or jmxUrl, not both')
    jmxUrl = top.jmxUrl
  } else if (typeof top.hostPort === 'string' && /^.+:\d+$/.test(top.hostPort)) {
    jmxUrl = `service:jmx:rmi:///jndi/rmi://${top.hostPort}/jmxrmi`
  } else {
    fail('top level', 'hostPort (host:port) or jmxUrl is required (in-process agent mode is not available here)')
  }
  const rawRules = top.rules ?? []
  if (!Array.isArray(rawRules)) fail('rules', 'expected a list')
  const rules = rawRules.map((raw: unknown, i: number): JmxRule => {
    const where = `rules[${i}]`
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(where, 'expected a mapping')
    const r = raw as Record<string, unknown>
    let pattern: RegExp | undefined
    if (r.pattern !== undefined) {
      if (typeof r.pattern !== 'string') fail(`${where}.pattern`, 'expected a string')
      // jmx_exporter wraps every pattern as ^.*(?:pattern).*$ — kept for compatibility.
      try { pattern = new RegExp(`^.*(?:${r.pattern}).*$`) } catch (err) { fail(`${where}.pattern`, (err as Error).message) }
    }
    const type = typeof r.type === 'string' ? r.type.toUpperCase() : 'UNTYPED'
    const map: Record<string, FamilyType> = { GAUGE: 'gauge', COUNTER: 'counter', UNTYPED: 'untyped', UNKNOWN: 'untyped' }
    if (map[type] === undefined) fail(`${where}.type`, `must be GAUGE, COUNTER or UNTYPED, got ${JSON.stringify(r.type)}`)
    if (r.name === undefined && r.labels !== undefined) fail(where, 'labels need a name')
    const labels: Array<[string, string]> = []
    if (r.labels !== undefined) {
      if (r.labels === null || typeof r.labels !== 'object') fail(`${where}.labels`, 'expected a mapping')
      for (const [k, v] of Object.entries(r.labels as Record<string, unknown>)) labels.push([k, String(v)])
    }
    const vf = r.valueFactor ?? 1
    if (typeof vf !== 'number') fail(`${where}.valueFactor`, 'expected a number')
    return {
      pattern,
      readsValue: typeof r.pattern === 'string' && r.pattern.includes(': ') || r.cache === false,
      name: typeof r.name === 'string' ? r.name : undefined,
      value: typeof r.value === 'string' || typeof r.value === 'number' ? String(r.value) : undefined,
      valueFactor: vf,
      labels,
      help: typeof r.help === 'string' ? r.help : undefined,
      type: map[type]
    }
  })
  // No rules at all means "export everything in the default format", as jmx_exporter does.
  if (rawRules.length === 0) rules.push({ pattern: undefined, readsValue: false, name: undefined, value: undefined, valueFactor: 1, labels: [], help: undefined, type: 'untyped' })
  return {
    jmxUrl,
    username: typeof top.username === 'string' ? top.username : undefined,
    password: typeof top.password === 'string' ? top.password : undefined,
    ssl: top.ssl === true,
    lowercaseOutputName: top.lowercaseOutputName === true,
    lowercaseOutputLabelNames: top.lowercaseOutputLabelNames === true,
    includeObjectNames: [...stringList(top.includeObjectNames, 'includeObjectNames'), ...stringList(top.whitelistObjectNames, 'whitelistObjectNames')],
    excludeObjectNames: [...stringList(top.excludeObjectNames, 'excludeObjectNames'), ...stringList(top.blacklistObjectNames, 'blacklistObjectNames')],
    rules,
    source
  }
}

export async function loadJmxConfig (path: string): Promise<JmxConfig> {
  let text: string
  try { text = await readFile(path, 'utf8') } catch (err) {
    throw new ConfigError(`jmx config: cannot read ${path}: ${(err as Error).message}`, '--jmx.config-file', { cause: err })
  }
  return parseJmxConfig(text, path)
}

/** One readable attribute value, already flattened out of CompositeData. */
export interface JmxAttribute {
  domain: string
  /** Bean properties in the order the object name lists them. */
  props: Array<[string, string]>
  /** Keys leading into composite data (attribute name first), may be empty. */
  attrKeys: string[]
  attrName: string
  description: string
  value: number
}

export interface JmxSample { name: string, type: FamilyType, help: string, labels: Record<string, string>, value: number }

/** jmx_exporter's safe name: invalid characters → `_`, runs of `_` collapsed. */
export function safeName (s: string): string {
  return s.replace(/[^a-zA-Z0-9:_]/g, '_').replace(/__+/g, '_')
}

function expand (tpl: string, m: RegExpExecArray): string {
  return tpl.replace(/\$(\d+)/g, (_x, n: string) => m[Number(n)] ?? '')
}

interface CacheEntry { ruleIndex: number, groups: RegExpExecArray | undefined }

export class JmxRuleMatcher {
  private readonly cache = new Map<string, CacheEntry | null>()
  hits = 0
  misses = 0

  constructor (private readonly config: JmxConfig) {}

  static matchName (a: JmxAttribute): string {
    return `${a.domain}<${a.props.map(([k, v]) => `${k}=${v}`).join(', ')}><${a.attrKeys.join(', ')}>${a.attrName}`
  }

  /** Applies the rules; undefined when no rule matched (attribute not exported). */
  apply (a: JmxAttribute): JmxSample | undefined {
    const key = JmxRuleMatcher.matchName(a)
    const full = `${key}: ${a.value}`
    let entry = this.cache.get(key)
    if (entry === undefined) {
      this.misses++
      let cacheable = true
      entry = null
      for (let i = 0; i < this.config.rules.length; i++) {
        const rule = this.config.rules[i] as JmxRule
        if (rule.readsValue) cacheable = false
        if (rule.pattern === undefined) { entry = { ruleIndex: i, groups: undefined }; break }
        const m = rule.pattern.exec(full)
        if (m !== null) { entry = { ruleIndex: i, groups: m }; break }
      }
      if (cacheable) this.cache.set(key, entry)
    } else {
      this.hits++
    }
    if (entry === null) return undefined
    const rule = this.config.rules[entry.ruleIndex] as JmxRule
    const m = entry.groups
    let value = a.value
    if (rule.value !== undefined && m !== undefined) {
      const v = Number(expand(rule.value, m))
      if (Number.isNaN(v)) return undefined
      value = v
    } else if (rule.value !== undefined) {
      value = Number(rule.value)
    }
    value *= rule.valueFactor
    let name: string
    const labels: Record<string, string> = {}
    if (rule.name === undefined) {
      // Default format: domain_firstPropValue_attrKeys_attrName{otherProps}.
      const parts = [a.domain]
      if (a.props.length > 0) parts.push((a.props[0] as [string, string])[1])
      parts.push(...a.attrKeys, a.attrName)
      name = safeName(parts.join('_'))
      for (const [k, v] of a.props.slice(1)) labels[safeName(this.config.lowercaseOutputLabelNames ? k.toLowerCase() : k)] = v
    } else {
      name = safeName(m === undefined ? rule.name : expand(rule.name, m))
      for (const [k, v] of rule.labels) {
        const ln = safeName(m === undefined ? k : expand(k, m))
        labels[this.config.lowercaseOutputLabelNames ? ln.toLowerCase() : ln] = m === undefined ? v : expand(v, m)
      }
    }
    if (name === '' || name === '_') return undefined
    if (this.config.lowercaseOutputName) name = name.toLowerCase()
    const help = rule.help !== undefined && m !== undefined ? expand(rule.help, m) : `${a.description === '' ? a.attrName : a.description} ${key}`
    return { name, type: rule.type, help, labels, value }
  }
}
