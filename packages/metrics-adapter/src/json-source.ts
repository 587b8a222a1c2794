// json_exporter-compatible JSON input: modules of JSONPath metrics (type value/object, labels
// from the document, valuetype, headers, valid_status_codes), answered on /probe, plus our own
// `targets:` list fetched on an interval or on every scrape into /metrics.

import http from 'node:http'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
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
  /** json_exporter's epochTimestamp: a JSONPath to a millisecond epoch for the samples. */
  epochTimestamp: string | undefined
}

/** json_exporter's http_client_config (Prometheus common HTTP client), the parts supported. */
export interface JsonHttpClient {
  /** Authorization header value, e.g. `Basic …` or `Bearer …`. */
  authorization: string | undefined
  tls: https.RequestOptions
  followRedirects: boolean
}

export interface JsonModule {
  headers: Record<string, string>
  validStatusCodes: number[]
  method: string
  body: string | undefined
  timeoutMs: number
  metrics: JsonMetricConfig[]
  client: JsonHttpClient
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
  const ts = m.epochTimestamp
  if (ts !== undefined && (typeof ts !== 'string' || ts === '')) fail(where, 'epochTimestamp must be a JSONPath like {.timestamp}')
  if (ts !== undefined) { try { checkTemplate(`{${ts.replace(/^\s*\{|\}\s*$/g, '')}}`) } catch (err) { fail(`${where}.epochTimestamp`, (err as Error).message) } }
  return { name: m.name, path: m.path, help: typeof m.help === 'string' ? m.help : m.name, type, valuetype: vt, labels, values, epochTimestamp: ts }
}

const CLIENT_KEYS = ['basic_auth', 'bearer_token', 'bearer_token_file', 'authorization', 'tls_config', 'follow_redirects', 'enable_http2']

function readSecret (inline: unknown, file: unknown, where: string, base: string): string | undefined {
  if (typeof inline === 'string' && inline !== '') return inline
  if (typeof file === 'string' && file !== '') {
    const p = isAbsolute(file) ? file : resolve(base, file)
    try { return readFileSync(p, 'utf8').trim() } catch (err) { return fail(where, `cannot read ${p}: ${(err as Error).message}`) }
  }
  return undefined
}

/** Parses http_client_config; file paths are relative to the config file, as in Prometheus. */
function parseHttpClient (raw: unknown, where: string, base: string): JsonHttpClient {
  const c = obj(raw, where)
  for (const k of Object.keys(c)) if (!CLIENT_KEYS.includes(k)) fail(where, `unsupported field ${JSON.stringify(k)} (supported: ${CLIENT_KEYS.join(', ')})`)
  let authorization: string | undefined
  const kinds = ['basic_auth', 'bearer_token', 'bearer_token_file', 'authorization'].filter((k) => c[k] !== undefined)
  if (kinds.length > 1) fail(where, `at most one of basic_auth, bearer_token, bearer_token_file, authorization may be set, got ${kinds.join(', ')}`)
  if (c.basic_auth !== undefined) {
    const b = obj(c.basic_auth, `${where}.basic_auth`)
    const user = readSecret(b.username, b.username_file, `${where}.basic_auth.username_file`, base) ?? ''
    const pass = readSecret(b.password, b.password_file, `${where}.basic_auth.password_file`, base) ?? ''
    if (user === '') fail(`${where}.basic_auth`, 'username is required')
    authorization = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64')
  }
  const bearer = readSecret(c.bearer_token, c.bearer_token_file, `${where}.bearer_token_file`, base)
  if (bearer !== undefined) authorization = `Bearer ${bearer}`
  if (c.authorization !== undefined) {
    const a = obj(c.authorization, `${where}.authorization`)
    const type = typeof a.type === 'string' && a.type !== '' ? a.type : 'Bearer'
    const cred = readSecret(a.credentials, a.credentials_file, `${where}.authorization.credentials_file`, base)
    if (cred === undefined) fail(`${where}.authorization`, 'credentials or credentials_file is required')
    authorization = `${type} ${cred}`
  }
  const tlsRaw = obj(c.tls_config, `${where}.tls_config`)
  const TLS_KEYS = ['ca_file', 'ca', 'cert_file', 'cert', 'key_file', 'key', 'server_name', 'insecure_skip_verify', 'min_version']
  for (const k of Object.keys(tlsRaw)) if (!TLS_KEYS.includes(k)) fail(`${where}.tls_config`, `unsupported field ${JSON.stringify(k)} (supported: ${TLS_KEYS.join(', ')})`)
  const tls: https.RequestOptions = {}
  const ca = readSecret(tlsRaw.ca, tlsRaw.ca_file, `${where}.tls_config.ca_file`, base)
  if (ca !== undefined) tls.ca = ca
  const cert = readSecret(tlsRaw.cert, tlsRaw.cert_file, `${where}.tls_config.cert_file`, base)
  const key = readSecret(tlsRaw.key, tlsRaw.key_file, `${where}.tls_config.key_file`, base)
  if ((cert === undefined) !== (key === undefined)) fail(`${where}.tls_config`, 'cert_file and key_file go together')
  if (cert !== undefined) { tls.cert = cert; tls.key = key }
  if (typeof tlsRaw.server_name === 'string' && tlsRaw.server_name !== '') tls.servername = tlsRaw.server_name
  if (tlsRaw.insecure_skip_verify !== undefined && typeof tlsRaw.insecure_skip_verify !== 'boolean') fail(`${where}.tls_config.insecure_skip_verify`, 'expected true or false')
  tls.rejectUnauthorized = tlsRaw.insecure_skip_verify !== true
  if (c.follow_redirects !== undefined && typeof c.follow_redirects !== 'boolean') fail(`${where}.follow_redirects`, 'expected true or false')
  return { authorization, tls, followRedirects: c.follow_redirects !== false }
}

