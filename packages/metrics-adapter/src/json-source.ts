// json_exporter-compatible JSON input: modules of JSONPath metrics (type value/object, labels
// from the document, valuetype, headers, valid_status_codes), answered on /probe, plus our own
// `targets:` list fetched on an interval or on every scrape into /metrics.

import type http from 'node:http'
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { ConfigError, parseDuration, type Logger } from '@pod-patterns/runtime'
import { checkTemplate, evaluateJsonPath, expandTemplate } from './jsonpath.js'
import { ExpositionWriter, OPENMETRICS_CONTENT_TYPE, PROM_CONTENT_TYPE, type FamilyType, type SampleFamily } from './exposition.js'
import { escapeName } from './statsd-line.js'

export interface JsonMetricConfig {
  name: string
  path: string
  help: string
  type: 'value' | 'object'
  valuetype: FamilyType
  labels: Record<string, string>
  values: Record<string, string | number>
}

export interface JsonModule {
  headers: Record<string, string>
  validStatusCodes: number[]
  method: string
  body: string | undefined
  timeoutMs: number
  metrics: JsonMetricConfig[]
}

export interface JsonTarget { module: string, url: string, intervalMs: number, labels: Record<string, string> }

export interface JsonExporterConfig {
  modules: Record<string, JsonModule>
  targets: JsonTarget[]
}

function fail (where: string, msg: string): never {
  throw new ConfigError(`json config: ${where}: ${msg}`, '--json.config-file')
}

function obj (v: unknown, where: string): Record<string, unknown> {
  if (v === undefined || v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) fail(where, 'expected a mapping')
  return v as Record<string, unknown>
}

function parseMetric (raw: unknown, where: string): JsonMetricConfig {
  const m = obj(raw, where)
  if (typeof m.name !== 'string' || m.name === '') fail(where, '`name` is required')
  if (typeof m.path !== 'string' || m.path === '') fail(where, '`path` is required')
  const type = m.type ?? 'value'
  if (type !== 'value' && type !== 'object') fail(where, `type must be value or object, got ${JSON.stringify(type)}`)
  const vt = m.valuetype ?? 'untyped'
  if (vt !== 'gauge' && vt !== 'counter' && vt !== 'untyped') fail(where, `valuetype must be gauge, counter or untyped, got ${JSON.stringify(vt)}`)
  const labels: Record<string, string> = {}
  for (const [k, v] of Object.entries(obj(m.labels, `${where}.labels`))) labels[k] = String(v)
  const values: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(obj(m.values, `${where}.values`))) values[k] = typeof v === 'number' ? v : String(v)
  if (type === 'object' && Object.keys(values).length === 0) fail(where, 'type object needs `values`')
  try {
    checkTemplate(`{${m.path.replace(/^\s*\{|\}\s*$/g, '')}}`)
    for (const v of Object.values(labels)) checkTemplate(v)
    for (const v of Object.values(values)) if (typeof v === 'string') checkTemplate(v)
  } catch (err) { fail(where, (err as Error).message) }
  return { name: m.name, path: m.path, help: typeof m.help === 'string' ? m.help : m.name, type, valuetype: vt, labels, values }
}

