// Finds reply boundaries in the byte stream from a Redis server (RESP2 and RESP3), streaming:
// bytes are handed on as they arrive, in segments, and the end of each top-level reply is
// reported, so replies can be matched to requests in order without decoding them.

export interface ReplyHandler {
  /**
   * Bytes of the current top-level reply. `final` marks its last segment. `type` is the reply's
   * first byte ('+', '-', '$', '*', '>', ...). For a top-level error, `errorLine` holds its text.
   * Returns nothing; the handler owns routing.
   */
  replySegment: (buf: Buffer, final: boolean, type: number, errorLine: string | undefined) => void
}

export class UpstreamProtocolError extends Error {
  readonly code = 'RA_ERR_UPSTREAM_PROTOCOL'
}

const CR = 13
const LF = 10

/** Largest simple line (status, error, number header) we accept from a server. */
const MAX_LINE = 1 << 20

export class ReplyScanner {
  /** Remaining elements of open aggregates, innermost last. */
  private readonly remaining: number[] = []
  /** Whether each open aggregate is an attribute (it does not count as an element). */
  private readonly isAttr: boolean[] = []
  /** Bytes of a bulk payload (plus CRLF) still to pass. */
  private bulkLeft = 0
  /** A line cut by the end of a chunk. */
  private partial: Buffer | undefined
  /** First byte of the top-level reply in progress; 0 when between replies. */
  private topType = 0

  constructor (private readonly handler: ReplyHandler) {}

  /** True when between replies (no partial reply held or in progress). */
  get idle (): boolean {
    return this.topType === 0 && this.partial === undefined && this.bulkLeft === 0
  }

  feed (chunk: Buffer): void {
    const len = chunk.length
    let pos = 0
    let seg = 0
    while (pos < len) {
      if (this.bulkLeft > 0) {
        const take = Math.min(this.bulkLeft, len - pos)
        pos += take
        this.bulkLeft -= take
        if (this.bulkLeft > 0) break
        if (this.elementDone()) {
          this.emit(chunk.subarray(seg, pos), true)
          seg = pos
        }
        continue
      }
      const nl = findLF(chunk, pos, len)
      if (nl === -1) {
        // Keep the cut line to parse with the next chunk; pass on what came before it.
        const rest = chunk.subarray(pos)
        const held = this.partial === undefined ? rest : Buffer.concat([this.partial, rest])
        if (held.length > MAX_LINE) throw new UpstreamProtocolError('reply line too long')
        if (seg < pos) this.emit(chunk.subarray(seg, pos), false)
        this.partial = Buffer.from(held)
        return
      }
      let line: Buffer
      let lineStart: number
      if (this.partial !== undefined) {
        // The line began in an earlier chunk: it is handed on whole, from the held copy.
        line = Buffer.concat([this.partial, chunk.subarray(pos, nl + 1)])
        this.partial = undefined
        lineStart = 0
        pos = nl + 1
        const done = this.parseLine(line, lineStart, line.length - 1)
        this.emit(line, done)
        seg = pos
        continue
      }
      line = chunk
      lineStart = pos
      pos = nl + 1
      if (this.parseLine(line, lineStart, nl)) {
        this.emit(chunk.subarray(seg, pos), true)
        seg = pos
      }
    }
    if (seg < len) this.emit(chunk.subarray(seg, len), false)
  }

  private lastError: string | undefined

  private emit (buf: Buffer, final: boolean): void {
    const type = this.topType
    const err = this.lastError
    if (final) {
      this.topType = 0
      this.lastError = undefined
    }
    this.handler.replySegment(buf, final, type, err)
  }

  /** Parses one line buf[s, nl] (nl = index of LF). Returns true when a top-level reply ended. */
  private parseLine (buf: Buffer, s: number, nl: number): boolean {
    if (nl === s || buf[nl - 1] !== CR) throw new UpstreamProtocolError('reply line not terminated by CRLF')
    const type = buf[s] as number
    const top = this.remaining.length === 0
    if (top && this.topType === 0) this.topType = type
    switch (type) {
      case 43: // + simple string
      case 58: // : integer
      case 95: // _ null
      case 44: // , double
      case 35: // # boolean
      case 40: // ( big number
        return this.elementDone()
      case 45: // - error
        if (top) this.lastError = buf.toString('utf8', s + 1, nl - 1)
        return this.elementDone()
      case 36: // $ bulk string
      case 61: // = verbatim string
      case 33: { // ! bulk error
        const n = parseLen(buf, s + 1, nl - 1)
        if (n < 0) return this.elementDone()
        if (type === 33 && top) this.lastError = ''
        this.bulkLeft = n + 2
        return false
      }
      case 42: // * array
      case 126: // ~ set
      case 62: // > push
      case 37: // % map
      case 124: { // | attribute
        let n = parseLen(buf, s + 1, nl - 1)
        if (type === 37 || type === 124) n *= 2
        if (n <= 0) {
          if (type === 124) return false
          return this.elementDone()
        }
        this.remaining.push(n)
        this.isAttr.push(type === 124)
        if (type === 124 && top) this.topType = 0
        return false
      }
      default:
        throw new UpstreamProtocolError(`unexpected reply type byte ${type}`)
    }
  }

  /** Counts one finished element; returns true when that finished a top-level reply. */
  private elementDone (): boolean {
    const rem = this.remaining
    while (rem.length > 0) {
      const i = rem.length - 1
      const left = (rem[i] as number) - 1
      if (left > 0) {
        rem[i] = left
        return false
      }
      rem.pop()
      if (this.isAttr.pop() === true) return false
    }
    return true
  }
}

/**
 * The offset of the next LF at or after `from`, or -1. Most reply lines (+OK, $3, :1, *2) are a
 * few bytes: a loop finds their end sooner than a call into indexOf, which takes longer lines.
 */
function findLF (buf: Buffer, from: number, len: number): number {
  const stop = Math.min(len, from + 32)
  for (let i = from; i < stop; i++) if (buf[i] === LF) return i
  return stop === len ? -1 : buf.indexOf(LF, stop)
}

function parseLen (buf: Buffer, s: number, e: number): number {
  if (s >= e) throw new UpstreamProtocolError('empty length in reply')
  if (buf[s] === 45) return -1
  let n = 0
  for (let i = s; i < e; i++) {
    const c = buf[i] as number
    if (c < 48 || c > 57) throw new UpstreamProtocolError('bad length in reply')
    n = n * 10 + (c - 48)
  }
  return n
}
