// The metrics-adapter flag table. Flag names and defaults follow statsd_exporter's so existing
// pod specs keep working; every flag also reads a METRICS_ADAPTER_* env var.

import { ConfigError, readPackageInfo, type ConfigTable } from '@pod-patterns/runtime'

export const PACKAGE = readPackageInfo(import.meta.url)

export interface AdapterConfig {
  statsdListenUdp: string
  statsdListenTcp: string
  statsdListenUnixgram: string
  statsdUnixsocketMode: string
  statsdMappingConfig: string
  statsdReadBuffer: number
  statsdCacheSize: number
  statsdCacheType: string
  statsdEventQueueSize: number
  statsdEventFlushThreshold: number
  statsdEventFlushInterval: number
  statsdParseDogstatsdTags: boolean
  statsdParseInfluxdbTags: boolean
  statsdParseLibratoTags: boolean
  statsdParseSignalfxTags: boolean
  statsdRelayAddress: string
  statsdRelayPacketLength: number
  statsdSetInterval: number
  statsdTcpMaxLineLength: number
  webListenAddress: string
  webTelemetryPath: string
  webEnableLifecycle: boolean
  webOpenmetrics: boolean
  webConfigFile: string
  checkConfig: boolean
  maxSeries: number
  jsonConfigFile: string
  jmxConfigFile: readonly string[]
  logLevel: string
  logFormat: string
}

