// Turns StatsD lines into series: parse, map, apply sampling and units, store; counts
// everything by statsd_exporter's names. Listeners hand it whole packets or single lines.

import { escapeName, parseLine, parseStatsdNumber, type LineErrorReason, type LineSink, type StatsdSample, type StatsdType, type TagStyles } from './statsd-line.js'
import { kindOf, type Mapper, type MetricKind } from './mapping.js'
import { AdapterStats } from './own-metrics.js'
import type { Series, SeriesStore } from './series-store.js'

/**
 * What a line resolved to, cached under the line with its value cut out (`name,tags|type|@r…`):
 * the next line of that shape skips parsing, mapping and the series lookup and only reads its
 * value. Valid while neither the store nor the mapping changed generation.
 */
interface LineTarget {
  storeGen: number
  mapperGen: number
  kind: MetricKind
  type: StatsdType
  /** undefined: the mapping drops this line. */
  series: Series | undefined
  mapped: boolean
  rate: number
  scale: number | undefined
  tagsSeen: number
  tagErrors: number
}

/** Distinct line shapes kept; past it the cache starts over (a miss costs one full parse). */
const LINE_CACHE_SIZE = 20_000

const NAME_OK = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

export interface IngestOptions {
  styles: TagStyles
  mapper: Mapper
  store: SeriesStore
  stats: AdapterStats
  /** Each accepted line, for --statsd.relay.address. */
  relay?: (line: string) => void
  onBadLine?: (reason: LineErrorReason, line: string) => void
}

export class StatsdIngest implements LineSink {
  private readonly nameCache = new Map<string, string>()
  private readonly lineCache = new Map<string, LineTarget>()
  /** Per full parse: what to cache once it is known the line gave exactly one good sample. */
  private pendingSamples = 0
  private pendingFailed = false
  private pendingTarget: LineTarget | undefined
  private pendingTags = 0
  private pendingTagErrors = 0

  constructor (private readonly o: IngestOptions) {}

