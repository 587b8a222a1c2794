// Encoders for the few replies the ambassador answers itself (PING, HELLO, CLIENT SETNAME, errors)
// and the commands it sends on its own (handshakes, resubscribes).

export type Value = string | number | null | Buffer | Value[] | { map: Array<[string, Value]> }

export function encodeCommand (args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF)
  }
  return Buffer.concat(parts)
}

const CRLF = Buffer.from('\r\n')

export const OK = Buffer.from('+OK\r\n')
export const PONG = Buffer.from('+PONG\r\n')
export const QUEUED = Buffer.from('+QUEUED\r\n')

export function errorReply (line: string): Buffer {
  return Buffer.from(`-${line.replace(/[\r\n]+/g, ' ')}\r\n`)
}

export function bulkReply (b: Buffer | string | null, proto: 2 | 3): Buffer {
  if (b === null) return Buffer.from(proto === 3 ? '_\r\n' : '$-1\r\n')
  const buf = typeof b === 'string' ? Buffer.from(b) : b
  return Buffer.concat([Buffer.from(`$${buf.length}\r\n`), buf, CRLF])
}

export function encodeValue (v: Value, proto: 2 | 3): Buffer {
  const parts: Buffer[] = []
  write(v, proto, parts)
  return Buffer.concat(parts)
}

function write (v: Value, proto: 2 | 3, out: Buffer[]): void {
  if (v === null) {
    out.push(Buffer.from(proto === 3 ? '_\r\n' : '$-1\r\n'))
  } else if (typeof v === 'number') {
    out.push(Buffer.from(`:${v}\r\n`))
  } else if (typeof v === 'string' || Buffer.isBuffer(v)) {
    out.push(bulkReply(v, proto))
  } else if (Array.isArray(v)) {
    out.push(Buffer.from(`*${v.length}\r\n`))
    for (const e of v) write(e, proto, out)
  } else {
    out.push(Buffer.from(proto === 3 ? `%${v.map.length}\r\n` : `*${v.map.length * 2}\r\n`))
    for (const [k, e] of v.map) {
      out.push(bulkReply(k, proto))
      write(e, proto, out)
    }
  }
}