export const table: ConfigTable = {
  program: 'metrics-adapter',
  version: PACKAGE.version,
  summary: 'Metrics adapter: StatsD, JMX and JSON stats in, one Prometheus /metrics out.\nAccepts statsd_exporter\'s flags and mapping file, jmx_exporter\'s rules and json_exporter\'s modules.',
  envPrefix: 'METRICS_ADAPTER_',
  options: [
    { group: 'StatsD', name: 'statsd.listen-udp', type: 'string', default: ':9125', placeholder: 'ADDR', help: 'UDP address for StatsD lines; empty: off.' },
    { group: 'StatsD', name: 'statsd.listen-tcp', type: 'string', default: ':9125', placeholder: 'ADDR', help: 'TCP address for StatsD lines; empty: off.' },
    { group: 'StatsD', name: 'statsd.listen-unixgram', type: 'string', default: '', placeholder: 'PATH', help: 'Unix datagram socket path for StatsD lines; empty: off.' },
    { group: 'StatsD', name: 'statsd.unixsocket-mode', type: 'string', default: '755', placeholder: 'MODE', help: 'Permission mode (octal) of the unix datagram socket.' },
    { group: 'StatsD', name: 'statsd.mapping-config', type: 'string', default: '', placeholder: 'FILE', help: 'statsd_exporter mapping YAML; reloaded on SIGHUP and /-/reload.' },
    { group: 'StatsD', name: 'statsd.read-buffer', type: 'int', default: 4194304, min: 0, help: 'UDP socket receive buffer size in bytes (the kernel caps it at net.core.rmem_max); 0: the system default. statsd_exporter defaults to 0; a larger buffer rides out bursts while the process is descheduled.' },
    { group: 'StatsD', name: 'statsd.cache-size', type: 'int', default: 1000, min: 1, help: 'Number of name mappings kept in the mapping cache.' },
    { group: 'StatsD', name: 'statsd.cache-type', type: 'enum', choices: ['lru', 'random'], default: 'lru', help: 'Accepted for statsd_exporter compatibility; the cache is cleared when full either way.' },
    { group: 'StatsD', name: 'statsd.event-queue-size', type: 'int', default: 10000, min: 1, help: 'Accepted for statsd_exporter compatibility; lines are applied as they arrive (no queue).' },
    { group: 'StatsD', name: 'statsd.event-flush-threshold', type: 'int', default: 1000, min: 1, help: 'Accepted for statsd_exporter compatibility; no effect.' },
    { group: 'StatsD', name: 'statsd.event-flush-interval', type: 'duration', default: 200, help: 'Accepted for statsd_exporter compatibility; no effect.' },
    { group: 'StatsD', name: 'statsd.parse-dogstatsd-tags', type: 'bool', default: true, help: 'Parse DogStatsD-style tags (`|#k:v`).' },
    { group: 'StatsD', name: 'statsd.parse-influxdb-tags', type: 'bool', default: true, help: 'Parse InfluxDB-style tags (`name,k=v`).' },
    { group: 'StatsD', name: 'statsd.parse-librato-tags', type: 'bool', default: true, help: 'Parse Librato-style tags (`name#k=v`).' },
    { group: 'StatsD', name: 'statsd.parse-signalfx-tags', type: 'bool', default: true, help: 'Parse SignalFX-style tags (`name[k=v]`).' },
    { group: 'StatsD', name: 'statsd.relay.address', type: 'string', default: '', placeholder: 'HOST:PORT', help: 'Forward every received line unmodified to this StatsD (UDP); empty: off.' },
    { group: 'StatsD', name: 'statsd.relay.packet-length', type: 'int', default: 1400, min: 64, max: 65000, help: 'Maximum size of a relayed datagram in bytes.' },
    { group: 'StatsD', name: 'statsd.set-interval', type: 'duration', default: 10_000, min: 100, help: 'Sets (`|s`) show the distinct values seen per interval of this length (as Telegraf).' },
    { group: 'StatsD', name: 'statsd.tcp-max-line-length', type: 'int', default: 65536, min: 64, help: 'TCP lines longer than this are dropped and counted.' },
    { group: 'Output', name: 'web.listen-address', type: 'string', default: ':9102', placeholder: 'ADDR', help: 'Address for /metrics, /healthz, /readyz, /probe and /-/reload.' },
    { group: 'Output', name: 'web.telemetry-path', type: 'string', default: '/metrics', placeholder: 'PATH', help: 'Path under which to expose metrics.' },
    { group: 'Output', name: 'web.enable-lifecycle', type: 'bool', default: false, help: 'Enable POST/PUT /-/reload (reload configs) and /-/quit.' },
    { group: 'Output', name: 'web.openmetrics', type: 'bool', default: false, help: 'Answer scrapers that accept OpenMetrics with it (counters gain `_total`); off: always the Prometheus text format.' },
    { group: 'Output', name: 'web.config.file', type: 'string', default: '', placeholder: 'FILE', help: 'exporter-toolkit web config (TLS, client certificates, basic_auth_users with bcrypt hashes, headers), as statsd_exporter; empty: plain HTTP.' },
    { group: 'Output', name: 'max-series', type: 'int', default: 500_000, min: 1, help: 'Cap on StatsD series held; new series past it are dropped and counted.' },
    { group: 'Sources', name: 'json.config-file', type: 'string', default: '', placeholder: 'FILE', help: 'json_exporter config (modules, plus optional targets scraped here); enables /probe.' },
    { group: 'Sources', name: 'jmx.config-file', type: 'list', default: [], placeholder: 'FILE', envSeparator: ',', help: 'jmx_exporter config (hostPort/jmxUrl + rules); repeatable. Needs a JDK and the optional jmx module.' },
    { group: 'General', name: 'check-config', type: 'bool', default: false, help: 'Check the mapping, JSON and JMX configs, then exit (0: valid).' },
    { group: 'General', name: 'log.level', type: 'enum', choices: ['debug', 'info', 'warn', 'error'], default: 'info', help: 'Only log messages with the given severity or above.' },
    { group: 'General', name: 'log.format', type: 'enum', choices: ['logfmt', 'json'], default: 'json', help: 'Accepted for compatibility; logs are always JSON lines.' }
  ]
}

export function parseSocketMode (text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new ConfigError(`--statsd.unixsocket-mode must be an octal mode like 755, got ${JSON.stringify(text)}`, '--statsd.unixsocket-mode')
  return parseInt(text, 8)
}

/** Checks that need more than one flag or a parse. */
export function validateConfig (c: Readonly<AdapterConfig>): Readonly<AdapterConfig> {
  parseSocketMode(c.statsdUnixsocketMode)
  if (!c.webTelemetryPath.startsWith('/')) throw new ConfigError('--web.telemetry-path must start with /', '--web.telemetry-path')
  for (const p of ['/healthz', '/readyz', '/probe', '/-/reload', '/-/quit']) {
    if (c.webTelemetryPath === p) throw new ConfigError(`--web.telemetry-path cannot be ${p}`, '--web.telemetry-path')
  }
  return c
}
