// The two scanners on their own: request frames (client side) and streaming reply boundaries
// (server side), including input cut at every byte.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError, ReplyScanner, RequestFrame, scanRequest } from '../src/index.js'

const limits = { maxBulkBytes: 1024, maxArrayLen: 100, maxInlineBytes: 1024 }

void test('request scanner finds frames and argument offsets without copying', () => {
  const buf = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING\r\n')
  const f = new RequestFrame()
  const end = scanRequest(buf, 0, limits, f)
  assert.equal(end, 22)
  assert.equal(f.argc, 2)
  assert.equal(f.argLower(0), 'get')
  assert.equal(f.argString(1), 'key')
  assert.equal(f.bytes().buffer, buf.buffer, 'the frame is a view of the input')
  assert.equal(scanRequest(buf, end, limits, f), buf.length)
  assert.equal(f.argLower(0), 'ping')
})

void test('request scanner reports incomplete frames at every cut point', () => {
  const whole = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n')
  for (let cut = 0; cut < whole.length; cut++) {
    assert.equal(scanRequest(whole.subarray(0, cut), 0, limits, new RequestFrame()), -1, `cut at ${cut}`)
  }
  assert.equal(scanRequest(whole, 0, limits, new RequestFrame()), whole.length)
})

void test('request scanner rejects malformed frames and enforces limits', () => {
  const bad = ['*1\r\n:1\r\n', '*a\r\n', '*1\r\n$x\r\n', '*1\r\n$3\r\nabcd\r\n', '*101\r\n', '*1\r\n$1025\r\n', '*1\n']
  for (const b of bad) assert.throws(() => scanRequest(Buffer.from(b), 0, limits, new RequestFrame()), ProtocolError, b)
})

void test('request scanner reads counts and lengths alike on its fast and general paths', () => {
  const f = new RequestFrame()
  const scan = (text: string): number => scanRequest(Buffer.from(text, 'latin1'), 0, limits, f)
  // Leading zeros, and the longest count the general path accepts (15 digits).
  assert.equal(scan('*02\r\n$03\r\nGET\r\n$1\r\nk\r\n'), 22)
  assert.deepEqual([f.argc, f.argString(0), f.argString(1)], [2, 'GET', 'k'])
  assert.equal(scan('*000000000000001\r\n$4\r\nPING\r\n'), 28)
  assert.equal(f.argc, 1)
  assert.throws(() => scan('*0000000000000001\r\n$4\r\nPING\r\n'), /invalid multibulk length/)
  // A negative or zero count is an empty frame; a negative bulk length is an error.
  assert.equal(scan('*-1\r\n'), 5)
  assert.equal(f.argc, 0)
  assert.equal(scan('*0\r\n'), 4)
  assert.equal(f.argc, 0)
  assert.throws(() => scan('*1\r\n$-1\r\n'), /invalid bulk length/)
  // A line cut before its LF waits for more; an LF without CR is an error.
  for (const cut of ['*1', '*1\r', '*1\r\n$3', '*1\r\n$3\r']) assert.equal(scan(cut), -1, cut)
  assert.throws(() => scan('*1\n$3\r\nabc\r\n'), /invalid multibulk length/)
  assert.throws(() => scan('*1\r\n$3\nabc\r\n'), /invalid bulk length/)
  assert.throws(() => scan('*1\rX$3\r\nabc\r\n'), /invalid multibulk length/, 'a CR not followed by LF')
  assert.throws(() => scan('*1\r\n$3\rXabc\r\n'), /invalid bulk length/, 'a CR not followed by LF')
  // The same frame object, a long frame then a short one: only the new arguments count.
  assert.equal(scan('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'), 27)
  assert.equal(scan('*1\r\n$4\r\nPING\r\n'), 14)
  assert.deepEqual([f.argc, f.argLower(0)], [1, 'ping'])
})

