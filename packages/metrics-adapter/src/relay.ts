// --statsd.relay.address: forwards every received line unmodified to another StatsD over UDP,
// packed into datagrams of at most --statsd.relay.packet-length bytes, flushed every second.

import dgram from 'node:dgram'
import { PodPatternsError, parseAddress, type Logger } from '@pod-patterns/runtime'
import { AdapterStats } from './own-metrics.js'

export class StatsdRelay {
  private readonly sock: dgram.Socket
  private buf = ''
  private readonly timer: NodeJS.Timeout
  private readonly host: string
  private readonly port: number

  constructor (address: string, private readonly packetLength: number, private readonly stats: AdapterStats, private readonly logger: Logger) {
    const a = parseAddress(address, '--statsd.relay.address', '127.0.0.1')
    if (a.kind !== 'tcp') throw new PodPatternsError('ERR_ADAPTER_BAD_RELAY', '--statsd.relay.address needs host:port')
    this.host = a.host
    this.port = a.port
    this.sock = dgram.createSocket(a.host.includes(':') ? 'udp6' : 'udp4')
    this.sock.on('error', (err) => { this.logger.warn({ err }, 'relay socket error') })
    this.timer = setInterval(() => { this.flush() }, 1000)
    this.timer.unref()
  }

  line (line: string): void {
    if (Buffer.byteLength(line) + 1 > this.packetLength) {
      AdapterStats.bump(this.stats.relayedLines, 'too_long')
      return
    }
    if (this.buf.length > 0 && Buffer.byteLength(this.buf) + Buffer.byteLength(line) + 1 > this.packetLength) this.flush()
    this.buf += line + '\n'
    AdapterStats.bump(this.stats.relayedLines, 'relayed')
  }

  flush (): void {
    if (this.buf.length === 0) return
    const payload = this.buf
    this.buf = ''
    this.sock.send(payload, this.port, this.host, (err) => {
      if (err !== null) this.logger.warn({ err }, 'relay send failed')
    })
  }

  async close (): Promise<void> {
    clearInterval(this.timer)
    this.flush()
    await new Promise<void>((resolve) => { setTimeout(resolve, 20) })
    await new Promise<void>((resolve) => { this.sock.close(() => resolve()) })
  }
}
