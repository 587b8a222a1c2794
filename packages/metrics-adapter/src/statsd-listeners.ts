// StatsD listeners: UDP (node:dgram), TCP (lines, CRLF, an unterminated last line kept, lines
// over the limit counted and dropped) and a unix datagram socket (unix-dgram, loaded lazily:
// Node itself cannot receive on one).

import dgram from 'node:dgram'
import net from 'node:net'
import { chmod, unlink } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { PodPatternsError, parseAddress, type Logger } from '@pod-patterns/runtime'
import type { StatsdIngest } from './statsd-ingest.js'
import type { AdapterStats } from './own-metrics.js'
import { preloadNativeBinding } from './native-abi.js'

export interface Listener {
  readonly kind: 'udp' | 'tcp' | 'unixgram'
  /** Bound port (udp/tcp) or socket path. */
  readonly address: number | string
  close: () => Promise<void>
}

export async function listenUdp (bind: string, ingest: StatsdIngest, stats: AdapterStats, logger: Logger, readBuffer: number): Promise<Listener> {
  const a = parseAddress(bind, '--statsd.listen-udp')
  if (a.kind !== 'tcp') throw new PodPatternsError('ERR_ADAPTER_BAD_LISTEN', '--statsd.listen-udp needs host:port')
  const sock = dgram.createSocket({ type: a.host.includes(':') ? 'udp6' : 'udp4', ...(readBuffer > 0 ? { recvBufferSize: readBuffer } : {}) })
  sock.on('message', (msg) => {
    stats.udpPackets++
    ingest.packet(msg.toString('utf8'))
  })
  sock.on('error', (err) => { logger.error({ err }, 'udp listener error') })
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject)
    sock.bind(a.port, a.host, () => { sock.off('error', reject); resolve() })
  })
  const port = sock.address().port
  // The kernel caps the requested size at net.core.rmem_max (and reports double what it keeps).
  logger.info({ port, host: a.host, recvBufferSize: sock.getRecvBufferSize() }, 'statsd udp listening')
  return {
    kind: 'udp',
    address: port,
    close: async () => { await new Promise<void>((resolve) => { sock.close(() => resolve()) }) }
  }
}

export async function listenTcp (bind: string, ingest: StatsdIngest, stats: AdapterStats, logger: Logger, maxLine: number): Promise<Listener> {
  const a = parseAddress(bind, '--statsd.listen-tcp')
  if (a.kind !== 'tcp') throw new PodPatternsError('ERR_ADAPTER_BAD_LISTEN', '--statsd.listen-tcp needs host:port')
  const sockets = new Set<net.Socket>()
  const server = net.createServer((conn) => {
    stats.tcpConnections++
    sockets.add(conn)
    let pending = ''
    let discarding = false
    const emit = (line: string): void => {
      const l = line.endsWith('\r') ? line.slice(0, -1) : line
      if (l.length > 0) ingest.line(l)
    }
    conn.setEncoding('utf8')
    conn.on('data', (chunk: string) => {
      let start = 0
      for (;;) {
        const nl = chunk.indexOf('\n', start)
        if (nl === -1) {
          if (!discarding) {
            pending += chunk.slice(start)
            if (pending.length > maxLine) {
              stats.tcpTooLongLines++
              pending = ''
              discarding = true
            }
          }
          return
        }
        if (discarding) {
          discarding = false
        } else {
          const line = pending + chunk.slice(start, nl)
          pending = ''
          if (line.length > maxLine) stats.tcpTooLongLines++
          else emit(line)
        }
        start = nl + 1
      }
    })
    conn.on('end', () => {
      if (!discarding && pending.length > 0) emit(pending)
      pending = ''
    })
    conn.on('error', (err) => {
      stats.tcpConnectionErrors++
      logger.debug({ err }, 'tcp connection error')
    })
    conn.on('close', () => { sockets.delete(conn) })
  })
  server.on('error', (err) => { logger.error({ err }, 'tcp listener error') })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(a.port, a.host, () => { server.off('error', reject); resolve() })
  })
  const port = (server.address() as net.AddressInfo).port
  logger.info({ port, host: a.host }, 'statsd tcp listening')
  return {
    kind: 'tcp',
    address: port,
    close: async () => {
      const closed = new Promise<void>((resolve) => { server.close(() => resolve()) })
      // Let clients finish what they sent: half-close, then destroy stragglers.
      for (const s of sockets) s.end()
      const t = setTimeout(() => { for (const s of sockets) s.destroy() }, 1000)
      await closed
      clearTimeout(t)
    }
  }
}

interface UnixDgramSocket {
  on: (ev: string, fn: (...args: unknown[]) => void) => void
  bind: (path: string) => void
  close: () => void
}

/** Loads unix-dgram; a clear error when it is missing or was built for another Node. */
export function loadUnixDgram (): { createSocket: (type: 'unix_dgram', fn?: (buf: Buffer) => void) => UnixDgramSocket } {
  const require = createRequire(import.meta.url)
  try {
    preloadNativeBinding('unix-dgram')
    return require('unix-dgram') as ReturnType<typeof loadUnixDgram>
  } catch (err) {
    throw new PodPatternsError('ERR_ADAPTER_NO_UNIXGRAM',
      `--statsd.listen-unixgram needs the optional native module unix-dgram, which did not load (built for another Node? run packages/metrics-adapter/scripts/build-native.mjs): ${(err as Error).message}`, { cause: err })
  }
}

export async function listenUnixgram (path: string, mode: number, ingest: StatsdIngest, stats: AdapterStats, logger: Logger): Promise<Listener> {
  const unix = loadUnixDgram()
  await unlink(path).catch(() => undefined)
  const sock = unix.createSocket('unix_dgram', (buf: Buffer) => {
    stats.unixgramPackets++
    ingest.packet(buf.toString('utf8'))
  })
  await new Promise<void>((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- unix-dgram emits errors untyped
    sock.on('error', (err) => { reject(err as Error) })
    sock.on('listening', () => { resolve() })
    sock.bind(path)
  })
  sock.on('error', (err) => { logger.error({ err }, 'unixgram listener error') })
  await chmod(path, mode)
  logger.info({ path }, 'statsd unixgram listening')
  return {
    kind: 'unixgram',
    address: path,
    close: async () => {
      sock.close()
      await unlink(path).catch(() => undefined)
    }
  }
}
