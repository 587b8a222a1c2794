// One client connection: scans its command frames, keeps its connection state (user, db,
// protocol, name, transaction, subscriptions), routes each frame to the primary or a replica,
// and returns replies in request order whichever server answers first.

import type net from 'node:net'
import type { Logger } from '@pod-patterns/runtime'
import { ProtocolError, RequestFrame, parseIntAt, scanRequest, type ScanLimits } from './resp-request.js'
import { OK, PONG, bulkReply, encodeCommand, encodeValue, errorReply } from './resp-write.js'
import { Slot, markDirty, stateKey, writeBatch, type ConnState, type ReplySink, type UpstreamConn, type UpstreamNode } from './upstream.js'
import type { CommandTable, CommandInfo } from './command-table.js'
import type { Topology } from './topology.js'
import type { AmbassadorConfig } from './config.js'
import type { Metrics } from './metrics.js'
import { clientLine, parseKillFilter, parseListFilter, type ClientView } from './client-list.js'

export interface SessionContext {
  readonly topology: Topology
  readonly commands: CommandTable
  readonly config: Readonly<AmbassadorConfig>
  readonly limits: ScanLimits
  readonly deny: ReadonlySet<string>
  readonly metrics: Metrics
  readonly logger: Logger
  readonly defaultState: Readonly<ConnState>
  nextClientId: () => number
  /** Every open client session, for CLIENT LIST and CLIENT KILL. */
  clients?: () => Iterable<ClientSession>
}

/** Commands the session handles itself before normal routing. */
const SPECIAL = new Set([
  'ping', 'echo', 'quit', 'select', 'auth', 'hello', 'client', 'reset', 'multi', 'exec', 'discard',
  'watch', 'unwatch', 'subscribe', 'psubscribe', 'ssubscribe', 'monitor', 'unsubscribe',
  'punsubscribe', 'sunsubscribe'
])
const SCAN_FAMILY = new Set(['scan', 'sscan', 'hscan', 'zscan'])
const EMPTY = Buffer.alloc(0)
/** After a failed connect, the primary gets fast errors for this long before the next try. */
const PRIMARY_RETRY_MS = 1000

type Passthrough = 'pubsub' | 'monitor' | 'tracking'

/**
 * Sent before a WAIT on the client's fresh blocking connection: a write that propagates to the
 * replicas, so that connection's replication offset covers every write this client made before
 * (all answered already) and WAIT waits for them, instead of returning at once.
 */
const WAIT_MARK = encodeCommand(['PUBLISH', '__redis-ambassador:wait', ''])

export class ClientSession implements ReplySink {
  readonly id: number
  private readonly frame = new RequestFrame()
  private pending: Buffer[] = []
  private pendingLen = 0
  private needed = 0
  private head: Slot | undefined
  private tail: Slot | undefined
  /** Requests whose replies have not all been written yet. */
  inflight = 0
  private out: Buffer[] = []
  private outQueued = false
  /** Bytes held in finished-but-not-yet-writable slots. */
  private held = 0
  private state: ConnState
  private key: string
  private authed: boolean
  name = ''
  libName = ''
  libVer = ''
  private inMulti = false
  private watching = false
  private txnBroken = false
  private dedicated: UpstreamConn | undefined
  private blockingInFlight = 0
  private passthrough: Passthrough | undefined
  private readonly channels = { subscribe: new Set<string>(), psubscribe: new Set<string>(), ssubscribe: new Set<string>() }
  private primaryConn: UpstreamConn | undefined
  private lastWrite = -Infinity
  private scanNode: UpstreamNode | undefined
  /** Input processing stops: waiting for in-flight replies, an AUTH check, or backpressure. */
  private waitDrain = false
  private waitAsync = false
  /**
   * Too much owed to this client (--max-client-pipeline requests in flight, or more than
   * --max-client-buffer bytes of replies it has not read): its input waits, unread, until that
   * drains. A client that pipelines without reading cannot make the ambassador hold more.
   */
  private waitOutput = false
  private quitting = false
  private readonly createdAt = performance.now()
  private lastInput = performance.now()
  /** When process() began on the current input: the time of every request it routes. */
  private clock = 0
  private noEvict = false
  closed = false
  draining = false

  constructor (readonly socket: net.Socket, private readonly ctx: SessionContext) {
    this.id = ctx.nextClientId()
    this.state = { ...ctx.defaultState }
    this.key = stateKey(this.state)
    this.authed = ctx.config.password === ''
    socket.setNoDelay(true)
    socket.on('drain', () => { this.maybeResumeOutput() })
    socket.on('error', () => { this.close() })
    socket.on('close', () => { this.close() })
  }

  // ---- input

