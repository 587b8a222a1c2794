// Connections to one Redis server: a handshake that gives the connection its state (user, db,
// protocol), raw request bytes written in one batch per event-loop turn, and replies matched
// to the waiting requests in order by the streaming reply scanner.

import net from 'node:net'
import tls from 'node:tls'
import { ReplyScanner, type ReplyHandler } from './resp-reply.js'
import { encodeCommand } from './resp-write.js'
import { connectReading } from './socket-reader.js'

/** Where a request's reply goes (a client session, or the ambassador itself). */
export interface ReplySink {
  deliver: (slot: Slot, buf: Buffer, final: boolean) => void
  /** A retryable read must move: its server answered LOADING/MASTERDOWN/NOSCRIPT or went away. */
  retry: (slot: Slot, from: UpstreamNode, reason: string) => void
}

/** One request in flight: its raw bytes, where its reply goes, and how it may be retried. */
export class Slot {
  next: Slot | undefined = undefined
  chunks: Buffer[] | undefined = undefined
  done = false
  /** A replica read that may move to another server on LOADING/MASTERDOWN/NOSCRIPT or loss. */
  retryable = false
  attempts = 0
  node: UpstreamNode | undefined = undefined
  t0 = 0
  /** Called once the reply is complete (before delivery of later slots). */
  onDone: ((slot: Slot, errorLine: string | undefined) => void) | undefined = undefined
  constructor (readonly sink: ReplySink, readonly req: Buffer) {}
}

/** The state an upstream connection is opened with; clients sharing it share connections. */
export interface ConnState {
  username: string
  password: string
  db: number
  proto: 2 | 3
}

export function stateKey (s: ConnState): string {
  return `${s.username}\u0000${s.password}\u0000${s.db}\u0000${s.proto}`
}

export interface UpstreamEvents {
  /** Reply latency and outcome, for metrics. */
  completed: (slot: Slot, errorLine: string | undefined) => void
  connectFailed: (node: UpstreamNode, err: Error) => void
}

export interface UpstreamOptions {
  connectTimeout: number
  tls: boolean
  tlsInsecure: boolean
  /** CA, client certificate, server name (from --tls-*); used when `tls` is set. */
  tlsOptions?: tls.ConnectionOptions
  poolSize: number
  events: UpstreamEvents
}

// ---- write batching: everything written during one turn goes out in one write per socket.

interface Flushable { flush: () => void }
const dirty: Flushable[] = []
let flushScheduled = false

function flushAll (): void {
  flushScheduled = false
  // Flushing may mark more sockets dirty (e.g. a local reply); loop until quiet.
  for (let i = 0; i < dirty.length; i++) (dirty[i] as Flushable).flush()
  dirty.length = 0
}

export function markDirty (f: Flushable): void {
  dirty.push(f)
  if (!flushScheduled) {
    flushScheduled = true
    setImmediate(flushAll)
  }
}

/** Writes a list of buffers as one write. */
export function writeBatch (socket: net.Socket, bufs: Buffer[]): void {
  if (bufs.length === 1) socket.write(bufs[0] as Buffer)
  else socket.write(Buffer.concat(bufs))
}

const RETRY_ERRORS = ['LOADING', 'MASTERDOWN', 'NOSCRIPT', 'READONLY', 'TRYAGAIN']

export function isRetryError (line: string): boolean {
  for (const p of RETRY_ERRORS) if (line.startsWith(p)) return true
  return false
}

export class UpstreamConn implements ReplyHandler, Flushable {
  readonly socket: net.Socket
  private readonly scanner = new ReplyScanner(this)
  /** Requests awaiting replies, oldest first (array with a moving head). */
  private queue: Slot[] = []
  private qHead = 0
  private out: Buffer[] = []
  private outQueued = false
  /** Replies to swallow before user replies start (handshake, resubscribe). */
  private swallow = 0
  alive = true
  connected = false
  /** Clients pinned to this shared connection (to spread them). */
  pinned = 0
  /** Passthrough: every reply byte goes to `stream`, no matching (pub/sub, MONITOR, tracking). */
  stream: ((buf: Buffer) => void) | undefined = undefined
  onClose: ((conn: UpstreamConn, err: Error | undefined) => void) | undefined = undefined
  /** Set when a client changed its state on a dedicated connection; it is not reused. */
  dirtyState = false

