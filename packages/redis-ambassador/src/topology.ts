// The control plane: which server is the primary and which replicas are fit for reads. Static
// mode checks ROLE and INFO; Sentinel mode follows the sentinels' events. Uses ioredis, never
// on the data path.

import { EventEmitter } from 'node:events'
import type tls from 'node:tls'
import { Redis, type RedisOptions } from 'ioredis'
import { parseAddress, PodPatternsError, type Logger } from '@pod-patterns/runtime'
import { UpstreamNode, type UpstreamOptions } from './upstream.js'
import type { AmbassadorConfig } from './config.js'
import { tlsOptionsFor } from './tls-settings.js'
import { GuardedConnector } from './guarded-connector.js'

export class ClusterNotSupportedError extends PodPatternsError {
  constructor (id: string) {
    super('RA_ERR_CLUSTER', `${id} runs Redis Cluster (cluster_enabled:1); redis-ambassador supports a primary with replicas (static or Sentinel), not Redis Cluster: use a cluster-aware client instead`)
  }
}

/** The topology reads the same settings the flag table defines, plus the upstream pool and a logger. */
export type TopologyOptions = Pick<AmbassadorConfig,
  'primary' | 'replicas' | 'sentinels' | 'masterName' | 'sentinelUsername' | 'sentinelPassword' | 'sentinelTls' |
  'upstreamUsername' | 'upstreamPassword' | 'upstreamTls' | 'tlsInsecure' | 'healthInterval' | 'connectTimeout' |
  'maxReplicaLag'> & {
  upstream: UpstreamOptions
  logger: Logger
  /** TLS options (CA, client certificate, server name) for servers and sentinels. */
  tlsOptions?: tls.ConnectionOptions
}

interface NodeHealth {
  client: Redis
  role: string
  loading: boolean
  linkUp: boolean
  offset: number
  checkedAt: number
  error: string | undefined
  /** The last connection error ioredis reported (refused, TLS, WRONGPASS), for clear health errors. */
  connError: string | undefined
}

function splitHostPort (text: string): { host: string, port: number } {
  const a = parseAddress(text, 'address', '127.0.0.1')
  if (a.kind !== 'tcp') throw new Error(`${text}: expected HOST:PORT`)
  return { host: a.host, port: a.port }
}

function parseInfo (text: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1))
  }
  return m
}

/**
 * Events: `primary` (node, previous) when the primary changes; `inspected` once a new primary's
 * COMMAND table, version and cluster mode are known; `change` after any update.
 */
export class Topology extends EventEmitter {
  primary: UpstreamNode | undefined
  replicas: UpstreamNode[] = []
  /** Replicas currently fit for reads. */
  readable: UpstreamNode[] = []
  primaryOffset = 0
  serverVersion = '7.0.0'
  databases = 16
  /** `COMMAND` reply from the primary, once fetched. */
  commandReply: unknown
  private readonly nodes = new Map<string, UpstreamNode>()
  private readonly health = new Map<UpstreamNode, NodeHealth>()
  private timer: NodeJS.Timeout | undefined
  private readonly sentinelClients: Redis[] = []
  private refreshing: Promise<void> | undefined
  private refreshAgain = false
  private stopped = false
  /** Why the ambassador refuses to serve (Redis Cluster detected); undefined: it serves. */
  refusal: string | undefined
  /** Why no primary is known yet (e.g. every sentinel refused), for /readyz. */
  discoveryError: string | undefined
  private inspectedFor: UpstreamNode | undefined
  private inspecting = false
  private readonly sentinelErrors = new Map<Redis, string>()

  constructor (private readonly opts: TopologyOptions) {
    super()
  }

  get mode (): 'static' | 'sentinel' {
    return this.opts.sentinels.length > 0 ? 'sentinel' : 'static'
  }