  /** Bytes the client sent (the ambassador reads the socket and hands them over). */
  input (chunk: Buffer): void {
    if (this.closed) return
    this.lastInput = performance.now()
    if (this.pendingLen === 0 && !this.waitDrain && !this.waitAsync && !this.waitOutput) {
      this.process(chunk)
      return
    }
    this.pending.push(chunk)
    this.pendingLen += chunk.length
    if (this.pendingLen < this.needed || this.waitDrain || this.waitAsync || this.waitOutput) {
      // Waiting for output, the socket is paused: at most one more read arrives.
      if (!this.waitOutput && this.pendingLen > Math.max(this.ctx.config.maxClientBuffer, this.needed)) {
        this.protocolError('Protocol error: request larger than the client buffer limit')
      }
      return
    }
    this.processPending()
  }

  private processPending (): void {
    if (this.pending.length === 0) return
    const buf = this.pending.length === 1 ? this.pending[0] as Buffer : Buffer.concat(this.pending, this.pendingLen)
    this.pending = []
    this.pendingLen = 0
    this.process(buf)
  }

  private process (buf: Buffer): void {
    this.clock = performance.now()
    const f = this.frame
    let pos = 0
    const len = buf.length
    try {
      while (pos < len && !this.waitDrain && !this.waitAsync && !this.quitting && !this.closed) {
        if (this.outputFull()) {
          this.holdInput()
          break
        }
        const end = scanRequest(buf, pos, this.ctx.limits, f)
        if (end === -1) {
          this.needed = f.end > 0 ? f.end - pos : 0
          break
        }
        if (!this.handle(f)) break // wants in-flight replies first; rescan this frame later
        pos = end
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.protocolError(err.message)
        return
      }
      throw err
    }
    if (pos < len && !this.closed) {
      const rest = buf.subarray(pos)
      this.pending = [rest]
      this.pendingLen = rest.length
      if (!this.waitOutput && this.pendingLen > Math.max(this.ctx.config.maxClientBuffer, this.needed)) this.protocolError('Protocol error: request larger than the client buffer limit')
    } else {
      this.needed = 0
    }
    this.checkBackpressure()
  }

  private protocolError (message: string): void {
    this.ctx.metrics.error('protocol')
    this.ctx.logger.debug({ client: this.id, message }, 'protocol error; closing client')
    // Like Redis: the error, then close. Replies already owed are dropped with the connection.
    this.socket.end(errorReply(message.startsWith('Protocol error') ? `ERR ${message}` : message))
    this.close()
  }

  private checkBackpressure (): void {
    if (!this.waitOutput && this.outputFull()) this.holdInput()
  }

  /** Whether this client is owed too much to forward more of its requests now. */
  private outputFull (): boolean {
    return this.inflight >= this.ctx.config.maxClientPipeline || this.socket.writableLength + this.held > this.ctx.config.maxClientBuffer
  }

  /** Stops reading and forwarding this client's input until its output drains (maybeResumeOutput). */
  private holdInput (): void {
    this.waitOutput = true
    this.socket.pause()
  }

  /** Output drained (replies delivered or written): forward the waiting input again. */
  private maybeResumeOutput (): void {
    if (!this.waitOutput || this.closed || this.outputFull()) return
    this.waitOutput = false
    this.resumeInput()
  }

  /** Reads the client's input again unless something still holds it. */
  private checkResume (): void {
    if (this.closed || this.waitAsync || this.waitDrain || this.waitOutput) return
    if (this.socket.isPaused()) this.socket.resume()
  }

  // ---- output (in request order)

  private append (slot: Slot): void {
    this.inflight++
    if (this.tail === undefined) this.head = slot
    else this.tail.next = slot
    this.tail = slot
  }

  deliver (slot: Slot, buf: Buffer, final: boolean): void {
    if (this.closed) return
    if (slot === this.head) {
      if (buf.length > 0) this.write(buf)
      if (final) this.advance()
      return
    }
    if (buf.length > 0) {
      if (slot.chunks === undefined) slot.chunks = [buf]
      else slot.chunks.push(buf)
      this.held += buf.length
    }
    if (final) slot.done = true
  }

  private advance (): void {
    let s = this.head
    while (s !== undefined) {
      const next: Slot | undefined = s.next
      s.next = undefined
      this.inflight--
      s = next
      this.head = s
      if (s === undefined) {
        this.tail = undefined
        break
      }
      if (s.chunks !== undefined) {
        for (const c of s.chunks) {
          this.held -= c.length
          this.write(c)
        }
        s.chunks = undefined
      }
      if (!s.done) break
    }
    if (this.inflight === 0) this.onIdle()
    else this.maybeResumeOutput()
  }

  private write (buf: Buffer): void {
    this.out.push(buf)
    if (!this.outQueued) {
      this.outQueued = true
      markDirty(this)
    }
  }