void test('command names are lower-cased whatever their length, case or bytes', () => {
  const f = new RequestFrame()
  const name = (n: string): string => {
    const b = Buffer.from(n, 'latin1')
    scanRequest(Buffer.concat([Buffer.from(`*1\r\n$${b.length}\r\n`), b, Buffer.from('\r\n')]), 0, limits, f)
    return f.argLower(0)
  }
  assert.equal(name('GeT'), 'get')
  assert.equal(name('get'), 'get')
  assert.equal(name('CLIENT'), 'client')
  assert.equal(name('SUBSCRIBE'), 'subscribe')
  assert.equal(name('\u00c9CHO'), '\u00e9cho', 'Latin-1 letters fold as toLowerCase folds them')
  assert.equal(name('a1-_Z'), 'a1-_z')
  // Names that differ only by their length (a leading NUL) are different names.
  assert.equal(name('a'), 'a')
  assert.equal(name('\u0000a'), '\u0000a')
  assert.equal(name('a'), 'a')
  // Only A-Z fold: an upper-case name never answers for a different lower-case one.
  assert.equal(name('GET'), 'get')
  assert.equal(name('hfu'), 'hfu')
  assert.equal(name('[\\]'), '[\\]')
  assert.equal(name('{|}'), '{|}')
  // More distinct short names than the cache keeps: every answer stays right.
  for (let i = 0; i < 1500; i++) {
    const n = `X${i.toString(36).toUpperCase()}`
    assert.equal(name(n), n.toLowerCase())
  }
  assert.equal(name('SET'), 'set')
})

void test('inline commands are re-encoded as arrays', () => {
  const f = new RequestFrame()
  assert.equal(scanRequest(Buffer.from('set k "a b"\r\n'), 0, limits, f), 13)
  assert.equal(f.argc, 3)
  assert.equal(f.argString(2), 'a b')
  assert.equal(f.bytes().toString(), '*3\r\n$3\r\nset\r\n$1\r\nk\r\n$3\r\na b\r\n')
})

function replies (chunks: Buffer[]): Array<{ text: string, type: string, err: string | undefined }> {
  const out: Array<{ text: string, type: string, err: string | undefined }> = []
  let cur = ''
  const s = new ReplyScanner({
    replySegment: (buf, final, type, err) => {
      cur += buf.toString('latin1')
      if (final) { out.push({ text: cur, type: String.fromCharCode(type), err }); cur = '' }
    }
  })
  for (const c of chunks) s.feed(c)
  return out
}

const RESP3 = [
  '+OK\r\n', '-ERR bad\r\n', ':42\r\n', '$5\r\nhello\r\n', '$-1\r\n', '*-1\r\n', '*0\r\n', '_\r\n', ',3.14\r\n', '#t\r\n', '(123\r\n',
  '*2\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n', '%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n:2\r\n', '~2\r\n+x\r\n+y\r\n', '=8\r\ntxt:abcd\r\n',
  '|1\r\n+ttl\r\n:3\r\n$2\r\nok\r\n', '>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n', '!5\r\nERR x\r\n', '*1\r\n|1\r\n+a\r\n+b\r\n:7\r\n',
  // Lines longer than the scanner's short-line loop looks ahead (32 bytes).
  `-WRONGTYPE ${'Operation against a key holding the wrong kind of value '.repeat(3)}\r\n`, `+${'s'.repeat(40)}\r\n`, `*1\r\n+${'t'.repeat(31)}\r\n`, `+${'u'.repeat(30)}\r\n`
]

void test('reply scanner finds every RESP2/RESP3 reply boundary, whatever the chunking', () => {
  const all = Buffer.from(RESP3.join(''))
  for (const size of [1, 2, 3, 7, 16, all.length]) {
    const chunks: Buffer[] = []
    for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size))
    const got = replies(chunks)
    assert.deepEqual(got.map((r) => r.text), RESP3, `chunk size ${size}`)
    assert.equal(got[1]?.err, 'ERR bad')
    assert.equal(got[1]?.type, '-')
    assert.equal(got[16]?.type, '>')
  }
})

void test('reply scanner streams large bulk replies without holding them', () => {
  const big = Buffer.alloc(100000, 120)
  const msg = Buffer.concat([Buffer.from(`$${big.length}\r\n`), big, Buffer.from('\r\n+OK\r\n')])
  let segments = 0
  let finals = 0
  const s = new ReplyScanner({ replySegment: (_b, final) => { segments++; if (final) finals++ } })
  for (let i = 0; i < msg.length; i += 4096) s.feed(msg.subarray(i, i + 4096))
  assert.equal(finals, 2)
  assert.ok(segments > 20)
})
