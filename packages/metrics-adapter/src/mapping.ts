// statsd_exporter-compatible mapping config: loads the YAML, validates it, and maps a StatsD
// name + type to a Prometheus name, labels and observer settings, with a result cache.

import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { ConfigError, parseDuration } from '@pod-patterns/runtime'
import type { StatsdType } from './statsd-line.js'

export type MetricKind = 'counter' | 'gauge' | 'observer' | 'set'
export type ObserverType = 'summary' | 'histogram'

export interface Quantile { quantile: number, error: number }

export interface SummaryOptions { quantiles: Quantile[], maxAgeMs: number, ageBuckets: number }

export interface ObserverOptions {
  observerType: ObserverType
  buckets: number[]
  summary: SummaryOptions
}

export interface MappingResult {
  action: 'map' | 'drop'
  /** Final Prometheus name (captures expanded, escaped), or undefined: escape the StatsD name. */
  name: string | undefined
  labels: Record<string, string>
  honorLabels: boolean
  observer: ObserverOptions
  ttlMs: number
  help: string | undefined
  scale: number | undefined
  /** True when a rule matched (false: defaults applied, counted as unmapped). */
  mapped: boolean
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
export const DEFAULT_QUANTILES: Quantile[] = [{ quantile: 0.5, error: 0.05 }, { quantile: 0.9, error: 0.01 }, { quantile: 0.99, error: 0.001 }]

interface Rule {
  index: number
  kind: 'glob' | 'regex'
  regex: RegExp
  metricType: MetricKind | undefined
  action: 'map' | 'drop'
  name: string
  labels: Array<[string, string]>
  honorLabels: boolean
  observer: ObserverOptions
  ttlMs: number
  help: string | undefined
  scale: number | undefined
}

export interface MappingConfig {
  readonly rules: readonly Rule[]
  readonly defaults: { observer: ObserverOptions, ttlMs: number }
}

const NAME_OK = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_OK = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function fail (where: string, msg: string): never {
  throw new ConfigError(`mapping config: ${where}: ${msg}`, '--statsd.mapping-config')
}

function asObject (v: unknown, where: string): Record<string, unknown> {
  if (v === null || v === undefined) return {}
  if (typeof v !== 'object' || Array.isArray(v)) fail(where, 'expected a mapping')
  return v as Record<string, unknown>
}

function readDuration (v: unknown, where: string): number {
  if (v === undefined || v === null) return 0
  if (typeof v === 'number') return v * 1000
  if (typeof v !== 'string') fail(where, 'expected a duration like 10m')
  try { return parseDuration(v, where) } catch { return fail(where, `invalid duration ${JSON.stringify(v)}`) }
}

function readNumberList (v: unknown, where: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || Number.isNaN(x))) fail(where, 'expected a list of numbers')
  return [...(v as number[])].sort((a, b) => a - b)
}

function readObserver (m: Record<string, unknown>, base: ObserverOptions, where: string): ObserverOptions {
  const out: ObserverOptions = { observerType: base.observerType, buckets: base.buckets, summary: { ...base.summary } }
  const type = m.observer_type ?? m.timer_type
  if (type !== undefined && type !== null && type !== '') {
    if (type === 'summary' || type === 'histogram') out.observerType = type
    else if (type === 'default') { /* keep */ } else fail(where, `observer_type must be summary or histogram, got ${JSON.stringify(type)}`)
  }
  const h = asObject(m.histogram_options, `${where}.histogram_options`)
  if (h.buckets !== undefined) out.buckets = readNumberList(h.buckets, `${where}.histogram_options.buckets`)
  if (m.buckets !== undefined) out.buckets = readNumberList(m.buckets, `${where}.buckets`)
  const s = asObject(m.summary_options, `${where}.summary_options`)
  const qs = s.quantiles ?? m.quantiles
  if (qs !== undefined) {
    if (!Array.isArray(qs)) fail(`${where}.quantiles`, 'expected a list')
    out.summary.quantiles = qs.map((q: unknown, i: number) => {
      const o = asObject(q, `${where}.quantiles[${i}]`)
      const quantile = o.quantile
      if (typeof quantile !== 'number' || quantile < 0 || quantile > 1) fail(`${where}.quantiles[${i}]`, 'quantile must be a number in [0, 1]')
      return { quantile, error: typeof o.error === 'number' ? o.error : 0.01 }
    })
  }
  if (s.max_age !== undefined) out.summary.maxAgeMs = readDuration(s.max_age, `${where}.summary_options.max_age`)
  if (s.age_buckets !== undefined) {
    if (typeof s.age_buckets !== 'number' || s.age_buckets < 1) fail(`${where}.summary_options.age_buckets`, 'expected a positive integer')
    out.summary.ageBuckets = Math.floor(s.age_buckets)
  }
  return out
}