  flush (): void {
    this.outQueued = false
    if (this.out.length === 0 || this.closed) return
    const bufs = this.out
    this.out = []
    writeBatch(this.socket, bufs)
  }

  /** A reply the ambassador makes itself, in its place in the order. */
  private local (buf: Buffer): void {
    this.ctx.metrics.local++
    if (this.head === undefined) {
      this.write(buf)
      return
    }
    const slot = new Slot(this, EMPTY)
    slot.done = true
    slot.chunks = [buf]
    this.held += buf.length
    this.append(slot)
  }

  private onIdle (): void {
    if (this.quitting) {
      this.flush()
      this.socket.end()
      return
    }
    this.maybeResumeOutput()
    if (this.waitDrain) {
      this.waitDrain = false
      this.resumeInput()
    }
  }

  private resumeInput (): void {
    // Not inside the caller's stack: the caller may be mid-way through another client's replies.
    setImmediate(() => {
      if (this.closed || this.waitDrain || this.waitAsync || this.waitOutput) return
      this.processPending()
      this.checkResume()
    })
  }

  // ---- routing

  /** Returns false when the frame must wait until in-flight replies are in. */
  private handle (f: RequestFrame): boolean {
    if (f.argc === 0) return true
    const name = f.argLower(0)
    if (this.passthrough !== undefined) {
      this.handlePassthrough(f, name)
      return true
    }
    if (!this.authed && name !== 'auth' && name !== 'hello' && name !== 'quit') {
      this.local(errorReply('NOAUTH Authentication required.'))
      return true
    }
    if (SPECIAL.has(name)) return this.handleSpecial(f, name)
    let info = this.ctx.commands.get(name)
    let sub = ''
    if (info.container && f.argc > 1) {
      sub = f.argLower(1)
      info = this.ctx.commands.getSub(name, sub)
    }
    if (this.ctx.deny.size > 0 && (this.ctx.deny.has(name) || (sub !== '' && this.ctx.deny.has(`${name}|${sub}`)))) {
      this.ctx.metrics.error('denied')
      this.local(errorReply(`ERR command '${sub === '' ? name : name + ' ' + sub}' is denied by redis-ambassador (--deny-commands)`))
      return true
    }
    if (this.txnBroken) {
      this.local(errorReply('ERR transaction aborted: the connection to the primary was lost (failover?); send EXEC or DISCARD'))
      return true
    }
    if (this.dedicated !== undefined) {
      if (info.blocking) this.blockingInFlight++
      this.sendDedicated(f, info.blocking)
      return true
    }
    if (info.blocking) {
      if (!this.enterDedicated()) {
        if (this.waitDrain) return false
        const slot = new Slot(this, EMPTY)
        this.append(slot)
        this.primaryDown(slot)
        return true
      }
      this.blockingInFlight++
      if (name === 'wait') this.markWaitOffset()
      this.sendDedicated(f, true)
      return true
    }
    if (info.replicaSafe && this.ctx.config.readPolicy !== 'primary') {
      const now = this.clock
      if (now - this.lastWrite >= this.ctx.config.readYourWrites) {
        const node = SCAN_FAMILY.has(name) ? this.scanReplica() : this.pickReplica(undefined)
        if (node !== undefined) {
          const slot = new Slot(this, f.bytes())
          slot.retryable = true
          slot.t0 = now
          this.append(slot)
          node.shared(this.state, this.key).send(slot)
          return true
        }
      }
    }
    if (info.write) this.lastWrite = this.clock
    this.sendPrimary(f.bytes())
    return true
  }

  private pickReplica (exclude: UpstreamNode | undefined): UpstreamNode | undefined {
    const list = this.ctx.topology.readable
    const n = list.length
    if (n === 0) return undefined
    // One rotation shared by all clients: short-lived clients each sending a few reads would
    // otherwise all start at the first replica; least-outstanding breaks ties by it too.
    const start = this.ctx.topology.nextReadTurn()
    if (this.ctx.config.readPolicy === 'round-robin') {
      for (let i = 0; i < n; i++) {
        const r = list[(start + i) % n] as UpstreamNode
        if (r !== exclude && r.healthy) return r
      }
      return undefined
    }
    let best: UpstreamNode | undefined
    for (let i = 0; i < n; i++) {
      const r = list[(start + i) % n] as UpstreamNode
      if (r === exclude || !r.healthy) continue
      if (best === undefined || r.outstanding < best.outstanding) best = r
    }
    return best
  }

  /** Cursor commands stay on one server: a cursor from one node means nothing on another. */
  private scanReplica (): UpstreamNode | undefined {
    const s = this.scanNode
    if (s !== undefined && s.healthy && this.ctx.topology.readable.includes(s)) return s
    this.scanNode = this.pickReplica(undefined)
    return this.scanNode
  }