export function parseJsonConfig (text: string): JsonExporterConfig {
  let doc: unknown
  try { doc = parseYaml(text) } catch (err) { fail('yaml', (err as Error).message) }
  const top = obj(doc, 'top level')
  const modules: Record<string, JsonModule> = {}
  let rawModules = obj(top.modules, 'modules')
  // json_exporter before modules: a bare `metrics:` list is the `default` module.
  if (Object.keys(rawModules).length === 0 && Array.isArray(top.metrics)) rawModules = { default: { metrics: top.metrics, headers: top.headers } }
  for (const [name, raw] of Object.entries(rawModules)) {
    const where = `modules.${name}`
    const m = obj(raw, where)
    if (!Array.isArray(m.metrics)) fail(where, '`metrics` list is required')
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(obj(m.headers, `${where}.headers`))) headers[k] = String(v)
    const codes = m.valid_status_codes ?? [200]
    if (!Array.isArray(codes) || codes.some((c) => typeof c !== 'number')) fail(`${where}.valid_status_codes`, 'expected a list of status codes')
    const body = obj(m.body, `${where}.body`)
    modules[name] = {
      headers,
      validStatusCodes: codes as number[],
      method: typeof body.method === 'string' ? body.method : 'GET',
      body: typeof body.content === 'string' ? body.content : undefined,
      timeoutMs: typeof m.timeout === 'string' ? parseDuration(m.timeout, `${where}.timeout`) : 10_000,
      metrics: m.metrics.map((x: unknown, i: number) => parseMetric(x, `${where}.metrics[${i}]`))
    }
  }
  const targets: JsonTarget[] = []
  const rawTargets = top.targets ?? []
  if (!Array.isArray(rawTargets)) fail('targets', 'expected a list')
  rawTargets.forEach((raw: unknown, i: number) => {
    const t = obj(raw, `targets[${i}]`)
    const module = typeof t.module === 'string' ? t.module : 'default'
    if (modules[module] === undefined) fail(`targets[${i}]`, `unknown module ${JSON.stringify(module)}`)
    if (typeof t.url !== 'string' || !/^https?:\/\//.test(t.url)) fail(`targets[${i}]`, '`url` (http or https) is required')
    let intervalMs = 0
    if (t.interval !== undefined) {
      try { intervalMs = parseDuration(typeof t.interval === 'number' ? `${t.interval}s` : typeof t.interval === 'string' ? t.interval : '', `targets[${i}].interval`) } catch (err) { fail(`targets[${i}].interval`, (err as Error).message) }
    }
    const labels: Record<string, string> = {}
    for (const [k, v] of Object.entries(obj(t.labels, `targets[${i}].labels`))) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) fail(`targets[${i}].labels`, `invalid label name ${JSON.stringify(k)}`)
      labels[k] = String(v)
    }
    targets.push({ module, url: t.url, intervalMs, labels })
  })
  return { modules, targets }
}

export async function loadJsonConfig (path: string): Promise<JsonExporterConfig> {
  let text: string
  try { text = await readFile(path, 'utf8') } catch (err) {
    throw new ConfigError(`json config: cannot read ${path}: ${(err as Error).message}`, '--json.config-file', { cause: err })
  }
  return parseJsonConfig(text)
}

/** A JSON value as a sample value: numbers, numeric strings, booleans (1/0); else undefined. */
export function toSampleValue (v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v)
    return Number.isNaN(n) ? undefined : n
  }
  return undefined
}

/** Applies a module's metrics to a parsed document. */
export function extractFamilies (mod: JsonModule, doc: unknown): SampleFamily[] {
  const byName = new Map<string, SampleFamily>()
  const add = (name: string, help: string, type: FamilyType, labels: Record<string, string>, value: number): void => {
    const n = escapeName(name)
    let f = byName.get(n)
    if (f === undefined) { f = { name: n, help, type, samples: [] }; byName.set(n, f) }
    f.samples.push({ labels, value })
  }
  for (const m of mod.metrics) {
    if (m.type === 'value') {
      const labels: Record<string, string> = {}
      for (const [k, tpl] of Object.entries(m.labels)) labels[k] = expandTemplate(tpl, doc)
      for (const v of evaluateJsonPath(m.path, doc)) {
        const value = toSampleValue(v)
        if (value !== undefined) add(m.name, m.help, m.valuetype, labels, value)
      }
    } else {
      for (const item of evaluateJsonPath(m.path, doc)) {
        const labels: Record<string, string> = {}
        for (const [k, tpl] of Object.entries(m.labels)) labels[k] = expandTemplate(tpl, item)
        for (const [vname, vexpr] of Object.entries(m.values)) {
          const raw = typeof vexpr === 'number' ? vexpr : vexpr.includes('{') ? evaluateJsonPath(vexpr, item)[0] : vexpr
          const value = toSampleValue(raw)
          if (value !== undefined) add(`${m.name}_${vname}`, m.help, m.valuetype, labels, value)
        }
      }
    }
  }
  return [...byName.values()]
}

export class JsonFetchError extends Error {
  readonly code = 'ERR_ADAPTER_JSON_FETCH'
}

export async function fetchJson (mod: JsonModule, url: string): Promise<unknown> {
  const ctl = AbortSignal.timeout(mod.timeoutMs)
  const res = await fetch(url, { method: mod.method, headers: mod.headers, signal: ctl, ...(mod.body === undefined ? {} : { body: mod.body }) })
  const text = await res.text()
  if (!mod.validStatusCodes.includes(res.status)) throw new JsonFetchError(`${url} answered ${res.status}, not one of ${mod.validStatusCodes.join(',')}`)
  try { return JSON.parse(text) } catch (err) {
    throw new JsonFetchError(`${url} did not return JSON: ${(err as Error).message}`)
  }
}

