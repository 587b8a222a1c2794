// Writes the Prometheus text format (and OpenMetrics when asked) for every source. One writer
// per scrape claims each exposed name once, so a family whose names are taken is skipped and
// counted instead of breaking the scrape. prom-client's own registry is written through here
// too: it prints NaN as `Nan` and cannot hold families we did not declare up front.

export type FamilyType = 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped'

export const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** A family from a source that does not keep its own series (JSON, JMX, prom-client). */
export interface SampleFamily {
  name: string
  help: string
  type: FamilyType
  /** `timestampMs`: written after the value (ms in the text format, seconds in OpenMetrics). */
  samples: Array<{ suffix?: string, labels: Record<string, string>, value: number, timestampMs?: number }>
}

export function formatValue (v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

export function escapeLabelValue (v: string): string {
  if (!/[\\"\n]/.test(v)) return v
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function escapeHelp (v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** `a="x",b="y"` with names sorted; '' for no labels. */
export function labelPairs (labels: Record<string, string>): string {
  const names = Object.keys(labels)
  if (names.length === 0) return ''
  names.sort()
  let out = ''
  for (const n of names) out += (out === '' ? '' : ',') + n + '="' + escapeLabelValue(labels[n] as string) + '"'
  return out
}

export function braces (pairs: string, extra?: string): string {
  if (extra === undefined) return pairs === '' ? '' : '{' + pairs + '}'
  return '{' + (pairs === '' ? extra : pairs + ',' + extra) + '}'
}

/** Every sample name a family of this type exposes. */
export function exposedNames (name: string, type: FamilyType): string[] {
  switch (type) {
    case 'summary': return [name, name + '_sum', name + '_count']
    case 'histogram': return [name, name + '_bucket', name + '_sum', name + '_count']
    default: return [name]
  }
}

export interface Conflict { name: string, source: string }

const CHUNK = 256 * 1024

/**
 * The exposition text, written in one pass into fixed-size Buffer chunks: a 100k-series page
 * then never becomes one big JS string (no rope to flatten, no second UTF-8 copy, little GC).
 */
export class ChunkedText {
  private readonly chunks: Buffer[] = []
  private buf: Buffer = Buffer.allocUnsafe(CHUNK)
  private pos = 0

  /** Appends text (UTF-8). */
  text (t: string): void {
    // Up to 3 bytes per UTF-16 unit: make sure it fits before writing.
    if (this.pos + t.length * 3 > this.buf.length) {
      this.roll(t.length * 3)
    }
    this.pos += this.buf.write(t, this.pos)
  }

  /** Appends a sample value: integers digit by digit, anything else via the text format rules. */
  value (v: number): void {
    if (Number.isSafeInteger(v) && v >= 0) {
      if (this.pos + 17 > this.buf.length) this.roll(17)
      if (v === 0) { this.buf[this.pos++] = 48; return }
      let n = v
      let digits = 0
      for (let x = n; x > 0; x = Math.floor(x / 10)) digits++
      let at = this.pos + digits
      this.pos = at
      while (n > 0) { this.buf[--at] = 48 + (n % 10); n = Math.floor(n / 10) }
      return
    }
    this.text(formatValue(v))
  }

  /** Appends one byte (ASCII). */
  byte (c: number): void {
    if (this.pos + 1 > this.buf.length) this.roll(1)
    this.buf[this.pos++] = c
  }

  private roll (need: number): void {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos))
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, need))
    this.pos = 0
  }

  /** The chunks written so far (the last one trimmed); the writer must not be used after. */
  finish (): Buffer[] {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos))
    this.pos = 0
    this.buf = Buffer.alloc(0)
    return this.chunks
  }
}

export class ExpositionWriter {
  readonly out = new ChunkedText()
  private readonly used = new Set<string>()
  readonly conflicts: Conflict[] = []

  constructor (readonly openMetrics: boolean) {}

  /** Claims a family's names; false (and a conflict recorded) when any is already taken. */
  claim (name: string, type: FamilyType, source: string): boolean {
    const names = exposedNames(name, type)
    if (this.openMetrics && type === 'counter') names.push(name + '_total')
    for (const n of names) {
      if (this.used.has(n)) {
        this.conflicts.push({ name, source })
        return false
      }
    }
    for (const n of names) this.used.add(n)
    return true
  }

  isUsed (name: string): boolean { return this.used.has(name) }

  /** HELP and TYPE lines. Returns the sample-name suffix counters need in OpenMetrics. */
  header (name: string, type: FamilyType, help: string): string {
    if (this.openMetrics) {
      const fam = type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name
      this.out.text(`# TYPE ${fam} ${type === 'untyped' ? 'unknown' : type}\n# HELP ${fam} ${escapeHelp(help)}\n`)
      return type === 'counter' && !name.endsWith('_total') ? '_total' : ''
    }
    this.out.text(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`)
    return ''
  }

  raw (text: string): void { this.out.text(text) }

  /** One sample line: `prefix` is everything up to and including the space before the value. */
  sample (prefix: string, value: number): void {
    this.out.text(prefix)
    this.out.value(value)
    this.out.byte(10)
  }

  /** Writes a whole sample family (claiming its names first). */
  family (f: SampleFamily, source: string): void {
    if (f.samples.length === 0) return
    if (!this.claim(f.name, f.type, source)) return
    const suffix = this.header(f.name, f.type, f.help)
    // A repeated sample (two targets or MBeans yielding the same series) would make Prometheus
    // reject the whole scrape: the first one is kept, the rest counted.
    const seen = new Set<string>()
    for (const s of f.samples) {
      const line = f.name + (s.suffix ?? suffix) + braces(labelPairs(s.labels))
      if (seen.has(line)) { this.conflicts.push({ name: f.name, source }); continue }
      seen.add(line)
      if (s.timestampMs === undefined) {
        this.sample(line + ' ', s.value)
      } else {
        this.out.text(line + ' ' + formatValue(s.value) + ' ' + String(this.openMetrics ? s.timestampMs / 1000 : s.timestampMs) + '\n')
      }
    }
  }

  /** The page as Buffer chunks (what the HTTP handlers send); ends the writer. */
  finishChunks (): Buffer[] {
    if (this.openMetrics) this.out.text('# EOF\n')
    return this.out.finish()
  }

  /** The page as one string; ends the writer. */
  finish (): string {
    return Buffer.concat(this.finishChunks()).toString('utf8')
  }
}

interface PromClientMetric {
  name: string
  help: string
  type: string
  values: Array<{ value: number, labels: Record<string, string | number>, metricName?: string }>
}

/** Converts prom-client's getMetricsAsJSON() output into sample families. */
export function fromPromClient (metrics: readonly PromClientMetric[]): SampleFamily[] {
  return metrics.map((m) => {
    const type: FamilyType = m.type === 'counter' || m.type === 'gauge' || m.type === 'summary' || m.type === 'histogram' ? m.type : 'untyped'
    return {
      name: m.name,
      help: m.help,
      type,
      samples: m.values.map((v) => {
        const labels: Record<string, string> = {}
        for (const [k, val] of Object.entries(v.labels)) labels[k] = String(val)
        const suffix = v.metricName !== undefined && v.metricName !== m.name ? v.metricName.slice(m.name.length) : undefined
        return suffix === undefined ? { labels, value: v.value } : { suffix, labels, value: v.value }
      })
    }
  })
}
