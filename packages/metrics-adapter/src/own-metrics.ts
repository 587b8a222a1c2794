// The adapter's own metrics, in prom-client, under statsd_exporter's names where the meaning is
// the same. The hot path bumps plain numbers; prom-client reads them at scrape (collect()).

import { Counter, Gauge, type Registry } from 'prom-client'

type Labelled = Map<string, number>

export class AdapterStats {
  lines = 0
  samples = 0
  tags = 0
  tagErrors = 0
  udpPackets = 0
  udpPacketDrops = 0
  tcpConnections = 0
  tcpConnectionErrors = 0
  tcpTooLongLines = 0
  unixgramPackets = 0
  eventsUnmapped = 0
  seriesDropped = 0
  labelSetVariants = 0
  loadedMappings = 0
  readonly events: Labelled = new Map()
  readonly sampleErrors: Labelled = new Map()
  readonly eventsError: Labelled = new Map()
  readonly eventsConflict: Labelled = new Map()
  readonly skipped: Labelled = new Map()
  readonly configReloads: Labelled = new Map()
  readonly scrapeConflicts: Labelled = new Map()
  readonly relayedLines: Labelled = new Map()

  static bump (m: Labelled, key: string, by = 1): void {
    m.set(key, (m.get(key) ?? 0) + by)
  }
}

function counter (registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect () { this.reset(); this.inc(read()) }
  })
}

function labelled (registry: Registry, name: string, help: string, label: string, m: Labelled, seed: readonly string[] = []): void {
  for (const k of seed) if (!m.has(k)) m.set(k, 0)
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect () {
      this.reset()
      for (const [k, v] of m) this.inc({ [label]: k }, v)
    }
  })
}

/** Registers the own metrics; `seriesByType` feeds statsd_exporter_metrics_total. */
export function registerOwnMetrics (registry: Registry, stats: AdapterStats, seriesByType: () => Record<string, number>): void {
  const p = 'statsd_exporter_'
  counter(registry, p + 'lines_total', 'The total number of StatsD lines received.', () => stats.lines)
  counter(registry, p + 'samples_total', 'The total number of StatsD samples received.', () => stats.samples)
  counter(registry, p + 'tags_total', 'The number of tags processed.', () => stats.tags)
  counter(registry, p + 'tag_errors_total', 'The number of errors parsing DogStatsD tags.', () => stats.tagErrors)
  counter(registry, p + 'udp_packets_total', 'The total number of StatsD packets received over UDP.', () => stats.udpPackets)
  counter(registry, p + 'udp_packet_drops_total', 'The total number of dropped StatsD packets received over UDP.', () => stats.udpPacketDrops)
  counter(registry, p + 'tcp_connections_total', 'The total number of TCP connections handled.', () => stats.tcpConnections)
  counter(registry, p + 'tcp_connection_errors_total', 'The number of errors encountered reading from TCP.', () => stats.tcpConnectionErrors)
  counter(registry, p + 'tcp_too_long_lines_total', 'The number of lines discarded due to being too long.', () => stats.tcpTooLongLines)
  counter(registry, p + 'unixgram_packets_total', 'The total number of StatsD packets received over Unixgram.', () => stats.unixgramPackets)
  counter(registry, p + 'events_unmapped_total', 'The total number of StatsD events no mapping was found for.', () => stats.eventsUnmapped)
  labelled(registry, p + 'events_total', 'The total number of StatsD events seen.', 'type', stats.events, ['counter', 'gauge', 'observer', 'set'])
  labelled(registry, p + 'sample_errors_total', 'The total number of errors parsing StatsD samples.', 'reason',
    stats.sampleErrors, ['malformed_line', 'malformed_component', 'malformed_value', 'invalid_sample_factor', 'illegal_event', 'mixed_tagging_styles'])
  labelled(registry, p + 'events_error_total', 'The total number of StatsD events discarded due to errors.', 'reason', stats.eventsError, ['illegal_negative_counter'])
  labelled(registry, p + 'events_conflict_total', 'The total number of StatsD events with conflicting names or types (dropped).', 'type', stats.eventsConflict)
  labelled(registry, p + 'config_reloads_total', 'The number of configuration reloads.', 'outcome', stats.configReloads, ['success', 'failure'])
  new Gauge({
    name: p + 'loaded_mappings',
    help: 'The current number of configured metric mappings.',
    registers: [registry],
    collect () { this.set(stats.loadedMappings) }
  })
  new Gauge({
    name: p + 'metrics_total',
    help: 'The total number of metrics (series) held.',
    labelNames: ['type'],
    registers: [registry],
    collect () {
      this.reset()
      for (const [k, v] of Object.entries(seriesByType())) this.set({ type: k }, v)
    }
  })
  // Ours: statsd_exporter has no equivalent.
  const q = 'metrics_adapter_'
  labelled(registry, q + 'skipped_lines_total', 'DogStatsD events and service checks recognised and skipped (not errors).', 'kind', stats.skipped, ['event', 'service_check'])
  counter(registry, q + 'series_dropped_total', 'New series refused because --max-series was reached.', () => stats.seriesDropped)
  counter(registry, q + 'label_set_variants_total', 'New series whose label names differ from the first series of the same name (kept, not dropped).', () => stats.labelSetVariants)
  labelled(registry, q + 'scrape_conflicts_total', 'Families left out of a scrape because another source already exposed one of their names.', 'source', stats.scrapeConflicts)
  labelled(registry, q + 'relayed_lines_total', 'Lines forwarded to --statsd.relay.address.', 'outcome', stats.relayedLines)
}
