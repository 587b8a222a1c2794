// Finds command frames in the bytes a client sends by scanning, without decoding them: the
// frame's bytes are forwarded as they arrived. Only argument offsets are recorded, so the
// router can read the command name (and the few arguments connection state depends on).

export class ProtocolError extends Error {
  readonly code = 'RA_ERR_PROTOCOL'
}

export interface ScanLimits {
  maxBulkBytes: number
  maxArrayLen: number
  /** Longest inline command or header line. */
  maxInlineBytes: number
}

/** One scanned command. Offsets index into `buf`; `end` is one past its last byte. */
export class RequestFrame {
  buf: Buffer = Buffer.alloc(0)
  start = 0
  end = 0
  argc = 0
  /**
   * Start and end offsets of each argument, pairwise: entries past 2 × argc are left over from
   * earlier frames (the array is reused, never truncated, so it does not shrink and regrow).
   */
  args: number[] = []
  /** Inline commands are re-encoded as arrays (rare: telnet, old scripts). */
  inline = false

  arg (i: number): Buffer {
    return this.buf.subarray(this.args[2 * i], this.args[2 * i + 1])
  }

  argString (i: number): string {
    return this.buf.toString('latin1', this.args[2 * i], this.args[2 * i + 1])
  }

  argLower (i: number): string {
    const s = this.args[2 * i] as number
    const e = this.args[2 * i + 1] as number
    const n = e - s
    if (n === 0 || n > 6) return this.argString(i).toLowerCase()
    // Names of up to 6 bytes (most command names) come from a cache keyed by their bytes, ASCII
    // letters folded: no string is made per request, and the cached one's hash is kept.
    let key = n
    for (let j = s; j < e; j++) {
      let c = this.buf[j] as number
      if (c >= 65 && c <= 90) c += 32
      key = key * 256 + c
    }
    let name = shortNames.get(key)
    if (name === undefined) {
      name = this.argString(i).toLowerCase()
      if (shortNames.size >= SHORT_NAMES_MAX) shortNames.clear()
      shortNames.set(key, name)
    }
    return name
  }

  bytes (): Buffer {
    return this.buf.subarray(this.start, this.end)
  }
}

const CR = 13
const LF = 10
const DOLLAR = 36
const STAR = 42

/** Lower-cased names of up to 6 bytes by their bytes (see argLower); cleared when full. */
const shortNames = new Map<number, string>()
const SHORT_NAMES_MAX = 1024

/**
 * The common case of a count or length line: digits then CRLF, all in the buffer. Returns the
 * number and leaves the offset after the LF in `lineEnd`, or -1 when the line is anything else
 * (cut by the chunk's end, signed, too long, malformed): the caller then takes the general path.
 */
let lineEnd = 0
function simpleCount (buf: Buffer, start: number, len: number): number {
  let n = 0
  let i = start
  const stop = Math.min(len, start + 15)
  for (; i < stop; i++) {
    const c = buf[i] as number
    if (c < 48 || c > 57) break
    n = n * 10 + (c - 48)
  }
  if (i === start || i + 1 >= len || buf[i] !== CR || buf[i + 1] !== LF) return -1
  lineEnd = i + 2
  return n
}

/** Parses a decimal integer in buf[s, e); NaN when it is not one. */
export function parseIntAt (buf: Buffer, s: number, e: number): number {
  if (s >= e) return NaN
  let neg = false
  let i = s
  if (buf[i] === 45) { neg = true; i++ }
  if (i >= e || e - i > 15) return NaN
  let n = 0
  for (; i < e; i++) {
    const c = buf[i] as number
    if (c < 48 || c > 57) return NaN
    n = n * 10 + (c - 48)
  }
  return neg ? -n : n
}

/**
 * Scans one frame starting at `pos`. Returns the offset after it, or -1 when the frame is not
 * complete yet (then `frame.end` holds the smallest buffer length worth rescanning at, when known).
 * Throws ProtocolError on malformed input, with the text Redis itself uses.
 */