  private primaryUsable (): UpstreamNode | undefined {
    const p = this.ctx.topology.primary
    if (p === undefined || this.ctx.topology.refusal !== undefined) return undefined
    if (p.failedAt !== 0 && performance.now() - p.failedAt < PRIMARY_RETRY_MS) return undefined
    return p
  }

  private primaryDown (slot: Slot): void {
    this.ctx.metrics.error('primary_unavailable')
    const p = this.ctx.topology.primary
    const refusal = this.ctx.topology.refusal
    this.deliver(slot, errorReply(refusal !== undefined ? `ERR redis-ambassador does not support Redis Cluster: ${refusal}` : `ERR redis-ambassador: primary ${p === undefined ? '(unknown)' : p.id} is unreachable`), true)
  }

  private sendPrimary (req: Buffer): Slot {
    const slot = new Slot(this, req)
    slot.t0 = this.clock
    this.append(slot)
    const p = this.primaryUsable()
    if (p === undefined) {
      this.primaryDown(slot)
      return slot
    }
    let c = this.primaryConn
    if (c === undefined || !c.alive || c.node !== p || c.key !== this.key) {
      c = p.shared(this.state, this.key)
      this.primaryConn = c
    }
    c.send(slot)
    return slot
  }

  retry (slot: Slot, from: UpstreamNode, reason: string): void {
    if (this.closed) return
    this.ctx.metrics.retry(reason.split(' ')[0] ?? 'lost')
    if (reason.startsWith('LOADING') || reason.startsWith('MASTERDOWN') || !reason.startsWith('NOSCRIPT')) {
      // This replica is not fit for reads until the next health check says otherwise.
      if (from !== this.ctx.topology.primary && !reason.startsWith('NOSCRIPT')) {
        from.healthy = false
        this.ctx.topology.readable = this.ctx.topology.readable.filter((r) => r !== from)
      }
    }
    slot.attempts++
    const next = reason.startsWith('NOSCRIPT') || slot.attempts > 1 ? undefined : this.pickReplica(from)
    if (next !== undefined) {
      next.shared(this.state, this.key).send(slot)
      return
    }
    slot.retryable = false
    const p = this.primaryUsable()
    if (p === undefined) {
      this.primaryDown(slot)
      return
    }
    p.shared(this.state, this.key).send(slot)
  }

  // ---- dedicated connections: transactions, blocking calls

  /** Takes a primary connection for this client alone. False: wait for in-flight replies (or failed with an error reply). */
  private enterDedicated (): boolean {
    if (this.inflight > 0) {
      // Earlier commands on shared connections must run first.
      this.waitDrain = true
      return false
    }
    const p = this.primaryUsable()
    if (p === undefined) return false
    const c = p.dedicated(this.state, this.key)
    c.onClose = () => { this.dedicatedLost(c) }
    this.dedicated = c
    return true
  }

  private markWaitOffset (): void {
    this.dedicated?.sendSwallowed([WAIT_MARK], 1)
  }

  private sendDedicated (f: RequestFrame, blocking: boolean): Slot {
    const c = this.dedicated as UpstreamConn
    const slot = new Slot(this, f.bytes())
    slot.t0 = performance.now()
    if (blocking) slot.onDone = () => { this.blockingInFlight--; this.maybeRelease() }
    this.append(slot)
    c.send(slot)
    return slot
  }

  private maybeRelease (): void {
    const c = this.dedicated
    if (c === undefined || this.inMulti || this.watching || this.blockingInFlight > 0 || this.passthrough !== undefined) return
    if (c.outstanding > 0) return
    this.dedicated = undefined
    c.onClose = undefined
    c.node.release(c)
  }

  private dedicatedLost (c: UpstreamConn): void {
    if (this.dedicated !== c) return
    this.dedicated = undefined
    this.blockingInFlight = 0
    if (this.passthrough !== undefined) {
      this.passthroughLost()
      return
    }
    if (this.inMulti || this.watching) {
      this.txnBroken = true
      this.ctx.metrics.error('transaction_aborted')
    }
  }

  // ---- commands with local meaning