  constructor (readonly node: UpstreamNode, readonly state: ConnState, readonly key: string, private readonly opts: UpstreamOptions) {
    const { host, port } = node
    const sock = opts.tls
      ? tls.connect({ servername: net.isIP(host) === 0 ? host : undefined, rejectUnauthorized: !opts.tlsInsecure, ...opts.tlsOptions, host, port })
      : connectReading(host, port, (chunk) => { this.feed(chunk) })
    this.socket = sock
    sock.setNoDelay(true)
    sock.setTimeout(opts.connectTimeout)
    sock.once(opts.tls ? 'secureConnect' : 'connect', () => {
      this.connected = true
      sock.setTimeout(0)
      sock.setKeepAlive(true, 15000)
    })
    sock.on('timeout', () => { if (!this.connected) this.destroy(new Error(`connect to ${node.id} timed out`)) })
    if (opts.tls) sock.on('data', (chunk: Buffer) => { this.feed(chunk) })
    sock.on('error', (err: Error) => { this.destroy(err) })
    sock.on('close', () => { this.destroy(new Error(`connection to ${node.id} closed`)) })
    node.conns.add(this)
    const hs = handshake(state)
    for (const cmd of hs) this.out.push(cmd)
    this.swallow = hs.length
    if (hs.length > 0) this.queueFlush()
  }

  private feed (chunk: Buffer): void {
    try {
      this.scanner.feed(chunk)
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  get outstanding (): number {
    return this.queue.length - this.qHead
  }

  send (slot: Slot): void {
    slot.node = this.node
    this.queue.push(slot)
    this.out.push(slot.req)
    this.node.outstanding++
    if (!this.outQueued) this.queueFlush()
  }

  /** Writes without expecting a matched reply (passthrough mode). */
  sendRaw (buf: Buffer): void {
    this.out.push(buf)
    if (!this.outQueued) this.queueFlush()
  }

  /** Sends commands whose replies are swallowed (e.g. resubscribing after failover). */
  sendSwallowed (cmds: Buffer[], replies: number): void {
    for (const c of cmds) this.out.push(c)
    this.swallow += replies
    if (!this.outQueued) this.queueFlush()
  }

  private queueFlush (): void {
    this.outQueued = true
    markDirty(this)
  }

  flush (): void {
    this.outQueued = false
    if (this.out.length === 0 || !this.alive) return
    const bufs = this.out
    this.out = []
    writeBatch(this.socket, bufs)
  }

  replySegment (buf: Buffer, final: boolean, type: number, errorLine: string | undefined): void {
    if (this.swallow > 0) {
      if (!final) return
      this.swallow--
      if (errorLine !== undefined && this.stream === undefined) this.destroy(new HandshakeError(errorLine))
      return
    }
    if (this.stream !== undefined) {
      this.stream(buf)
      return
    }
    if (type === 62) return // a RESP3 push on a shared connection: nobody asked for it
    const slot = this.queue[this.qHead]
    if (slot === undefined) {
      this.destroy(new Error(`unexpected reply from ${this.node.id}`))
      return
    }
    if (final) {
      this.queue[this.qHead++] = undefined as unknown as Slot
      if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.qHead)
        this.qHead = 0
      }
      this.node.outstanding--
      if (errorLine !== undefined && slot.retryable && isRetryError(errorLine)) {
        slot.sink.retry(slot, this.node, errorLine)
        return
      }
      this.opts.events.completed(slot, errorLine)
      if (slot.onDone !== undefined) slot.onDone(slot, errorLine)
      slot.sink.deliver(slot, buf, final)
      if (this.idleClose && this.outstanding === 0) this.destroy()
      return
    }
    slot.sink.deliver(slot, buf, final)
  }

  /** Closes the connection; waiting requests are retried (reads) or answered with an error. */
  destroy (err?: Error): void {
    if (!this.alive) return
    this.alive = false
    this.node.conns.delete(this)
    this.socket.destroy()
    const pending = this.queue.slice(this.qHead)
    this.queue = []
    this.qHead = 0
    this.node.outstanding -= pending.length
    this.onClose?.(this, err)
    if (!this.connected && err !== undefined) this.opts.events.connectFailed(this.node, err)
    const reason = err instanceof HandshakeError ? err.message : `ambassador lost the connection to ${this.node.id}${err === undefined ? '' : ': ' + err.message}`
    for (const slot of pending) {
      if (slot.retryable && !(err instanceof HandshakeError)) {
        slot.sink.retry(slot, this.node, reason)
        continue
      }
      const line = err instanceof HandshakeError ? err.message : `ERR ${reason}`
      const reply = Buffer.from(`-${line.replace(/[\r\n]/g, ' ')}\r\n`)
      this.opts.events.completed(slot, line)
      if (slot.onDone !== undefined) slot.onDone(slot, line)
      slot.sink.deliver(slot, reply, true)
    }
  }

