// Reads sockets into one reused buffer instead of through Node's stream machinery: per read
// there is no 64 KiB allocation, no Readable push and no 'data' event, which is most of a
// proxy's CPU per request at pipeline depth 1. Callers get a private copy of each chunk.

import net from 'node:net'

/** Shared by every socket read this way: a callback consumes it before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

type ChunkSink = (chunk: Buffer) => void

/**
 * A private copy of the first n bytes read, in Node's shared allocation pool for small sizes.
 * Requests and replies of a few dozen bytes (most at pipeline depth 1) are copied byte by byte:
 * cheaper than creating a view of the read buffer to copy from.
 */
function copyRead (n: number): Buffer {
  const chunk = Buffer.allocUnsafe(n)
  if (n <= 64) {
    for (let i = 0; i < n; i++) chunk[i] = READ_BUFFER[i] as number
  } else {
    READ_BUFFER.copy(chunk, 0, 0, n)
  }
  return chunk
}

function onreadOption (sink: () => ChunkSink): { buffer: Buffer, callback: (n: number, buf: Uint8Array) => boolean } {
  return {
    buffer: READ_BUFFER,
    callback: (n) => {
      sink()(copyRead(n))
      return true
    }
  }
}

/** Connects over plain TCP; every chunk read goes to `sink` (no 'data' events). */
export function connectReading (host: string, port: number, sink: ChunkSink): net.Socket {
  return net.connect({ host, port, onread: onreadOption(() => sink) })
}

/**
 * Takes over an accepted connection (the server must use `pauseOnConnect`) so its reads go to
 * the sink set later with `setSink`. Falls back to 'data' events when the socket exposes no
 * handle to adopt. Destroying the returned socket also releases the accepted one, so the
 * server's connection count and `close()` stay right.
 */
export function adoptReading (accepted: net.Socket): { socket: net.Socket, setSink: (sink: ChunkSink) => void } {
  let sink: ChunkSink = () => undefined
  const setSink = (s: ChunkSink): void => { sink = s }
  const handle = (accepted as unknown as { _handle?: object | null })._handle
  if (handle === undefined || handle === null) {
    accepted.on('data', (chunk: Buffer) => { sink(chunk) })
    accepted.resume()
    return { socket: accepted, setSink }
  }
  // The handle's new owner starts reading; the accepted wrapper only keeps the server's count.
  const socket = new net.Socket({ handle, onread: onreadOption(() => sink) } as unknown as net.SocketConstructorOpts)
  socket.once('close', () => { accepted.destroy() })
  return { socket, setSink }
}