  private handleSpecial (f: RequestFrame, name: string): boolean {
    switch (name) {
      case 'ping':
        if (this.dedicated !== undefined) break
        this.local(f.argc > 1 ? bulkReply(f.arg(1), 2) : PONG)
        return true
      case 'echo':
        if (f.argc !== 2) {
          this.local(errorReply('ERR wrong number of arguments for \'echo\' command'))
          return true
        }
        this.local(bulkReply(f.arg(1), 2))
        return true
      case 'quit':
        this.local(OK)
        this.quitting = true
        if (this.inflight === 0) this.onIdle()
        return true
      case 'select':
        return this.select(f)
      case 'auth':
        return this.auth(f)
      case 'hello':
        return this.hello(f)
      case 'client':
        return this.client(f)
      case 'reset':
        return this.reset()
      case 'multi':
      case 'watch':
        return this.transactionStart(f, name)
      case 'exec':
      case 'discard':
      case 'unwatch':
        return this.transactionEnd(f, name)
      case 'subscribe':
      case 'psubscribe':
      case 'ssubscribe':
        return this.enterPassthrough(f, 'pubsub', name)
      case 'monitor':
        if (this.ctx.deny.has('monitor')) break
        return this.enterPassthrough(f, 'monitor', name)
      case 'unsubscribe':
      case 'punsubscribe':
      case 'sunsubscribe':
        // Not subscribed: answer as Redis does for a client with no subscriptions.
        if (this.state.proto === 3 || f.argc === 1) {
          this.local(encodeValue([name, null, 0], this.state.proto))
        } else {
          for (let i = 1; i < f.argc; i++) this.local(encodeValue([name, f.arg(i), 0], 2))
        }
        return true
    }
    if (this.dedicated !== undefined) {
      this.sendDedicated(f, false)
      return true
    }
    const info = this.ctx.commands.get(name)
    if (info.write) this.lastWrite = performance.now()
    this.sendPrimary(f.bytes())
    return true
  }

  private select (f: RequestFrame): boolean {
    if (f.argc !== 2) {
      this.local(errorReply('ERR wrong number of arguments for \'select\' command'))
      return true
    }
    const a = f.arg(1)
    const db = parseIntAt(a, 0, a.length)
    if (Number.isNaN(db)) {
      this.local(errorReply('ERR value is not an integer or out of range'))
      return true
    }
    if (db < 0 || db >= this.ctx.topology.databases) {
      this.local(errorReply('ERR DB index is out of range'))
      return true
    }
    this.setState({ ...this.state, db })
    if (this.dedicated !== undefined) {
      this.dedicated.dirtyState = true
      this.sendDedicated(f, false)
      return true
    }
    this.local(OK)
    return true
  }

  private setState (s: ConnState): void {
    this.state = s
    this.key = stateKey(s)
    this.primaryConn = undefined
  }

  private auth (f: RequestFrame): boolean {
    if (f.argc !== 2 && f.argc !== 3) {
      this.local(errorReply('ERR wrong number of arguments for \'auth\' command'))
      return true
    }
    const username = f.argc === 3 ? f.argString(1) : ''
    const password = f.argString(f.argc - 1)
    if (this.ctx.config.password !== '') {
      // The ambassador's own password guards the proxy; upstream credentials stay its own.
      if ((username === '' || username === 'default') && password === this.ctx.config.password) {
        this.authed = true
        this.local(OK)
      } else {
        this.ctx.metrics.error('auth')
        this.local(errorReply('WRONGPASS invalid username-password pair or user is disabled.'))
      }
      return true
    }
    if (this.dedicated !== undefined) {
      this.local(errorReply('ERR redis-ambassador: AUTH inside a transaction or blocking call is not supported'))
      return true
    }
    this.checkCredentials({ ...this.state, username, password }, OK)
    return true
  }

  /** Verifies credentials on the primary, then switches this client to them; pauses input meanwhile. */
  private checkCredentials (next: ConnState, success: Buffer | (() => Buffer), after?: () => void): void {
    const slot = new Slot(this, EMPTY)
    this.append(slot)
    const p = this.primaryUsable()
    if (p === undefined) {
      this.primaryDown(slot)
      return
    }
    this.waitAsync = true
    this.socket.pause()
    const key = stateKey(next)
    const probe = new Slot({
      deliver: (_s, buf, final) => {
        if (!final) return
        this.waitAsync = false
        if (buf[0] === 45) { // '-'
          this.ctx.metrics.error('auth')
          this.deliver(slot, buf, true)
        } else {
          this.setState(next)
          this.authed = true
          after?.()
          this.deliver(slot, typeof success === 'function' ? success() : success, true)
        }
        this.resumeInput()
      },
      retry: () => { /* never retryable */ }
    }, encodeCommand(['PING']))
    p.shared(next, key).send(probe)
  }

