// Turns StatsD lines into series: parse, map, apply sampling and units, store; counts
// everything by statsd_exporter's names. Listeners hand it whole packets or single lines.

import { escapeName, parseLine, type LineErrorReason, type LineSink, type StatsdSample, type TagStyles } from './statsd-line.js'
import { kindOf, type Mapper } from './mapping.js'
import { AdapterStats } from './own-metrics.js'
import type { SeriesStore } from './series-store.js'

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
    parseLine(line, this.o.styles, this)
    if (this.o.relay !== undefined) this.o.relay(line)
  }

  skipped (kind: 'event' | 'service_check'): void {
    AdapterStats.bump(this.o.stats.skipped, kind)
  }

  tags (seen: number, errors: number): void {
    this.o.stats.tags += seen
    this.o.stats.tagErrors += errors
  }

  error (reason: LineErrorReason, line: string): void {
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
    stats.samples++
    const kind = kindOf(s.type)
    AdapterStats.bump(stats.events, kind)
    const m = this.o.mapper.map(s.name, kind)
    if (m.action === 'drop') return
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
    switch (kind) {
      case 'counter':
        store.counter(name, labels, s.value / s.rate * (m.scale ?? 1), m.ttlMs, m.help)
        return
      case 'gauge':
        store.gauge(name, labels, s.value * (m.scale ?? 1), s.relative, m.ttlMs, m.help)
        return
      case 'set':
        store.set(name, labels, s.member, m.ttlMs, m.help)
        return
      case 'observer': {
        const unit = m.scale ?? (s.type === 'ms' ? 0.001 : 1)
        const times = s.rate < 1 ? Math.floor(1 / s.rate) : 1
        store.observe(name, labels, s.value * unit, times, m.observer, m.ttlMs, m.help)
      }
    }
  }
}
