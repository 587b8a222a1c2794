// The redis-ambassador flag table: every flag with its env var, default and help, and the
// checks that turn parsed values into a configuration the proxy can start from.

import { ConfigError, parseAddress, readPackageInfo, type ConfigTable } from '@pod-patterns/runtime'
import { loadTlsOptions } from './tls-settings.js'

export const PACKAGE = readPackageInfo(import.meta.url)

export type ReadPolicy = 'round-robin' | 'least-outstanding' | 'primary'

export interface AmbassadorConfig {
  listen: string
  primary: string
  replicas: readonly string[]
  sentinels: readonly string[]
  masterName: string
  sentinelUsername: string
  sentinelPassword: string
  sentinelTls: boolean
  upstreamUsername: string
  upstreamPassword: string
  upstreamTls: boolean
  tlsInsecure: boolean
  tlsCaFile: string
  tlsCertFile: string
  tlsKeyFile: string
  tlsServername: string
  password: string
  httpBind: string
  readPolicy: ReadPolicy
  readYourWrites: number
  maxReplicaLag: number
  healthInterval: number
  connectTimeout: number
  poolSize: number
  maxBulkBytes: number
  maxArrayLen: number
  maxClientBuffer: number
  maxClientPipeline: number
  maxClients: number
  denyCommands: readonly string[]
  drainTimeout: number
  logLevel: string
}