  private hello (f: RequestFrame): boolean {
    let proto = this.state.proto
    let i = 1
    if (f.argc > 1) {
      const a = f.arg(1)
      const v = parseIntAt(a, 0, a.length)
      if (Number.isNaN(v)) {
        this.local(errorReply('ERR Protocol version is not an integer or out of range'))
        return true
      }
      if (v !== 2 && v !== 3) {
        this.local(errorReply('NOPROTO unsupported protocol version'))
        return true
      }
      proto = v
      i = 2
    }
    let username: string | undefined
    let password: string | undefined
    let setname: string | undefined
    for (; i < f.argc; i++) {
      const opt = f.argLower(i)
      if (opt === 'auth' && i + 2 < f.argc) {
        username = f.argString(i + 1)
        password = f.argString(i + 2)
        i += 2
      } else if (opt === 'setname' && i + 1 < f.argc) {
        setname = f.argString(i + 1)
        i += 1
      } else {
        this.local(errorReply(`ERR Syntax error in HELLO option '${f.argString(i)}'`))
        return true
      }
    }
    if (this.dedicated !== undefined) {
      this.local(errorReply('ERR redis-ambassador: HELLO inside a transaction or blocking call is not supported'))
      return true
    }
    if (!this.authed && username === undefined) {
      this.local(errorReply('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time'))
      return true
    }
    const reply = (): Buffer => {
      if (setname !== undefined) this.name = setname
      return encodeValue({
        map: [
          ['server', 'redis'], ['version', this.ctx.topology.serverVersion], ['proto', proto],
          ['id', this.id], ['mode', 'standalone'], ['role', 'master'], ['modules', []]
        ]
      }, proto)
    }
    if (username !== undefined && password !== undefined) {
      if (this.ctx.config.password !== '') {
        if ((username === 'default') && password === this.ctx.config.password) {
          this.authed = true
          this.setState({ ...this.state, proto })
          this.local(reply())
        } else {
          this.ctx.metrics.error('auth')
          this.local(errorReply('WRONGPASS invalid username-password pair or user is disabled.'))
        }
        return true
      }
      this.checkCredentials({ ...this.state, username, password, proto }, reply)
      return true
    }
    this.setState({ ...this.state, proto })
    this.local(reply())
    return true
  }

  private client (f: RequestFrame): boolean {
    const sub = f.argc > 1 ? f.argLower(1) : ''
    switch (sub) {
      case 'setname': {
        if (f.argc !== 3) break
        const n = f.argString(2)
        if (/[^\x21-\x7e]/.test(n)) {
          this.local(errorReply('ERR Client names cannot contain spaces, newlines or special characters.'))
          return true
        }
        this.name = n
        this.local(OK)
        return true
      }
      case 'getname':
        this.local(bulkReply(this.name === '' ? null : this.name, this.state.proto))
        return true
      case 'setinfo': {
        // Answered here: shared upstream connections cannot carry one client's library name,
        // and Redis before 7.2 does not know SETINFO at all.
        if (f.argc !== 4) break
        const attr = f.argLower(2)
        if (attr === 'lib-name') this.libName = f.argString(3)
        else if (attr === 'lib-ver') this.libVer = f.argString(3)
        else {
          this.local(errorReply(`ERR Unrecognized option '${f.argString(2)}'`))
          return true
        }
        this.local(OK)
        return true
      }
      case 'id':
        if (this.dedicated !== undefined) break
        this.local(Buffer.from(`:${this.id}\r\n`))
        return true
      case 'tracking':
        // REDIRECT names a connection by CLIENT ID, and the ids clients see are the ambassador's,
        // not Redis's: forwarded, it could send this client's invalidations to an unrelated one.
        for (let i = 2; i < f.argc; i++) {
          if (f.argLower(i) === 'redirect') {
            this.local(errorReply('ERR redis-ambassador: CLIENT TRACKING REDIRECT is not supported (client ids here are the ambassador\'s); use RESP3 (HELLO 3), where invalidations arrive on the same connection'))
            return true
          }
        }
        return this.enterPassthrough(f, 'tracking', 'client')
      case 'reply':
        this.local(errorReply('ERR redis-ambassador: CLIENT REPLY is not supported (replies are matched to requests)'))
        return true
      case 'list':
      case 'info':
      case 'kill':
        return this.clientListOrKill(f, sub)
      case 'no-evict': {
        // Not forwarded: the upstream connection is shared, and protecting it from client
        // eviction is the ambassador's business. Kept as this client's flag (CLIENT LIST `e`).
        const v = f.argc === 3 ? f.argLower(2) : ''
        if (v !== 'on' && v !== 'off') break
        this.noEvict = v === 'on'
        this.local(OK)
        return true
      }
      case 'no-touch':
      case 'unblock':
        this.local(errorReply(`ERR redis-ambassador: CLIENT ${sub.toUpperCase()} is not supported (${sub === 'unblock' ? 'client ids are the ambassador\'s own, not Redis\'s' : 'connections to Redis are shared between clients'})`))
        return true
    }
    if (this.dedicated !== undefined) {
      this.sendDedicated(f, false)
      return true
    }
    this.sendPrimary(f.bytes())
    return true
  }