export function scanRequest (buf: Buffer, pos: number, limits: ScanLimits, frame: RequestFrame): number {
  const len = buf.length
  frame.buf = buf
  frame.start = pos
  frame.inline = false
  frame.end = 0
  if (pos >= len) return -1
  if (buf[pos] !== STAR) return scanInline(buf, pos, limits, frame)
  let argc = simpleCount(buf, pos + 1, len)
  let p = lineEnd
  if (argc === -1) {
    const nl = buf.indexOf(LF, pos)
    if (nl === -1) {
      if (len - pos > limits.maxInlineBytes) throw new ProtocolError('Protocol error: too big mbulk count string')
      return -1
    }
    if (buf[nl - 1] !== CR) throw new ProtocolError('Protocol error: invalid multibulk length')
    argc = parseIntAt(buf, pos + 1, nl - 1)
    p = nl + 1
  }
  if (Number.isNaN(argc) || argc > limits.maxArrayLen) throw new ProtocolError('Protocol error: invalid multibulk length')
  const args = frame.args
  frame.argc = argc <= 0 ? 0 : argc
  for (let i = 0; i < argc; i++) {
    if (p >= len) return -1
    if (buf[p] !== DOLLAR) throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[p] as number)}'`)
    let blen = simpleCount(buf, p + 1, len)
    let s = lineEnd
    if (blen === -1) {
      const bl = buf.indexOf(LF, p)
      if (bl === -1) {
        if (len - p > 32) throw new ProtocolError('Protocol error: invalid bulk length')
        return -1
      }
      if (buf[bl - 1] !== CR) throw new ProtocolError('Protocol error: invalid bulk length')
      blen = parseIntAt(buf, p + 1, bl - 1)
      s = bl + 1
    }
    if (Number.isNaN(blen) || blen < 0 || blen > limits.maxBulkBytes) throw new ProtocolError('Protocol error: invalid bulk length')
    const e = s + blen
    if (e + 2 > len) {
      frame.end = e + 2
      return -1
    }
    if (buf[e] !== CR || buf[e + 1] !== LF) throw new ProtocolError('Protocol error: bulk string not terminated by CRLF')
    args[2 * i] = s
    args[2 * i + 1] = e
    p = e + 2
  }
  frame.end = p
  return p
}

function scanInline (buf: Buffer, pos: number, limits: ScanLimits, frame: RequestFrame): number {
  const nl = buf.indexOf(LF, pos)
  if (nl === -1) {
    if (buf.length - pos > limits.maxInlineBytes) throw new ProtocolError('Protocol error: too big inline request')
    return -1
  }
  const lineEnd = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl
  const words = splitInline(buf.toString('latin1', pos, lineEnd))
  if (words === null) throw new ProtocolError('Protocol error: unbalanced quotes in request')
  // Re-encode as an array so upstreams and the rest of the pipeline see one shape.
  let out = `*${words.length}\r\n`
  for (const w of words) out += `$${Buffer.byteLength(w, 'latin1')}\r\n${w}\r\n`
  const enc = Buffer.from(out, 'latin1')
  const sub = new RequestFrame()
  scanRequest(enc, 0, { ...limits, maxArrayLen: Number.MAX_SAFE_INTEGER }, sub)
  frame.buf = enc
  frame.start = 0
  frame.end = enc.length
  frame.argc = sub.argc
  frame.args = sub.args
  frame.inline = true
  return nl + 1
}

/** Splits an inline command the way redis-cli quotes arguments; null on unbalanced quotes. */
function splitInline (line: string): string[] | null {
  const out: string[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++
    if (i >= line.length) break
    let w = ''
    const q = line[i]
    if (q === '"' || q === '\'') {
      i++
      let closed = false
      while (i < line.length) {
        const c = line[i] as string
        if (c === '\\' && q === '"' && i + 1 < line.length) {
          const n = line[i + 1] as string
          w += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n
          i += 2
          continue
        }
        if (c === q) { closed = true; i++; break }
        w += c
        i++
      }
      if (!closed) return null
    } else {
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t') w += line[i++] as string
    }
    out.push(w)
  }
  return out
}
