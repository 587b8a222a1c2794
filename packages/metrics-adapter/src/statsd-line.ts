// Parses StatsD lines (plain, DogStatsD, InfluxDB, Librato and SignalFX tag styles, multi-value
// and extended aggregation) into samples, reporting each bad line by statsd_exporter's reason.

export type StatsdType = 'c' | 'g' | 'ms' | 'h' | 'd' | 's'

export interface StatsdSample {
  /** The StatsD name without tags, e.g. `app.req`. */
  name: string
  type: StatsdType
  /** Numeric value (0 for sets). Timers are still in ms here. */
  value: number
  /** Set member, for type `s`. */
  member: string
  /** Gauge written with a leading `+`/`-`: a change, not a new value. */
  relative: boolean
  /** Sample rate, 1 when not given. */
  rate: number
  /** Label names (already escaped) to raw values, from tags; empty object when none. */
  labels: Record<string, string>
}

/** statsd_exporter's `sample_errors_total` reasons, plus ours for what it has none. */
export type LineErrorReason =
  | 'malformed_line'
  | 'malformed_component'
  | 'malformed_value'
  | 'invalid_sample_factor'
  | 'illegal_event'
  | 'mixed_tagging_styles'

export interface TagStyles {
  dogstatsd: boolean
  influxdb: boolean
  librato: boolean
  signalfx: boolean
}

export const ALL_TAG_STYLES: TagStyles = Object.freeze({ dogstatsd: true, influxdb: true, librato: true, signalfx: true })

/** What parsing one line produced; the sink gets samples and counts, the caller never throws. */
export interface LineSink {
  sample: (s: StatsdSample) => void
  error: (reason: LineErrorReason, line: string) => void
  /** A DogStatsD event (`_e{…}`) or service check (`_sc|…`): recognised and skipped. */
  skipped: (kind: 'event' | 'service_check') => void
  /** Tags seen (parsed or not) and tags that could not be parsed. */
  tags: (seen: number, errors: number) => void
}

const LABEL_OK = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const labelCache = new Map<string, string>()

/** Escapes a tag key into a Prometheus label name, as statsd_exporter does. */
export function escapeLabelName (key: string): string {
  if (LABEL_OK.test(key)) return key
  let out = labelCache.get(key)
  if (out !== undefined) return out
  out = escapeName(key)
  if (labelCache.size > 10_000) labelCache.clear()
  labelCache.set(key, out)
  return out
}

/**
 * Escapes a StatsD name into a Prometheus name: runs of `-` become one `_`, each other invalid
 * character becomes `_`, and a leading digit gets a `_` prefix.
 */
export function escapeName (name: string): string {
  let out = ''
  let prevDash = false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57)
    if (c === 45) {
      if (!prevDash) out += '_'
      prevDash = true
      continue
    }
    prevDash = false
    if (ok) {
      if (i === 0 && c >= 48 && c <= 57) out += '_'
      out += name[i]
    } else {
      out += '_'
    }
  }
  return out === '' ? '_' : out
}

