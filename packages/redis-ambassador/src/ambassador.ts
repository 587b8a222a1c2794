// Wires the proxy together: the client listener, sessions, the topology, the command table,
// metrics and the ops server; and the graceful drain on shutdown.

import net from 'node:net'
import { unlink } from 'node:fs/promises'
import { OpsServer, createLogger, parseAddress, type Logger } from '@pod-patterns/runtime'
import { table, type AmbassadorConfig } from './config.js'
import { CommandTable } from './command-table.js'
import { Metrics } from './metrics.js'
import { ClientSession, type SessionContext } from './session.js'
import { Topology } from './topology.js'
import { adoptReading } from './socket-reader.js'
import type { ConnState, UpstreamOptions } from './upstream.js'
import { loadTlsOptions } from './tls-settings.js'

export interface AmbassadorOptions {
  /** A logger to use instead of a new pino logger on stdout. */
  logger?: Logger
}

export class AmbassadorServer {
  readonly logger: Logger
  readonly metrics = new Metrics()
  readonly commands = new CommandTable()
  readonly topology: Topology
  readonly sessions = new Set<ClientSession>()
  private readonly server: net.Server
  private ops: OpsServer | undefined
  private clientIds = 0
  private readonly ctx: SessionContext
  private stopping = false

  constructor (readonly config: Readonly<AmbassadorConfig>, options: AmbassadorOptions = {}) {
    this.logger = options.logger ?? createLogger({ name: table.program, level: config.logLevel })
    const tlsOptions = loadTlsOptions(config)
    const upstream: UpstreamOptions = {
      connectTimeout: config.connectTimeout,
      tls: config.upstreamTls,
      tlsInsecure: config.tlsInsecure,
      tlsOptions,
      poolSize: config.poolSize,
      events: {
        completed: (slot, errorLine) => {
          if (slot.node !== undefined) slot.node.completed++
          if (slot.t0 !== 0) this.metrics.completed(performance.now() - slot.t0, errorLine)
        },
        connectFailed: (node, err) => {
          node.failedAt = performance.now()
          this.metrics.error('upstream_connect')
          this.logger.warn({ node: node.id, err }, 'cannot connect to upstream')
        }
      }
    }
    this.topology = new Topology({ ...config, upstream, logger: this.logger, tlsOptions })
    // A new primary (or one found late) may run another version or modules.
    this.topology.on('inspected', () => { this.loadCommands() })
    const defaultState: ConnState = { username: config.upstreamUsername, password: config.upstreamPassword, db: 0, proto: 2 }
    this.ctx = {
      topology: this.topology,
      commands: this.commands,
      config,
      limits: { maxBulkBytes: config.maxBulkBytes, maxArrayLen: config.maxArrayLen, maxInlineBytes: 64 * 1024 },
      deny: new Set(config.denyCommands.map((c) => c.trim().toLowerCase().replace(/\s+/g, '|')).filter((c) => c !== '')),
      metrics: this.metrics,
      logger: this.logger,
      defaultState,
      nextClientId: () => ++this.clientIds,
      clients: () => this.sessions
    }
    this.server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => { this.accept(socket) })
  }

  private loadCommands (): void {
    if (this.topology.commandReply === undefined) return
    const n = this.commands.loadFromCommandReply(this.topology.commandReply)
    this.logger.info({ commands: n, source: this.commands.source }, 'command table loaded')
  }

  private accept (socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy()
      return
    }
    if (this.sessions.size >= this.config.maxClients) {
      this.metrics.clientsRejected++
      socket.end('-ERR max number of clients reached\r\n')
      return
    }
    const { socket: sock, setSink } = adoptReading(socket)
    const s = new ClientSession(sock, this.ctx)
    setSink((chunk) => { s.input(chunk) })
    this.sessions.add(s)
    s.onClosed = (x) => { this.sessions.delete(x) }
  }

  async start (): Promise<void> {
    await this.topology.start()
    this.loadCommands()
    const addr = parseAddress(this.config.listen, '--listen', '127.0.0.1')
    if (addr.kind === 'unix') await unlink(addr.path).catch(() => undefined)
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      const done = (): void => { this.server.off('error', reject); resolve() }
      if (addr.kind === 'unix') this.server.listen(addr.path, done)
      else this.server.listen(addr.port, addr.host, done)
    })
    this.server.on('error', (err) => { this.logger.error({ err }, 'listener error') })
    if (this.config.httpBind !== '') {
      this.ops = new OpsServer({
        bind: this.config.httpBind,
        logger: this.logger,
        ready: () => {
          const reason = this.topology.unreadyReason()
          return reason === undefined ? true : { ready: false, reason }
        },
        metricsText: () => this.metrics.render(this.topology, this.sessions.size)
      })
      await this.ops.start()
    }
    this.logger.info({ listen: this.address, mode: this.topology.mode, primary: this.topology.primary?.id, replicas: this.topology.replicas.map((r) => r.id), commands: this.commands.source }, 'redis-ambassador started')
    const unready = this.topology.unreadyReason()
    if (unready !== undefined) this.logger.warn({ reason: unready }, 'not ready: clients get error replies until this is resolved')
  }

  /** The bound address: a TCP port number or the unix socket path. */
  get address (): { host: string, port: number } | string {
    const a = this.server.address()
    if (a === null) return ''
    if (typeof a === 'string') return a
    return { host: a.address, port: a.port }
  }

  get port (): number {
    const a = this.server.address()
    return a !== null && typeof a === 'object' ? a.port : 0
  }

  get httpPort (): number {
    return this.ops?.port ?? 0
  }

  /** Stops accepting, lets in-flight replies reach their clients (up to --drain-timeout), then closes. */
  async stop (): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    const closed = new Promise<void>((resolve) => { this.server.close(() => { resolve() }) })
    for (const s of this.sessions) s.stopInput()
    const deadline = Date.now() + this.config.drainTimeout
    while (Date.now() < deadline && [...this.sessions].some((s) => !s.idle)) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const left = [...this.sessions].filter((s) => !s.idle).length
    if (left > 0) this.logger.warn({ clients: left }, 'drain timeout: closing clients with replies outstanding')
    for (const s of this.sessions) {
      s.socket.end()
      s.close()
    }
    await closed
    await this.topology.stop()
    await this.ops?.stop()
    this.logger.info('redis-ambassador stopped')
  }
}