export function parseJsonConfig (text: string, base = process.cwd()): JsonExporterConfig {
  let doc: unknown
  try { doc = parseYaml(text) } catch (err) { fail('yaml', (err as Error).message) }
  const top = obj(doc, 'top level')
  const modules: Record<string, JsonModule> = {}
  let rawModules = obj(top.modules, 'modules')
  // json_exporter before modules: a bare `metrics:` list is the `default` module.
  if (Object.keys(rawModules).length === 0 && Array.isArray(top.metrics)) rawModules = { default: { metrics: top.metrics, headers: top.headers, http_client_config: top.http_client_config } }
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
      metrics: m.metrics.map((x: unknown, i: number) => parseMetric(x, `${where}.metrics[${i}]`)),
      client: parseHttpClient(m.http_client_config, `${where}.http_client_config`, base)
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
  return parseJsonConfig(text, dirname(resolve(path)))
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
  const add = (name: string, help: string, type: FamilyType, labels: Record<string, string>, value: number, timestampMs: number | undefined): void => {
    const n = escapeName(name)
    let f = byName.get(n)
    if (f === undefined) { f = { name: n, help, type, samples: [] }; byName.set(n, f) }
    f.samples.push(timestampMs === undefined ? { labels, value } : { labels, value, timestampMs })
  }
  // As json_exporter: the last match, read as an integer of milliseconds; else no timestamp.
  const stamp = (m: JsonMetricConfig, from: unknown): number | undefined => {
    if (m.epochTimestamp === undefined) return undefined
    const found = evaluateJsonPath(m.epochTimestamp, from)
    const v = toSampleValue(found[found.length - 1])
    return v !== undefined && Number.isFinite(v) ? Math.trunc(v) : undefined
  }
  for (const m of mod.metrics) {
    if (m.type === 'value') {
      const labels: Record<string, string> = {}
      for (const [k, tpl] of Object.entries(m.labels)) labels[k] = expandTemplate(tpl, doc)
      for (const v of evaluateJsonPath(m.path, doc)) {
        const value = toSampleValue(v)
        if (value !== undefined) add(m.name, m.help, m.valuetype, labels, value, stamp(m, doc))
      }
    } else {
      for (const item of evaluateJsonPath(m.path, doc)) {
        const labels: Record<string, string> = {}
        for (const [k, tpl] of Object.entries(m.labels)) labels[k] = expandTemplate(tpl, item)
        for (const [vname, vexpr] of Object.entries(m.values)) {
          const raw = typeof vexpr === 'number' ? vexpr : vexpr.includes('{') ? evaluateJsonPath(vexpr, item)[0] : vexpr
          const value = toSampleValue(raw)
          if (value !== undefined) add(`${m.name}_${vname}`, m.help, m.valuetype, labels, value, stamp(m, item))
        }
      }
    }
  }
  return [...byName.values()]
}

export class JsonFetchError extends Error {
  readonly code = 'ERR_ADAPTER_JSON_FETCH'
}

/** One HTTP(S) request with the module's client settings; follows up to 10 redirects. */
async function request (mod: JsonModule, url: string, signal: AbortSignal, hops = 0): Promise<{ status: number, text: string }> {
  const u = new URL(url)
  const headers: Record<string, string> = { ...mod.headers }
  if (mod.client.authorization !== undefined && headers.Authorization === undefined && headers.authorization === undefined) headers.Authorization = mod.client.authorization
  const options: https.RequestOptions = { method: mod.method, headers, signal, ...(u.protocol === 'https:' ? mod.client.tls : {}) }
  const reply = await new Promise<{ status: number, text: string, location: string | undefined }>((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => { chunks.push(d) })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), location: res.headers.location }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(mod.body)
  })
  if (mod.client.followRedirects && reply.status >= 300 && reply.status < 400 && reply.location !== undefined) {
    if (hops >= 10) throw new JsonFetchError(`${url}: too many redirects`)
    return await request(mod, new URL(reply.location, u).toString(), signal, hops + 1)
  }
  return reply
}

export async function fetchJson (mod: JsonModule, url: string): Promise<unknown> {
  const signal = AbortSignal.timeout(mod.timeoutMs)
  const res = await request(mod, url, signal)
  if (!mod.validStatusCodes.includes(res.status)) throw new JsonFetchError(`${url} answered ${res.status}, not one of ${mod.validStatusCodes.join(',')}`)
  try { return JSON.parse(res.text) } catch (err) {
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