  async start (): Promise<void> {
    if (this.mode === 'static') {
      const p = splitHostPort(this.opts.primary)
      this.apply(p, this.opts.replicas.map(splitHostPort))
    } else {
      this.startSentinels()
      await Promise.all(this.sentinelClients.map(async (c) => { await waitReady(c, this.opts.connectTimeout) }))
      try {
        await this.refreshSentinel()
      } catch (err) {
        // Keep running and keep asking: a sentinel with a wrong password or certificate is a
        // configuration problem /readyz and the logs report, not a crash loop.
        this.discoveryError = (err as Error).message
        this.opts.logger.error({ err }, 'cannot discover the primary from the sentinels; retrying every health interval')
      }
    }
    await Promise.all([...this.health.values()].map(async (h) => { await waitReady(h.client, this.opts.connectTimeout) }))
    await this.checkAll() // inspects the primary (COMMAND, version, cluster mode) once it is healthy
    this.timer = setInterval(() => {
      const jobs: Array<Promise<void>> = [this.checkAll()]
      if (this.mode === 'sentinel') jobs.push(this.refreshSentinel())
      Promise.all(jobs).catch((err: unknown) => { this.opts.logger.warn({ err }, 'topology check failed') })
    }, this.opts.healthInterval)
    this.timer.unref()
  }

  stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    for (const c of this.sentinelClients) c.disconnect()
    for (const h of this.health.values()) h.client.disconnect()
    for (const n of this.nodes.values()) n.closeAll()
    return Promise.resolve()
  }

  private redisOptions (host: string, port: number, sentinel: boolean): RedisOptions {
    const o: RedisOptions = {
      host,
      port,
      connectTimeout: this.opts.connectTimeout,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      enableReadyCheck: false,
      lazyConnect: false,
      retryStrategy: () => Math.min(this.opts.healthInterval, 1000),
      Connector: GuardedConnector
    }
    const user = sentinel ? this.opts.sentinelUsername : this.opts.upstreamUsername
    const pass = sentinel ? this.opts.sentinelPassword : this.opts.upstreamPassword
    if (user !== '') o.username = user
    if (pass !== '') o.password = pass
    if (sentinel ? this.opts.sentinelTls : this.opts.upstreamTls) o.tls = tlsOptionsFor(this.opts.tlsOptions ?? { rejectUnauthorized: !this.opts.tlsInsecure }, host)
    return o
  }

  /** Sets the primary and replicas, reusing known nodes; closes connections to removed ones. */
  apply (primary: { host: string, port: number }, replicas: Array<{ host: string, port: number }>): void {
    const node = (a: { host: string, port: number }): UpstreamNode => {
      const id = `${a.host}:${a.port}`
      let n = this.nodes.get(id)
      if (n === undefined) {
        n = new UpstreamNode(a.host, a.port, this.opts.upstream)
        // Unproven until its first health check: a replica that just (re)joined may still be
        // loading or syncing, and /metrics must not call it healthy before reads may go there.
        n.healthy = false
        this.nodes.set(id, n)
        const h: NodeHealth = { client: new Redis(this.redisOptions(a.host, a.port, false)), role: '', loading: false, linkUp: false, offset: 0, checkedAt: 0, error: undefined, connError: undefined }
        this.health.set(n, h)
        h.client.on('error', (err: Error) => { h.connError = err.message }) // reported by the checks
      }
      return n
    }
    const prev = this.primary
    const p = node(primary)
    const rs = replicas.map(node).filter((r) => r !== p)
    this.primary = p
    this.replicas = rs
    const keep = new Set([p, ...rs])
    for (const [id, n] of this.nodes) {
      if (keep.has(n)) continue
      n.closeAll()
      this.health.get(n)?.client.disconnect()
      this.health.delete(n)
      this.nodes.delete(id)
    }
    if (prev !== undefined && prev !== p) {
      this.opts.logger.warn({ from: prev.id, to: p.id }, 'primary changed')
      // Connections to the old primary may still accept commands as a replica: close them so
      // nothing is written there and transactions on them end with an error.
      prev.closeAll()
      p.failedAt = 0
      this.emit('primary', p, prev)
    }
    this.readable = this.readable.filter((r) => rs.includes(r))
    this.emit('change')
  }

  /** Health of every node: ROLE, INFO replication/persistence, lag against the primary. */
  async checkAll (): Promise<void> {
    const nodes = [...this.health.keys()]
    await Promise.all(nodes.map(async (n) => { await this.check(n) }))
    const primaryHealth = this.primary === undefined ? undefined : this.health.get(this.primary)
    if (primaryHealth !== undefined && primaryHealth.error === undefined) this.primaryOffset = primaryHealth.offset
    const readable: UpstreamNode[] = []
    // With the primary gone, a replica whose link is down still has the last data: serving it
    // beats failing every read. With the primary up, a broken link means falling behind.
    const primaryUp = primaryHealth !== undefined && primaryHealth.error === undefined && primaryHealth.role === 'master'
    for (const r of this.replicas) {
      const h = this.health.get(r)
      if (h === undefined) continue
      r.lagBytes = Math.max(0, this.primaryOffset - h.offset)
      const ok = h.error === undefined && h.role === 'slave' && (h.linkUp || !primaryUp) && !h.loading && r.lagBytes <= this.opts.maxReplicaLag
      if (ok !== r.healthy) this.opts.logger.info({ replica: r.id, healthy: ok, lagBytes: r.lagBytes, loading: h.loading, linkUp: h.linkUp, error: h.error }, 'replica health changed')
      r.healthy = ok
      if (ok) {
        r.failedAt = 0
        readable.push(r)
      }
    }
    if (this.primary !== undefined && primaryHealth !== undefined) {
      const ok = primaryHealth.error === undefined && primaryHealth.role === 'master'
      if (ok !== this.primary.healthy) this.opts.logger[ok ? 'info' : 'warn']({ primary: this.primary.id, healthy: ok, role: primaryHealth.role, error: primaryHealth.error }, 'primary health changed')
      this.primary.healthy = ok
      if (ok) this.primary.failedAt = 0
    }
    this.readable = this.refusal === undefined ? readable : []
    this.emit('change')
    if (this.primary !== undefined && this.primary.healthy && this.inspectedFor !== this.primary) await this.inspectOnce()
  }

  /** Inspects a primary not inspected yet (found late, or new after a failover); emits `inspected`. */
  private async inspectOnce (): Promise<void> {
    if (this.inspecting) return
    this.inspecting = true
    try {
      await this.inspectPrimary()
      this.emit('inspected')
    } catch (err) {
      this.opts.logger.warn({ err }, 'cannot inspect the primary')
    } finally {
      this.inspecting = false
    }
  }

  private async check (n: UpstreamNode): Promise<void> {
    const h = this.health.get(n)
    if (h === undefined) return
    try {
      if (h.client.status !== 'ready') throw new Error(`not connected (${h.client.status})`)
      const text = await withTimeout(h.client.call('INFO', 'replication', 'persistence') as Promise<string>, this.opts.connectTimeout)
      const info = parseInfo(text)
      h.role = info.get('role') ?? ''
      h.loading = info.get('loading') === '1' || info.get('async_loading') === '1'
      h.linkUp = h.role === 'master' || (info.get('master_link_status') === 'up' && info.get('master_sync_in_progress') !== '1')
      h.offset = Number(info.get(h.role === 'master' ? 'master_repl_offset' : 'slave_repl_offset') ?? 0)
      h.error = undefined
      h.connError = undefined
    } catch (err) {
      h.error = withCause((err as Error).message, h.connError)
    }
    h.checkedAt = Date.now()
  }

  /** Reads the facts the data path needs from the primary: COMMAND, version, databases, cluster mode. */
  async inspectPrimary (): Promise<void> {
    const p = this.primary
    if (p === undefined) return
    const h = this.health.get(p)
    if (h === undefined || h.client.status !== 'ready') return
    const c = h.client
    const cluster = parseInfo(await c.call('INFO', 'cluster') as string)
    if (cluster.get('cluster_enabled') === '1') {
      // Serve nothing rather than half a cluster: clients get this as an error reply, /readyz fails.
      const err = new ClusterNotSupportedError(p.id)
      if (this.refusal === undefined) this.opts.logger.error({ err, primary: p.id }, 'Redis Cluster detected; refusing to proxy')
      this.refusal = err.message
      this.readable = []
      this.inspectedFor = p
      return
    }
    if (this.refusal !== undefined) this.opts.logger.info({ primary: p.id }, 'the primary no longer runs Redis Cluster; serving again')
    this.refusal = undefined
    const server = parseInfo(await c.call('INFO', 'server') as string)
    this.serverVersion = server.get('redis_version') ?? this.serverVersion
    try {
      const dbs = await c.call('CONFIG', 'GET', 'databases') as unknown[]
      const n = Number(dbs[1])
      if (Number.isInteger(n) && n > 0) this.databases = n
    } catch { /* CONFIG may be denied by ACL or renamed: keep the default */ }
    try {
      this.commandReply = await c.call('COMMAND')
    } catch (err) {
      this.opts.logger.warn({ err }, 'COMMAND failed on the primary; using the built-in command table')
    }
    this.inspectedFor = p
  }

  // ---- Sentinel

  private startSentinels (): void {
    for (const s of this.opts.sentinels) {
      const { host, port } = splitHostPort(s)
      const sub = new Redis({ ...this.redisOptions(host, port, true), enableOfflineQueue: true, maxRetriesPerRequest: null })
      sub.on('error', (err) => { this.opts.logger.debug({ err, sentinel: s }, 'sentinel connection error') })
      sub.subscribe('+switch-master', '+sdown', '-sdown', '+odown', '-odown', '+slave', '+convert-to-slave', '+failover-end', '+role-change').catch((err: unknown) => {
        this.opts.logger.warn({ err, sentinel: s }, 'cannot subscribe to sentinel events')
      })
      sub.on('message', (channel: string, message: string) => {
        // Messages name the instance; `<type> <name> <ip> <port> @ <master> ...` or switch-master `<master> ...`.
        if (!message.includes(this.opts.masterName)) return
        this.opts.logger.info({ sentinel: s, event: channel, message }, 'sentinel event')
        this.refreshSentinel().then(async () => { await this.checkAll() }).catch((err: unknown) => { this.opts.logger.warn({ err }, 'sentinel refresh failed') })
      })
      this.sentinelClients.push(sub)
      const q = new Redis(this.redisOptions(host, port, true))
      q.on('error', (err: Error) => { this.sentinelErrors.set(q, err.message) }) // reported by refreshSentinel
      this.sentinelClients.push(q)
    }
  }

  /** Asks the sentinels (first that answers) for the master and its replicas. */
  async refreshSentinel (): Promise<void> {
    if (this.refreshing !== undefined) {
      this.refreshAgain = true
      return await this.refreshing
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false
        await this.refreshOnce()
      } while (this.refreshAgain && !this.stopped)
    })()
    try {
      await this.refreshing
    } finally {
      this.refreshing = undefined
    }
  }

  private async refreshOnce (): Promise<void> {
    const errors: string[] = []
    const queryClients = this.sentinelClients.filter((_, i) => i % 2 === 1)
    for (const c of queryClients) {
      try {
        if (c.status !== 'ready') throw new Error(`sentinel ${c.options.host}:${c.options.port} not connected`)
        const addr = await withTimeout(c.call('SENTINEL', 'get-master-addr-by-name', this.opts.masterName) as Promise<string[] | null>, this.opts.connectTimeout)
        if (addr === null) throw new Error(`sentinel ${c.options.host}:${c.options.port} does not know master ${this.opts.masterName}`)
        const reps = await withTimeout(c.call('SENTINEL', 'replicas', this.opts.masterName) as Promise<string[][]>, this.opts.connectTimeout)
        const replicas: Array<{ host: string, port: number }> = []
        for (const r of reps) {
          const m = new Map<string, string>()
          for (let i = 0; i + 1 < r.length; i += 2) m.set(r[i] as string, r[i + 1] as string)
          const flags = m.get('flags') ?? ''
          if (flags.includes('s_down') || flags.includes('o_down') || flags.includes('disconnected')) continue
          replicas.push({ host: m.get('ip') ?? '', port: Number(m.get('port')) })
        }
        this.sentinelErrors.delete(c)
        this.apply({ host: addr[0] as string, port: Number(addr[1]) }, replicas)
        if (this.discoveryError !== undefined) this.opts.logger.info({ primary: this.primary?.id }, 'primary discovered')
        this.discoveryError = undefined
        return
      } catch (err) {
        errors.push(withCause((err as Error).message, this.sentinelErrors.get(c)))
      }
    }
    if (this.primary === undefined) {
      this.discoveryError = `no sentinel could name master ${this.opts.masterName}: ${errors.join('; ')}`
    }
    if (this.primary === undefined) throw new PodPatternsError('RA_ERR_SENTINEL', `no sentinel could name master ${this.opts.masterName}: ${errors.join('; ')}`)
    this.opts.logger.warn({ errors }, 'no sentinel answered; keeping the last known topology')
  }

  private readTurn = 0

  /** The next turn of the replica rotation shared by every client (round-robin, tie-breaks). */
  nextReadTurn (): number {
    this.readTurn = (this.readTurn + 1) & 0x3fffffff
    return this.readTurn
  }

  /** Why the primary is not usable, for /readyz; undefined when it is. */
  unreadyReason (): string | undefined {
    if (this.refusal !== undefined) return this.refusal
    const p = this.primary
    if (p === undefined) return `no primary known${this.discoveryError === undefined ? '' : ': ' + this.discoveryError}`
    if (!p.healthy) {
      const h = this.health.get(p)
      const why = h?.error ?? (h !== undefined && h.role !== 'master' ? `role is ${h.role === '' ? 'unknown' : h.role}` : undefined)
      return `primary ${p.id} unreachable${why === undefined ? '' : ': ' + why}`
    }
    return undefined
  }

  /** State for /metrics and /readyz. */
  snapshot (): Array<{ id: string, role: 'primary' | 'replica', healthy: boolean, lagBytes: number, error: string | undefined }> {
    const out: Array<{ id: string, role: 'primary' | 'replica', healthy: boolean, lagBytes: number, error: string | undefined }> = []
    if (this.primary !== undefined) out.push({ id: this.primary.id, role: 'primary', healthy: this.primary.healthy, lagBytes: 0, error: this.health.get(this.primary)?.error })
    for (const r of this.replicas) out.push({ id: r.id, role: 'replica', healthy: r.healthy, lagBytes: r.lagBytes, error: this.health.get(r)?.error })
    return out
  }
}

/** An error message with the connection's last error (TLS, WRONGPASS, refused) when that says more. */
function withCause (message: string, connError: string | undefined): string {
  return connError === undefined || message.includes(connError) ? message : `${message} (last connection error: ${connError})`
}

async function withTimeout<T> (p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<T>((_resolve, reject) => { t = setTimeout(() => { reject(new Error(`timed out after ${ms} ms`)) }, ms) })])
  } finally {
    if (t !== undefined) clearTimeout(t)
  }
}

/** Waits until an ioredis client is ready, or the timeout passes (the checks report the rest). */
async function waitReady (c: Redis, ms: number): Promise<void> {
  if (c.status === 'ready') return
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    function done (): void {
      clearTimeout(t)
      c.off('ready', done)
      resolve()
    }
    c.once('ready', done)
  })
}