/** Parses a number as Go's strconv.ParseFloat would (decimal, exponent, NaN, Inf). */
export function parseStatsdNumber (text: string): number | undefined {
  if (text.length === 0) return undefined
  const c = text.charCodeAt(0)
  // Digits, '.', '+', '-' lead ordinary numbers; anything else must be NaN/Inf spelled out.
  if ((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45) {
    const body = c === 43 || c === 45 ? text.slice(1) : text
    const b0 = body.charCodeAt(0)
    if ((b0 >= 48 && b0 <= 57) || b0 === 46) {
      const n = Number(text)
      if (Number.isNaN(n)) return undefined
      // Number() also reads hex, binary and whitespace; ParseFloat does not (for our purposes).
      if (body.length > 1 && (body[1] === 'x' || body[1] === 'X' || body[1] === 'b' || body[1] === 'B' || body[1] === 'o' || body[1] === 'O')) return undefined
      if (text.trim() !== text) return undefined
      return n
    }
    const word = body.toLowerCase()
    if (word === 'inf' || word === 'infinity') return c === 45 ? -Infinity : Infinity
    if (word === 'nan') return NaN
    return undefined
  }
  const word = text.toLowerCase()
  if (word === 'nan') return NaN
  if (word === 'inf' || word === 'infinity') return Infinity
  return undefined
}

function isValueList (text: string): boolean {
  if (text.length === 0) return false
  let start = 0
  for (;;) {
    const end = text.indexOf(':', start)
    const part = end === -1 ? text.slice(start) : text.slice(start, end)
    if (parseStatsdNumber(part) === undefined) return false
    if (end === -1) return true
    start = end + 1
  }
}

const TYPES = new Set<string>(['c', 'g', 'ms', 'h', 'd', 's'])

/** Splits `k=v,k2=v2` (InfluxDB, Librato, SignalFX) into labels; returns the error count. */
function parseKeyValueTags (text: string, labels: Record<string, string>): [number, number] {
  let seen = 0
  let errors = 0
  for (const tag of text.split(',')) {
    if (tag === '') continue
    seen++
    const eq = tag.indexOf('=')
    if (eq <= 0) { errors++; continue }
    labels[escapeLabelName(tag.slice(0, eq))] = tag.slice(eq + 1)
  }
  return [seen, errors]
}

/** DogStatsD `k:v,k2:v2`: values keep later colons; a tag without a value is dropped. */
function parseDogTags (text: string, labels: Record<string, string>): [number, number] {
  let seen = 0
  let errors = 0
  for (const tag of text.split(',')) {
    if (tag === '') continue
    seen++
    const colon = tag.indexOf(':')
    if (colon === -1) continue
    if (colon === 0) { errors++; continue }
    labels[escapeLabelName(tag.slice(0, colon))] = tag.slice(colon + 1)
  }
  return [seen, errors]
}

/**
 * Parses one line. Never throws: every outcome goes to the sink. The name-part/value split
 * picks the first `:` after which only numbers follow up to the first `|`, so InfluxDB tag
 * values with colons (hot-shots' telegraf mode) and extended aggregation both work.
 */
export function parseLine (line: string, styles: TagStyles, sink: LineSink): void {
  if (line.length === 0) return
  if (line.charCodeAt(0) === 95) { // '_'
    if (line.startsWith('_e{')) { sink.skipped('event'); return }
    if (line.startsWith('_sc|')) { sink.skipped('service_check'); return }
  }
  const pipe = line.indexOf('|')
  if (pipe === -1) { sink.error('malformed_line', line); return }
  let colon = line.indexOf(':')
  if (colon === -1 || colon > pipe) { sink.error('malformed_line', line); return }
  if (!isValueList(line.slice(colon + 1, pipe))) {
    const last = line.lastIndexOf(':', pipe)
    // A set member or a bad value: take the last colon before the first pipe.
    colon = last
  }
  let namePart = line.slice(0, colon)
  const body = line.slice(colon + 1)
  if (namePart.length === 0) { sink.error('malformed_line', line); return }

  const labels: Record<string, string> = {}
  let styleCount = 0
  let tagsSeen = 0
  let tagErrors = 0

  // Name-embedded tag styles.
  if (styles.signalfx) {
    const open = namePart.indexOf('[')
    if (open !== -1) {
      const close = namePart.indexOf(']', open)
      if (close !== -1) {
        styleCount++
        const [s, e] = parseKeyValueTags(namePart.slice(open + 1, close), labels)
        tagsSeen += s; tagErrors += e
        namePart = namePart.slice(0, open) + namePart.slice(close + 1)
      }
    }
  }
  // Librato `name#k=v,k2=v2` vs InfluxDB `name,k=v`: whichever delimiter comes first decides;
  // the other one appearing in the tags means two styles were mixed.
  const hash = styles.librato ? namePart.indexOf('#') : -1
  const comma = styles.influxdb ? namePart.indexOf(',') : -1
  if (hash !== -1 && (comma === -1 || hash < comma)) {
    styleCount++
    const [s, e] = parseKeyValueTags(namePart.slice(hash + 1), labels)
    tagsSeen += s; tagErrors += e
    namePart = namePart.slice(0, hash)
  } else if (comma !== -1) {
    styleCount++
    const tagText = namePart.slice(comma + 1)
    if (styles.librato && tagText.includes('#')) styleCount++
    const [s, e] = parseKeyValueTags(tagText, labels)
    tagsSeen += s; tagErrors += e
    namePart = namePart.slice(0, comma)
  }
  if (namePart.length === 0) { sink.error('malformed_line', line); return }

  const dogTagged = hasDogExtras(body)
  if (dogTagged) {
    // One sample (possibly extended aggregation `1:2:3|ms`) with DogStatsD extras.
    const parts = body.split('|')
    const values = (parts[0] as string).split(':')
    const type = parts[1]
    if (type === undefined || !TYPES.has(type)) { sink.error(type === undefined ? 'malformed_component' : 'illegal_event', line); return }
    let rate = 1
    for (let i = 2; i < parts.length; i++) {
      const p = parts[i] as string
      const c = p.charCodeAt(0)
      if (c === 64) { // '@'
        const r = parseRate(p)
        if (r === undefined) { sink.error('invalid_sample_factor', line); return }
        rate = r
      } else if (c === 35) { // '#'
        if (!styles.dogstatsd) continue
        styleCount++
        const [s, e] = parseDogTags(p.slice(1), labels)
        tagsSeen += s; tagErrors += e
      } else if (c === 84 || p.startsWith('c:') || p.startsWith('e:') || p.startsWith('card:')) {
        // Timestamp, container id, external data, cardinality: accepted and dropped.
      } else {
        sink.error('malformed_component', line)
        return
      }
    }
    if (styleCount > 1) { sink.error('mixed_tagging_styles', line); return }
    if (tagsSeen > 0) sink.tags(tagsSeen, tagErrors)
    const samples: StatsdSample[] = []
    for (const v of values) {
      const s = makeSample(namePart, type as StatsdType, v, rate, labels)
      if (s === undefined) { sink.error('malformed_value', line); return }
      samples.push(s)
    }
    for (const s of samples) sink.sample(s)
    return
  }

  if (styleCount > 1) { sink.error('mixed_tagging_styles', line); return }
  if (tagsSeen > 0) sink.tags(tagsSeen, tagErrors)
  // Plain: `v|t[|@r]` samples separated by ':'; a bare value takes the next sample's type.
  const chunks = body.split(':')
  const pending: string[] = []
  const out: StatsdSample[] = []
  for (const chunk of chunks) {
    const parts = chunk.split('|')
    if (parts.length === 1) { pending.push(chunk); continue }
    const type = parts[1] as string
    if (!TYPES.has(type)) { sink.error(type === '' ? 'malformed_component' : 'illegal_event', line); return }
    let rate = 1
    for (let i = 2; i < parts.length; i++) {
      const p = parts[i] as string
      if (p.charCodeAt(0) === 64) {
        const r = parseRate(p)
        if (r === undefined) { sink.error('invalid_sample_factor', line); return }
        rate = r
      } else {
        sink.error('malformed_component', line)
        return
      }
    }
    pending.push(parts[0] as string)
    for (const v of pending) {
      const s = makeSample(namePart, type as StatsdType, v, rate, labels)
      if (s === undefined) { sink.error('malformed_value', line); return }
      out.push(s)
    }
    pending.length = 0
  }
  if (pending.length > 0) { sink.error('malformed_component', line); return }
  for (const s of out) sink.sample(s)
}

/** True when a component after the type is DogStatsD's: `#tags`, `c:container`, `Ttimestamp`. */
function hasDogExtras (body: string): boolean {
  if (body.includes('|#')) return true
  const first = body.indexOf('|')
  let i = body.indexOf('|', first + 1)
  while (i !== -1) {
    const c = body.charCodeAt(i + 1)
    if (c === 84 || (body.charCodeAt(i + 2) === 58 && (c === 99 || c === 101)) || body.startsWith('card:', i + 1)) return true
    i = body.indexOf('|', i + 1)
  }
  return false
}

function parseRate (component: string): number | undefined {
  const r = parseStatsdNumber(component.slice(1))
  if (r === undefined || Number.isNaN(r) || r < 0 || r > 1) return undefined
  // statsd_exporter reads a rate of 0 as 1.
  return r === 0 ? 1 : r
}

function makeSample (name: string, type: StatsdType, text: string, rate: number, labels: Record<string, string>): StatsdSample | undefined {
  if (type === 's') {
    if (text.length === 0) return undefined
    return { name, type, value: 0, member: text, relative: false, rate: 1, labels }
  }
  const value = parseStatsdNumber(text)
  if (value === undefined) return undefined
  const first = text.charCodeAt(0)
  const relative = type === 'g' && (first === 43 || first === 45)
  return { name, type, value, member: '', relative, rate: type === 'g' ? 1 : rate, labels }
}