  /** Ends after pending replies arrive (graceful). */
  end (): void {
    if (this.outstanding === 0) this.destroy()
    else this.idleClose = true
  }

  idleClose = false
}

export class HandshakeError extends Error {
  readonly code = 'RA_ERR_UPSTREAM_HANDSHAKE'
}

function handshake (s: ConnState): Buffer[] {
  const out: Buffer[] = []
  if (s.proto === 3) {
    out.push(s.password !== '' ? encodeCommand(['HELLO', '3', 'AUTH', s.username === '' ? 'default' : s.username, s.password]) : encodeCommand(['HELLO', '3']))
  } else if (s.password !== '') {
    out.push(s.username !== '' ? encodeCommand(['AUTH', s.username, s.password]) : encodeCommand(['AUTH', s.password]))
  }
  if (s.db !== 0) out.push(encodeCommand(['SELECT', String(s.db)]))
  return out
}

/** One Redis server as the data path sees it: its pools and health. */
export class UpstreamNode {
  readonly id: string
  /** Healthy for reads (replicas) or reachable (primary), per the health checks. */
  healthy = true
  /** When the last connect attempt failed (ms); new connections wait a moment after a failure. */
  failedAt = 0
  lagBytes = 0
  outstanding = 0
  private readonly pools = new Map<string, UpstreamConn[]>()
  private readonly idle = new Map<string, UpstreamConn[]>()
  private rr = 0

  constructor (readonly host: string, readonly port: number, private readonly opts: UpstreamOptions) {
    this.id = `${host}:${port}`
  }

  /** A shared connection for this state, spread over the pool. */
  shared (state: ConnState, key: string): UpstreamConn {
    let pool = this.pools.get(key)
    if (pool === undefined) {
      pool = []
      this.pools.set(key, pool)
    }
    if (pool.length < this.opts.poolSize) {
      const conn = new UpstreamConn(this, state, key, this.opts)
      const list = pool
      conn.onClose = (c) => {
        const i = list.indexOf(c)
        if (i !== -1) list.splice(i, 1)
      }
      pool.push(conn)
      return conn
    }
    this.rr = (this.rr + 1) % pool.length
    return pool[this.rr] as UpstreamConn
  }

  /** A connection for one client alone (transaction, blocking call, subscription). */
  dedicated (state: ConnState, key: string): UpstreamConn {
    const list = this.idle.get(key)
    while (list !== undefined && list.length > 0) {
      const c = list.pop() as UpstreamConn
      if (c.alive) {
        c.onClose = undefined
        return c
      }
    }
    return new UpstreamConn(this, state, key, this.opts)
  }

  /** Returns a dedicated connection; clean ones are kept for reuse. */
  release (conn: UpstreamConn): void {
    if (!conn.alive) return
    if (conn.dirtyState || conn.stream !== undefined || conn.outstanding > 0) {
      conn.end()
      return
    }
    let list = this.idle.get(conn.key)
    if (list === undefined) {
      list = []
      this.idle.set(conn.key, list)
    }
    if (list.length >= 4) {
      conn.destroy()
      return
    }
    const l = list
    conn.onClose = (c) => {
      const i = l.indexOf(c)
      if (i !== -1) l.splice(i, 1)
    }
    list.push(conn)
  }

  /** Every open connection to this server, shared or dedicated. */
  readonly conns = new Set<UpstreamConn>()
  /** Replies completed, for metrics. */
  completed = 0

  /** Closes every connection (topology change or shutdown). */
  closeAll (): void {
    for (const c of [...this.conns]) c.destroy(new Error(`${this.id} left the topology or changed role`))
    this.pools.clear()
    this.idle.clear()
  }

  /** Number of open connections, for metrics. */
  connectionCount (): number {
    return this.conns.size
  }
}