  /** What CLIENT LIST shows for this client. */
  view (): ClientView {
    const now = performance.now()
    const s = this.socket
    const remote = s.remoteAddress === undefined ? '' : `${s.remoteAddress.includes(':') ? `[${s.remoteAddress}]` : s.remoteAddress}:${s.remotePort ?? 0}`
    const local = s.localAddress === undefined ? '' : `${s.localAddress.includes(':') ? `[${s.localAddress}]` : s.localAddress}:${s.localPort ?? 0}`
    let flags = this.passthrough === 'pubsub' ? 'P' : this.passthrough === 'monitor' ? 'O' : this.passthrough === 'tracking' ? 't' : ''
    if (this.inMulti) flags += 'x'
    if (this.blockingInFlight > 0) flags += 'b'
    if (this.noEvict) flags += 'e'
    return {
      id: this.id,
      addr: remote === '' ? `${this.ctx.config.listen.replace(/^unix:/, '')}:0` : remote, // unix socket: as Redis shows it
      laddr: local,
      name: this.name,
      ageSec: Math.floor((now - this.createdAt) / 1000),
      idleSec: Math.floor((now - this.lastInput) / 1000),
      flags: flags === '' ? 'N' : flags,
      db: this.state.db,
      sub: this.channels.subscribe.size,
      psub: this.channels.psubscribe.size,
      ssub: this.channels.ssubscribe.size,
      multi: this.inMulti ? 0 : -1,
      qbuf: this.pendingLen,
      omem: this.held + s.writableLength,
      user: this.state.username === '' ? 'default' : this.state.username,
      libName: this.libName,
      libVer: this.libVer,
      resp: this.state.proto
    }
  }

  /** CLIENT LIST / INFO / KILL over the ambassador's own clients. */
  private clientListOrKill (f: RequestFrame, sub: string): boolean {
    const args: string[] = []
    for (let i = 2; i < f.argc; i++) args.push(f.argString(i))
    const all = [...(this.ctx.clients?.() ?? [this])].filter((c) => !c.closed)
    if (sub === 'info') {
      if (args.length > 0) {
        this.local(errorReply('ERR wrong number of arguments for \'client|info\' command'))
        return true
      }
      this.local(bulkReply(clientLine(this.view()) + '\n', 2))
      return true
    }
    if (sub === 'list') {
      const filter = parseListFilter(args)
      if (typeof filter === 'string') {
        this.local(errorReply(filter))
        return true
      }
      const lines = all.map((c) => c.view()).filter(filter).map((v) => clientLine(v) + '\n')
      this.local(bulkReply(lines.join(''), 2))
      return true
    }
    const kill = parseKillFilter(args)
    if (typeof kill === 'string') {
      this.local(errorReply(kill))
      return true
    }
    let killed = 0
    let self = false
    for (const c of all) {
      if (c === this && kill.skipMe) continue
      if (!kill.match(c.view())) continue
      killed++
      if (c === this) self = true
      else c.close()
    }
    if (kill.legacy) this.local(killed > 0 ? OK : errorReply('ERR No such client'))
    else this.local(Buffer.from(`:${killed}\r\n`))
    if (self) {
      // Like Redis: the reply first, then the connection closes.
      this.quitting = true
      if (this.inflight === 0) this.onIdle()
    }
    return true
  }

  private reset (): boolean {
    if (this.inflight > 0) {
      this.waitDrain = true
      return false
    }
    const c = this.dedicated
    if (c !== undefined) {
      this.dedicated = undefined
      c.onClose = undefined
      c.destroy()
    }
    this.inMulti = false
    this.watching = false
    this.txnBroken = false
    this.blockingInFlight = 0
    this.name = ''
    this.setState({ ...this.ctx.defaultState })
    this.authed = this.ctx.config.password === ''
    this.local(Buffer.from('+RESET\r\n'))
    return true
  }

  private transactionStart (f: RequestFrame, name: string): boolean {
    if (this.txnBroken) {
      if (name === 'multi') {
        this.inMulti = true
        this.local(OK)
      } else {
        this.local(errorReply('ERR transaction aborted: the connection to the primary was lost (failover?); send EXEC or DISCARD'))
      }
      return true
    }
    if (name === 'multi' && this.inMulti) {
      this.local(errorReply('ERR MULTI calls can not be nested'))
      return true
    }
    if (this.dedicated === undefined) {
      if (!this.enterDedicated()) {
        if (this.waitDrain) return false
        const slot = new Slot(this, EMPTY)
        this.append(slot)
        this.primaryDown(slot)
        return true
      }
    }
    if (name === 'multi') this.inMulti = true
    else this.watching = true
    this.lastWrite = performance.now()
    this.sendDedicated(f, false)
    return true
  }