  /** A datagram: lines split on `\n` only (as statsd_exporter does for UDP). */
  packet (text: string): void {
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      const line = nl === -1 ? text.slice(start) : text.slice(start, nl)
      if (line.length > 0) this.line(line)
      if (nl === -1) return
      start = nl + 1
    }
  }

  line (line: string): void {
    this.o.stats.lines++
    // The value sits between the first ':' and the first '|' when no other ':' comes before that
    // '|'; any such line with the same rest parses the same way, whatever its value.
    const colon = line.indexOf(':')
    const pipe = colon === -1 ? -1 : line.indexOf('|', colon)
    let key: string | undefined
    if (pipe !== -1 && line.indexOf('|') === pipe) {
      const second = line.indexOf(':', colon + 1)
      if (second === -1 || second > pipe) {
        key = line.slice(0, colon) + line.slice(pipe)
        const t = this.lineCache.get(key)
        if (t !== undefined && t.storeGen === this.o.store.generation && t.mapperGen === this.o.mapper.generation && this.applyCached(t, line.slice(colon + 1, pipe))) {
          if (this.o.relay !== undefined) this.o.relay(line)
          return
        }
      }
    }
    this.pendingSamples = 0
    this.pendingFailed = false
    this.pendingTarget = undefined
    this.pendingTags = 0
    this.pendingTagErrors = 0
    parseLine(line, this.o.styles, this)
    // Set by the sink callbacks during parseLine (TypeScript cannot see that).
    const t = this.pendingTarget as LineTarget | undefined
    if (key !== undefined && this.pendingSamples === 1 && !this.pendingFailed && t !== undefined) {
      t.tagsSeen = this.pendingTags
      t.tagErrors = this.pendingTagErrors
      if (this.lineCache.size >= LINE_CACHE_SIZE) this.lineCache.clear()
      this.lineCache.set(key, t)
    }
    if (this.o.relay !== undefined) this.o.relay(line)
  }

  /** Applies a value to a cached line target; false when the value needs a full parse. */
  private applyCached (t: LineTarget, text: string): boolean {
    let value = 0
    if (t.type === 's') {
      if (text.length === 0) return false
    } else {
      const v = parseStatsdNumber(text)
      if (v === undefined) return false
      value = v
    }
    const stats = this.o.stats
    if (t.tagsSeen > 0) { stats.tags += t.tagsSeen; stats.tagErrors += t.tagErrors }
    stats.samples++
    stats.eventsByKind[t.kind]++
    const s = t.series
    if (s === undefined) return true // dropped by the mapping
    if (!t.mapped) stats.eventsUnmapped++
    const store = this.o.store
    const now = store.clock()
    switch (t.kind) {
      case 'counter':
        store.addCounter(s, value / t.rate * (t.scale ?? 1), now)
        return true
      case 'gauge': {
        const c = text.charCodeAt(0)
        store.setGauge(s, value * (t.scale ?? 1), c === 43 || c === 45, now)
        return true
      }
      case 'set':
        store.addMember(s, text, now)
        return true
      case 'observer': {
        const unit = t.scale ?? (t.type === 'ms' ? 0.001 : 1)
        store.observeOn(s, value * unit, t.rate < 1 ? Math.floor(1 / t.rate) : 1, now)
        return true
      }
    }
  }

  skipped (kind: 'event' | 'service_check'): void {
    AdapterStats.bump(this.o.stats.skipped, kind)
  }

  tags (seen: number, errors: number): void {
    this.pendingTags += seen
    this.pendingTagErrors += errors
    this.o.stats.tags += seen
    this.o.stats.tagErrors += errors
  }

  error (reason: LineErrorReason, line: string): void {
    this.pendingFailed = true
    AdapterStats.bump(this.o.stats.sampleErrors, reason)
    this.o.onBadLine?.(reason, line)
  }

  private promName (name: string): string {
    let out = this.nameCache.get(name)
    if (out === undefined) {
      out = escapeName(name)
      if (this.nameCache.size > 50_000) this.nameCache.clear()
      this.nameCache.set(name, out)
    }
    return out
  }

  sample (s: StatsdSample): void {
    const stats = this.o.stats
    this.pendingSamples++
    stats.samples++
    const kind = kindOf(s.type)
    stats.eventsByKind[kind]++
    const m = this.o.mapper.map(s.name, kind)
    const target: LineTarget = { storeGen: this.o.store.generation, mapperGen: this.o.mapper.generation, kind, type: s.type, series: undefined, mapped: m.mapped, rate: s.rate, scale: m.scale, tagsSeen: 0, tagErrors: 0 }
    if (m.action === 'drop') { this.pendingTarget = target; return }
    if (!m.mapped) stats.eventsUnmapped++
    let name: string
    if (m.name === undefined) name = this.promName(s.name)
    else name = NAME_OK.test(m.name) ? m.name : escapeName(m.name)
    let labels = s.labels
    const mapped = m.labels
    let hasMapped = false
    for (const _k in mapped) { hasMapped = true; break }
    if (hasMapped) labels = m.honorLabels ? { ...mapped, ...s.labels } : { ...s.labels, ...mapped }
    const store = this.o.store
    if (kind === 'counter') {
      const delta = s.value / s.rate * (m.scale ?? 1)
      // A negative counter is refused before it can create a series.
      if (!(delta >= 0)) { store.counter(name, labels, delta, m.ttlMs, m.help); return }
    }
    const series = store.resolve(name, kind, labels, kind === 'observer' ? m.observer : undefined, m.ttlMs, m.help)
    if (series === undefined) return
    target.series = series
    target.storeGen = store.generation
    this.pendingTarget = target
    const now = store.clock()
    switch (kind) {
      case 'counter':
        store.addCounter(series, s.value / s.rate * (m.scale ?? 1), now)
        return
      case 'gauge':
        store.setGauge(series, s.value * (m.scale ?? 1), s.relative, now)
        return
      case 'set':
        store.addMember(series, s.member, now)
        return
      case 'observer': {
        const unit = m.scale ?? (s.type === 'ms' ? 0.001 : 1)
        store.observeOn(series, s.value * unit, s.rate < 1 ? Math.floor(1 / s.rate) : 1, now)
      }
    }
  }
}
