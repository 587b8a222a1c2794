// The metrics-adapter flag table. Flag names follow statsd_exporter's so existing pod specs
// keep working; every flag also reads a METRICS_ADAPTER_* env var.

import { readPackageInfo, type ConfigTable } from '@pod-patterns/runtime'

export const PACKAGE = readPackageInfo(import.meta.url)

export interface AdapterConfig {
  statsdListenUdp: string
  statsdListenTcp: string
  webListenAddress: string
  webTelemetryPath: string
  logLevel: string
}

export const table: ConfigTable = {
  program: 'metrics-adapter',
  version: PACKAGE.version,
  summary: 'Metrics adapter: StatsD, JMX and JSON stats in, one Prometheus /metrics out.',
  envPrefix: 'METRICS_ADAPTER_',
  options: [
    { name: 'statsd.listen-udp', key: 'statsdListenUdp', type: 'string', default: ':9125', help: 'UDP address for StatsD lines; empty: off.' },
    { name: 'statsd.listen-tcp', key: 'statsdListenTcp', type: 'string', default: ':9125', help: 'TCP address for StatsD lines; empty: off.' },
    { name: 'web.listen-address', key: 'webListenAddress', type: 'string', default: ':9102', help: 'Address for the web interface and telemetry.' },
    { name: 'web.telemetry-path', key: 'webTelemetryPath', type: 'string', default: '/metrics', help: 'Path under which to expose metrics.' },
    { name: 'log.level', key: 'logLevel', type: 'enum', choices: ['debug', 'info', 'warn', 'error'], default: 'info', help: 'Only log messages with the given severity or above.' }
  ]
}