  private transactionEnd (f: RequestFrame, name: string): boolean {
    if (this.txnBroken) {
      const wasMulti = this.inMulti
      if (name === 'unwatch' && wasMulti) {
        this.local(errorReply('ERR transaction aborted: the connection to the primary was lost (failover?); send EXEC or DISCARD'))
        return true
      }
      this.txnBroken = false
      this.inMulti = false
      this.watching = false
      this.ctx.metrics.error('transaction_aborted')
      if (name === 'exec') this.local(errorReply('EXECABORT Transaction discarded because the connection to the primary was lost (failover?); nothing was retried'))
      else if (name === 'discard' && !wasMulti) this.local(errorReply('ERR DISCARD without MULTI'))
      else this.local(OK)
      return true
    }
    if (this.dedicated === undefined) {
      if (name === 'unwatch') this.local(OK)
      else this.local(errorReply(`ERR ${name.toUpperCase()} without MULTI`))
      return true
    }
    const slot = this.sendDedicated(f, false)
    if (name !== 'unwatch' || !this.inMulti) {
      // EXEC/DISCARD end the transaction and every WATCH; UNWATCH ends the WATCHes.
      if (name !== 'unwatch') this.inMulti = false
      this.watching = false
      slot.onDone = () => { this.maybeRelease() }
    }
    return true
  }

  // ---- passthrough: pub/sub, MONITOR, CLIENT TRACKING get a raw pipe to one primary connection

  private enterPassthrough (f: RequestFrame, kind: Passthrough, name: string): boolean {
    if (this.dedicated !== undefined) {
      this.local(errorReply(`ERR redis-ambassador: ${name.toUpperCase()} inside a transaction or blocking call is not supported`))
      return true
    }
    if (this.inflight > 0) {
      this.waitDrain = true
      return false
    }
    const p = this.primaryUsable()
    if (p === undefined) {
      const slot = new Slot(this, EMPTY)
      this.append(slot)
      this.primaryDown(slot)
      return true
    }
    this.passthrough = kind
    this.openPassthrough(p)
    this.handlePassthrough(f, name)
    return true
  }

  private openPassthrough (p: UpstreamNode): UpstreamConn {
    const c = p.dedicated(this.state, this.key)
    c.stream = (buf) => { this.write(buf) }
    c.onClose = () => { this.dedicatedLost(c) }
    this.dedicated = c
    return c
  }

  private handlePassthrough (f: RequestFrame, name: string): void {
    const set = name === 'subscribe' || name === 'unsubscribe'
      ? this.channels.subscribe
      : name === 'psubscribe' || name === 'punsubscribe' ? this.channels.psubscribe : name === 'ssubscribe' || name === 'sunsubscribe' ? this.channels.ssubscribe : undefined
    if (set !== undefined) {
      if (name.includes('unsub')) {
        if (f.argc === 1) set.clear()
        for (let i = 1; i < f.argc; i++) set.delete(f.argString(i))
      } else {
        for (let i = 1; i < f.argc; i++) set.add(f.argString(i))
      }
    }
    if (name === 'quit') this.quitting = true
    const c = this.dedicated
    if (c === undefined || !c.alive) {
      this.write(errorReply('ERR redis-ambassador: reconnecting to the primary; try again'))
      return
    }
    this.ctx.metrics.passthrough++
    c.sendRaw(f.bytes())
    if (this.quitting) setTimeout(() => { this.socket.end() }, 50)
  }

  /** The subscriber connection died (failover, restart): resubscribe on the current primary. */
  private passthroughLost (): void {
    if (this.closed) return
    if (this.passthrough !== 'pubsub') {
      // MONITOR and tracking state cannot be rebuilt behind the client's back: let it reconnect.
      this.socket.end(errorReply('ERR redis-ambassador: the upstream connection was lost'))
      this.close()
      return
    }
    const attempt = (): void => {
      if (this.closed) return
      const p = this.primaryUsable()
      if (p === undefined || !p.healthy) {
        setTimeout(attempt, 200).unref()
        return
      }
      const c = this.openPassthrough(p)
      const cmds: Buffer[] = []
      let replies = 0
      for (const [cmd, set] of Object.entries(this.channels)) {
        if (set.size === 0) continue
        cmds.push(encodeCommand([cmd, ...set]))
        replies += set.size
      }
      c.sendSwallowed(cmds, replies)
      this.ctx.logger.info({ client: this.id, primary: p.id, channels: replies }, 'resubscribed after losing the subscriber connection')
    }
    setTimeout(attempt, 100).unref()
  }

  // ---- lifecycle

  close (): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    const c = this.dedicated
    this.dedicated = undefined
    if (c !== undefined) {
      c.onClose = undefined
      // A transaction or subscription is this client's alone: never hand it to another.
      c.destroy()
    }
    this.head = undefined
    this.tail = undefined
    this.pending = []
    this.out = []
    this.onClosed?.(this)
  }

  onClosed: ((s: ClientSession) => void) | undefined

  /** Stops reading new commands (shutdown); in-flight replies still go out. */
  stopInput (): void {
    this.draining = true
    this.socket.pause()
    this.waitAsync = true
  }

  get idle (): boolean {
    return this.inflight === 0 && this.out.length === 0
  }
}

export type { CommandInfo }
