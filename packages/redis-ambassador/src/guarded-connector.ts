// How the control plane's ioredis clients open their sockets. ioredis listens for a socket's
// 'error' with once(), so a socket that fails twice throws its second error out of the process.
// A TLS handshake against an untrusted certificate does exactly that when the client is closed
// mid-handshake (at shutdown, or when a node leaves the topology): the certificate error, then
// the server's alert. This connector opens the same socket ioredis would and keeps an 'error'
// listener on it for its whole life.

import net from 'node:net'
import tls from 'node:tls'
import { AbstractConnector, type RedisOptions } from 'ioredis'

type Stream = net.Socket | tls.TLSSocket

export class GuardedConnector extends AbstractConnector {
  private readonly options: RedisOptions

  constructor (options: unknown) {
    const o = options as RedisOptions
    super(o.disconnectTimeout ?? 2000)
    this.options = o
  }

  async connect (): Promise<Stream> {
    const o = this.options
    this.connecting = true
    delete this.firstError
    // Like ioredis's own connector: the socket is made on the next tick, unless closed first.
    await new Promise<void>((resolve) => { process.nextTick(resolve) })
    if (!this.connecting) throw new Error('Connection is closed.')
    // ioredis has filled in host and port (and its defaults) by now; family and path as it would.
    const target: net.NetConnectOpts = o.path !== undefined && o.path !== '' ? { path: o.path } : { host: o.host, port: o.port as number, ...(o.family !== undefined ? { family: o.family } : {}) }
    const stream: Stream = o.tls !== undefined ? tls.connect({ ...target, ...o.tls } as tls.ConnectionOptions) : net.createConnection(target)
    // Only the current socket's first error is reported; a replaced socket's late errors are dropped.
    stream.on('error', (err: Error) => { if (this.stream === stream) this.firstError ??= err })
    this.stream = stream
    return stream
  }
}