interface TargetState { target: JsonTarget, families: SampleFamily[], ok: boolean, duration: number, timer: NodeJS.Timeout | undefined }

export class JsonSource {
  readonly name = 'json'
  private config: JsonExporterConfig
  private states: TargetState[] = []

  constructor (config: JsonExporterConfig, private readonly logger: Logger) {
    this.config = config
    this.start()
  }

  private start (): void {
    this.states = this.config.targets.map((target) => ({ target, families: [], ok: false, duration: 0, timer: undefined }))
    for (const st of this.states) {
      if (st.target.intervalMs > 0) {
        void this.refresh(st)
        st.timer = setInterval(() => { void this.refresh(st) }, st.target.intervalMs)
        st.timer.unref()
      }
    }
  }

  replace (config: JsonExporterConfig): void {
    for (const st of this.states) if (st.timer !== undefined) clearInterval(st.timer)
    this.config = config
    this.start()
  }

  private async refresh (st: TargetState): Promise<void> {
    const mod = this.config.modules[st.target.module] as JsonModule
    const t0 = performance.now()
    try {
      const doc = await fetchJson(mod, st.target.url)
      // The target's own labels (if any) tell two targets' series apart.
      st.families = extractFamilies(mod, doc).map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, labels: { ...s.labels, ...st.target.labels } })) }))
      st.ok = true
    } catch (err) {
      st.ok = false
      st.families = []
      this.logger.warn({ err, url: st.target.url }, 'json target fetch failed')
    }
    st.duration = (performance.now() - t0) / 1000
  }

  async collect (): Promise<SampleFamily[]> {
    await Promise.all(this.states.filter((s) => s.target.intervalMs === 0).map(async (s) => { await this.refresh(s) }))
    const merged = new Map<string, SampleFamily>()
    for (const st of this.states) {
      for (const f of st.families) {
        const m = merged.get(f.name)
        if (m === undefined) merged.set(f.name, { ...f, samples: [...f.samples] })
        else if (m.type === f.type) m.samples.push(...f.samples)
      }
    }
    const up: SampleFamily = { name: 'json_target_up', help: 'Whether the last fetch of a json target succeeded.', type: 'gauge', samples: [] }
    const dur: SampleFamily = { name: 'json_target_scrape_duration_seconds', help: 'Duration of the last fetch of a json target.', type: 'gauge', samples: [] }
    for (const st of this.states) {
      up.samples.push({ labels: { target: st.target.url, module: st.target.module }, value: st.ok ? 1 : 0 })
      dur.samples.push({ labels: { target: st.target.url, module: st.target.module }, value: st.duration })
    }
    return [...merged.values(), up, dur]
  }

  /** json_exporter's /probe?module=&target=: fetch now, answer with that module's metrics. */
  async probe (req: http.IncomingMessage, res: http.ServerResponse, openMetrics: boolean): Promise<void> {
    const q = new URL(req.url ?? '/', 'http://x').searchParams
    const target = q.get('target')
    const moduleName = q.get('module') ?? 'default'
    const mod = this.config.modules[moduleName]
    if (target === null || target === '') { res.writeHead(400, { 'content-type': 'text/plain' }).end('Target parameter is missing\n'); return }
    if (mod === undefined) { res.writeHead(400, { 'content-type': 'text/plain' }).end(`Unknown module ${JSON.stringify(moduleName)}\n`); return }
    let url = target
    if (!/^https?:\/\//.test(url)) url = 'http://' + url
    let doc: unknown
    try { doc = await fetchJson(mod, url) } catch (err) {
      this.logger.warn({ err, target: url }, 'probe fetch failed')
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`Failed to fetch JSON response: ${(err as Error).message}\n`)
      return
    }
    const w = new ExpositionWriter(openMetrics)
    for (const f of extractFamilies(mod, doc)) w.family(f, 'probe')
    res.writeHead(200, { 'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : PROM_CONTENT_TYPE }).end(w.finish())
  }

  close (): Promise<void> {
    for (const st of this.states) if (st.timer !== undefined) clearInterval(st.timer)
    return Promise.resolve()
  }
}