export const table: ConfigTable = {
  program: 'redis-ambassador',
  version: PACKAGE.version,
  summary: 'Redis ambassador: the app talks to localhost; reads go to replicas, writes to the primary, following Sentinel.',
  envPrefix: 'REDIS_AMBASSADOR_',
  options: [
    { name: 'listen', type: 'string', default: '127.0.0.1:6379', help: 'Where clients connect: HOST:PORT or unix:/path.', placeholder: 'ADDR' },
    { name: 'primary', type: 'string', default: '', help: 'Static topology: the primary as HOST:PORT.', placeholder: 'HOST:PORT', group: 'topology' },
    { name: 'replicas', type: 'list', envSeparator: ',', flagSeparator: ',', default: [], help: 'Static topology: replicas as HOST:PORT,...', placeholder: 'HOST:PORT,...', group: 'topology' },
    { name: 'sentinels', type: 'list', envSeparator: ',', flagSeparator: ',', default: [], help: 'Sentinel topology: sentinels as HOST:PORT,... (hostnames allowed).', placeholder: 'HOST:PORT,...', group: 'topology' },
    { name: 'master-name', type: 'string', default: 'mymaster', help: 'Sentinel topology: the monitored master\'s name.', placeholder: 'NAME', group: 'topology' },
    { name: 'sentinel-username', type: 'string', default: '', help: 'Username for the sentinels (ACL); empty: none.', group: 'topology' },
    { name: 'sentinel-password', type: 'string', default: '', secret: true, envOnly: true, help: 'Password for the sentinels (env only).', group: 'topology' },
    { name: 'sentinel-tls', type: 'bool', default: false, help: 'Connect to the sentinels over TLS.', group: 'topology' },
    { name: 'upstream-username', type: 'string', default: '', help: 'Username the ambassador uses upstream for clients that did not AUTH; empty: default user.', group: 'upstream' },
    { name: 'upstream-password', type: 'string', default: '', secret: true, envOnly: true, help: 'Password the ambassador uses upstream (env only); also used for health checks.', group: 'upstream' },
    { name: 'upstream-tls', type: 'bool', default: false, help: 'Connect to the Redis servers over TLS.', group: 'upstream' },
    { name: 'tls-insecure', type: 'bool', default: false, help: 'Skip certificate verification for upstream and sentinel TLS (testing only).', group: 'upstream' },
    { name: 'tls-ca-file', type: 'string', default: '', help: 'PEM file with the CA certificates that sign the Redis and Sentinel server certificates; empty: the system CAs.', placeholder: 'PATH', group: 'upstream' },
    { name: 'tls-cert-file', type: 'string', default: '', help: 'PEM client certificate for upstream and sentinel TLS (when the servers require client certificates, tls-auth-clients yes).', placeholder: 'PATH', group: 'upstream' },
    { name: 'tls-key-file', type: 'string', default: '', help: 'PEM private key of --tls-cert-file.', placeholder: 'PATH', group: 'upstream' },
    { name: 'tls-servername', type: 'string', default: '', help: 'Name to verify the server certificates against (and send as SNI); empty: the host name of each server (IP addresses are verified as IPs).', placeholder: 'NAME', group: 'upstream' },
    { name: 'password', type: 'string', default: '', secret: true, envOnly: true, help: 'The ambassador\'s own password: clients must AUTH with it before anything else (env only); empty: AUTH passes through to Redis ACLs.' },
    { name: 'http-bind', type: 'string', default: '', help: 'Address for /healthz, /readyz and /metrics; empty: no HTTP server.', placeholder: 'ADDR' },
    { name: 'read-policy', type: 'enum', choices: ['round-robin', 'least-outstanding', 'primary'], default: 'least-outstanding', help: 'How reads pick a healthy replica; `primary` sends everything to the primary.', group: 'routing' },
    { name: 'read-your-writes', type: 'duration', default: 0, help: 'After a client writes, its reads stay on the primary for this long; 0: off.', group: 'routing' },
    { name: 'max-replica-lag', type: 'int', default: 1048576, min: 0, help: 'Skip replicas whose replication offset is more than this many bytes behind the primary.', group: 'routing' },
    { name: 'health-interval', type: 'duration', default: 1000, help: 'How often replicas and the primary are checked (ROLE, INFO replication).', group: 'routing' },
    { name: 'connect-timeout', type: 'duration', default: 2000, help: 'Upstream connect timeout; a primary that cannot be reached gets fast errors after this.', group: 'upstream' },
    { name: 'pool-size', type: 'int', default: 1, min: 1, max: 64, help: 'Shared upstream connections per server and connection state (user, db, protocol); one carries the most commands per write, so Redis makes the fewest syscalls.', group: 'upstream' },
    { name: 'max-bulk-bytes', type: 'int', default: 536870912, min: 1, help: 'Largest bulk string a client may send (bytes), as Redis proto-max-bulk-len.', group: 'limits' },
    { name: 'max-array-len', type: 'int', default: 1048576, min: 1, help: 'Most arguments in one client command.', group: 'limits' },
    { name: 'max-client-buffer', type: 'int', default: 67108864, min: 1024, help: 'Bytes buffered for one client (unsent replies, partial input) before its input is paused: its requests wait, unforwarded, until it reads.', group: 'limits' },
    { name: 'max-client-pipeline', type: 'int', default: 1024, min: 1, help: 'Requests one client may have in flight (forwarded, reply not yet delivered); more wait, unforwarded. With --max-client-buffer it bounds what is held for a client that does not read.', group: 'limits' },
    { name: 'max-clients', type: 'int', default: 10000, min: 1, help: 'Most client connections at once; more are refused with an error.', group: 'limits' },
    { name: 'deny-commands', type: 'list', envSeparator: ',', flagSeparator: ',', default: ['shutdown', 'debug', 'replicaof', 'slaveof', 'failover', 'sync', 'psync'], help: 'Commands refused with an error (name or name|subcommand, e.g. config|set); everything else reaches the primary.', placeholder: 'CMD,...', group: 'routing' },
    { name: 'drain-timeout', type: 'duration', default: 10000, help: 'On SIGTERM, how long in-flight replies may take before connections are closed.' },
    { name: 'log-level', type: 'enum', choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'], default: 'info', help: 'Log level.' }
  ]
}

/** Cross-flag checks the table cannot express. */
export function validateConfig (config: Readonly<AmbassadorConfig>): Readonly<AmbassadorConfig> {
  const hasStatic = config.primary !== ''
  const hasSentinel = config.sentinels.length > 0
  if (hasStatic && hasSentinel) throw new ConfigError('--primary and --sentinels exclude each other: choose static or Sentinel topology', 'primary')
  if (!hasStatic && !hasSentinel) throw new ConfigError('no topology: give --primary HOST:PORT (and --replicas) or --sentinels HOST:PORT,... with --master-name', 'primary')
  if (!hasStatic && config.replicas.length > 0) throw new ConfigError('--replicas needs --primary (with --sentinels the replicas come from Sentinel)', 'replicas')
  try {
    parseAddress(config.listen, '--listen', '127.0.0.1')
    if (hasStatic) parseAddress(config.primary, '--primary', '127.0.0.1')
    for (const r of config.replicas) parseAddress(r, '--replicas', '127.0.0.1')
    for (const s of config.sentinels) parseAddress(s, '--sentinels', '127.0.0.1')
    if (config.httpBind !== '') parseAddress(config.httpBind, '--http-bind')
  } catch (err) {
    throw new ConfigError((err as Error).message, undefined, { cause: err })
  }
  if ((config.tlsCertFile === '') !== (config.tlsKeyFile === '')) throw new ConfigError('--tls-cert-file and --tls-key-file go together', config.tlsCertFile === '' ? '--tls-cert-file' : '--tls-key-file')
  const usesTls = config.upstreamTls || config.sentinelTls
  for (const [flag, v] of [['tls-ca-file', config.tlsCaFile], ['tls-cert-file', config.tlsCertFile], ['tls-servername', config.tlsServername]] as const) {
    if (v !== '' && !usesTls) throw new ConfigError(`--${flag} needs --upstream-tls or --sentinel-tls`, `--${flag}`)
  }
  if (usesTls) loadTlsOptions(config) // unreadable certificate files are configuration errors, reported now
  for (const p of [config.primary, ...config.replicas, ...config.sentinels]) {
    if (p.startsWith('unix:') || p.startsWith('/')) throw new ConfigError(`upstream address ${p} must be HOST:PORT (unix sockets are for --listen only)`, 'primary')
  }
  return config
}