/**
 * Compiles a glob to an anchored regex. `*` matches within one dot-separated component and may
 * stand beside literal text (`http_*`); `**` as the last component matches all the rest
 * (the `prefix_*`-style globs statsd_exporter lacks).
 */
export function globToRegex (glob: string): RegExp {
  const parts = glob.split('.')
  const out: string[] = []
  parts.forEach((part, i) => {
    if (part === '**') {
      if (i !== parts.length - 1) throw new Error('`**` may only be the last component')
      out.push('(.+)')
      return
    }
    out.push(part.split('*').map((lit) => lit.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('([^.]*)'))
  })
  return new RegExp(`^${out.join('\\.')}$`)
}

function checkTemplate (tpl: string, where: string, isName: boolean): void {
  const stripped = tpl.replace(/\$\{\d+\}|\$\d+/g, 'x')
  if (isName && !NAME_OK.test(stripped)) fail(where, `invalid metric name ${JSON.stringify(tpl)}`)
}

export function parseMappingConfig (text: string): MappingConfig {
  let doc: unknown
  try { doc = parseYaml(text) } catch (err) { fail('yaml', (err as Error).message) }
  const top = asObject(doc, 'top level')
  for (const k of Object.keys(top)) if (k !== 'mappings' && k !== 'defaults') fail('top level', `unknown key ${JSON.stringify(k)}`)
  const d = asObject(top.defaults, 'defaults')
  const baseObserver: ObserverOptions = {
    observerType: 'summary',
    buckets: DEFAULT_BUCKETS,
    summary: { quantiles: DEFAULT_QUANTILES, maxAgeMs: 600_000, ageBuckets: 5 }
  }
  const defaults = { observer: readObserver(d, baseObserver, 'defaults'), ttlMs: readDuration(d.ttl, 'defaults.ttl') }
  const defaultMatchType = d.match_type ?? 'glob'
  const list = top.mappings ?? []
  if (!Array.isArray(list)) fail('mappings', 'expected a list')
  const rules: Rule[] = []
  list.forEach((raw: unknown, index: number) => {
    const where = `mappings[${index}]`
    const m = asObject(raw, where)
    if (typeof m.match !== 'string' || m.match === '') fail(where, '`match` is required')
    const matchType = m.match_type ?? defaultMatchType
    if (matchType !== 'glob' && matchType !== 'regex') fail(where, `match_type must be glob or regex, got ${JSON.stringify(matchType)}`)
    let regex: RegExp
    try {
      regex = matchType === 'glob' ? globToRegex(m.match) : new RegExp(`^(?:${m.match})$`)
    } catch (err) { fail(where, `invalid match ${JSON.stringify(m.match)}: ${(err as Error).message}`) }
    const action = m.action ?? 'map'
    if (action !== 'map' && action !== 'drop') fail(where, `action must be map or drop, got ${JSON.stringify(action)}`)
    const name = m.name
    if (action === 'map') {
      if (typeof name !== 'string' || name === '') fail(where, '`name` is required')
      checkTemplate(name, `${where}.name`, true)
    }
    let metricType: MetricKind | undefined
    if (m.match_metric_type !== undefined && m.match_metric_type !== null && m.match_metric_type !== '') {
      const t = m.match_metric_type === 'timer' ? 'observer' : m.match_metric_type
      if (t !== 'counter' && t !== 'gauge' && t !== 'observer' && t !== 'set') fail(where, `match_metric_type must be counter, gauge, observer or set, got ${JSON.stringify(m.match_metric_type)}`)
      metricType = t
    }
    const labels: Array<[string, string]> = []
    for (const [k, v] of Object.entries(asObject(m.labels, `${where}.labels`))) {
      if (!LABEL_OK.test(k)) fail(`${where}.labels`, `invalid label name ${JSON.stringify(k)}`)
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail(`${where}.labels.${k}`, 'expected a string')
      labels.push([k, String(v)])
    }
    const scale = m.scale
    if (scale !== undefined && typeof scale !== 'number') fail(`${where}.scale`, 'expected a number')
    rules.push({
      index,
      kind: matchType,
      regex,
      metricType,
      action,
      name: typeof name === 'string' ? name : '',
      labels,
      honorLabels: m.honor_labels === true,
      observer: readObserver(m, defaults.observer, where),
      ttlMs: m.ttl === undefined ? defaults.ttlMs : readDuration(m.ttl, `${where}.ttl`),
      help: typeof m.help === 'string' ? m.help : undefined,
      scale
    })
  })
  // statsd_exporter tries every glob rule before any regex rule; within a kind, file order.
  rules.sort((a, b) => (a.kind === b.kind ? a.index - b.index : a.kind === 'glob' ? -1 : 1))
  return { rules, defaults }
}

export async function loadMappingConfig (path: string): Promise<MappingConfig> {
  let text: string
  try { text = await readFile(path, 'utf8') } catch (err) {
    throw new ConfigError(`mapping config: cannot read ${path}: ${(err as Error).message}`, '--statsd.mapping-config', { cause: err })
  }
  return parseMappingConfig(text)
}

export function emptyMappingConfig (): MappingConfig {
  return parseMappingConfig('mappings: []')
}

export function kindOf (t: StatsdType): MetricKind {
  switch (t) {
    case 'c': return 'counter'
    case 'g': return 'gauge'
    case 's': return 'set'
    default: return 'observer'
  }
}

function expand (tpl: string, groups: RegExpExecArray): string {
  if (!tpl.includes('$')) return tpl
  return tpl.replace(/\$\{(\d+)\}|\$(\d+)/g, (_m, a: string | undefined, b: string | undefined) => groups[Number(a ?? b)] ?? '')
}

/** Maps names with a bounded cache (statsd_exporter's --statsd.cache-size). */
export class Mapper {
  private config: MappingConfig
  private readonly caches: Record<MetricKind, Map<string, MappingResult>> = { counter: new Map(), gauge: new Map(), observer: new Map(), set: new Map() }
  constructor (config: MappingConfig, private readonly cacheSize = 10_000) {
    this.config = config
  }

  get ruleCount (): number { return this.config.rules.length }

  /** Bumped on every replace: results computed before it are stale. */
  generation = 0

  replace (config: MappingConfig): void {
    this.generation++
    this.config = config
    for (const c of Object.values(this.caches)) c.clear()
  }

  map (name: string, kind: MetricKind): MappingResult {
    const cache = this.caches[kind]
    const hit = cache.get(name)
    if (hit !== undefined) return hit
    const result = this.compute(name, kind)
    if (cache.size >= this.cacheSize) cache.clear()
    cache.set(name, result)
    return result
  }

  private compute (name: string, kind: MetricKind): MappingResult {
    for (const rule of this.config.rules) {
      if (rule.metricType !== undefined && rule.metricType !== kind) continue
      const m = rule.regex.exec(name)
      if (m === null) continue
      const labels: Record<string, string> = {}
      for (const [k, v] of rule.labels) labels[k] = expand(v, m)
      return {
        action: rule.action,
        name: rule.action === 'drop' ? undefined : expand(rule.name, m),
        labels,
        honorLabels: rule.honorLabels,
        observer: rule.observer,
        ttlMs: rule.ttlMs,
        help: rule.help,
        scale: rule.scale,
        mapped: true
      }
    }
    return { action: 'map', name: undefined, labels: {}, honorLabels: false, observer: this.config.defaults.observer, ttlMs: this.config.defaults.ttlMs, help: undefined, scale: undefined, mapped: false }
  }
}
