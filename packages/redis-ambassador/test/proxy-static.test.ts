// The ambassador in static mode against a real primary and two real replicas: real clients
// (ioredis, node-redis RESP2/RESP3, redis-cli, redis-benchmark), routing proven by the
// servers' own INFO commandstats, connection state, transactions, pub/sub, faults.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import net from 'node:net'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createClient, RESP_TYPES } from 'redis'
import { RedisTopology, commandCalls, freePort, sleep, waitFor } from './helpers/redis-servers.js'
import { start } from './helpers/ambassador.js'
import type { Ambassador } from '../src/index.js'

const run = promisify(execFile)

/** Sends raw bytes on a new connection and collects what comes back until `until` matches or the socket closes. */
async function raw (port: number, bytes: string | Buffer, until: (s: string) => boolean, timeoutMs = 3000): Promise<{ text: string, closed: boolean }> {
  return await new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    let text = ''
    let closed = false
    const t = setTimeout(() => { s.destroy(); resolve({ text, closed }) }, timeoutMs)
    s.on('connect', () => { s.write(bytes) })
    s.on('data', (d) => {
      text += d.toString('latin1')
      if (until(text)) { clearTimeout(t); s.destroy(); resolve({ text, closed }) }
    })
    s.on('close', () => { closed = true; clearTimeout(t); resolve({ text, closed }) })
    s.on('error', () => undefined)
  })
}

void describe('static topology: primary + 2 replicas', () => {
  const topo = new RedisTopology()
  let amb: Ambassador
  let port: number

  before(async () => {
    await topo.startPrimaryAndReplicas(2)
    amb = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr) })
    port = amb.server.port
    await waitFor('replicas readable', () => amb.server.topology.readable.length === 2)
  })

  after(async () => {
    await amb?.stop()
    await topo.close()
  })

  void test('ioredis passes its ready check and reads its own writes through the ambassador', async () => {
    const c = new Redis({ port, host: '127.0.0.1', enableReadyCheck: true })
    try {
      await c.set('io:k', 'v1')
      await topo.waitReplicasSynced()
      await waitFor('replicated', async () => (await c.get('io:k')) === 'v1')
      assert.equal(await c.ping(), 'PONG')
      assert.equal(await c.echo('hi'), 'hi')
      const info = await c.info('server')
      assert.match(info, /redis_version:/)
      assert.ok(Number(await c.call('COMMAND', 'COUNT')) > 100)
    } finally { c.disconnect() }
  })

  void test('reads go to the replicas and writes to the primary, by the servers\' own commandstats', async () => {
    const c = new Redis({ port, host: '127.0.0.1' })
    try {
      await c.set('split:k', 'x')
      await topo.waitReplicasSynced()
      const before = await Promise.all([...topo.replicas, topo.primary].map(async (p) => await commandCalls(p, 'get')))
      const setBefore = await commandCalls(topo.primary, 'set')
      for (let i = 0; i < 200; i++) await c.get('split:k')
      for (let i = 0; i < 20; i++) await c.set(`split:${i}`, 'y')
      const after = await Promise.all([...topo.replicas, topo.primary].map(async (p) => await commandCalls(p, 'get')))
      const gets = after.map((a, i) => a - (before[i] as number))
      assert.equal((gets[0] as number) + (gets[1] as number), 200, `replica GETs: ${gets.join(',')}`)
      assert.ok((gets[0] as number) > 50 && (gets[1] as number) > 50, `round-robin spreads reads: ${gets.join(',')}`)
      assert.equal(gets[2], 0, 'no GET reached the primary')
      const primarySets = await commandCalls(topo.primary, 'set') - setBefore
      assert.equal(primarySets, 20)
      await topo.waitReplicasSynced()
      // Replicas execute the replication stream too: they saw exactly the primary's SETs, no more.
      const primaryTotal = await commandCalls(topo.primary, 'set')
      await waitFor('replicas applied every SET', async () => {
        for (const r of topo.replicas) if (await commandCalls(r, 'set') !== primaryTotal) return false
        return true
      }, 5000)
    } finally { c.disconnect() }
  })

  void test('EVAL goes to the primary; EVALSHA_RO falls back to the primary on NOSCRIPT from a replica', async () => {
    const c = new Redis({ port, host: '127.0.0.1' })
    try {
      const evalBefore = await commandCalls(topo.primary, 'eval')
      assert.equal(await c.eval('return redis.call("SET", KEYS[1], ARGV[1])', 1, 'ev:k', 'v'), 'OK')
      assert.equal(await commandCalls(topo.primary, 'eval') - evalBefore, 1)
      const admin = topo.primary.client()
      const sha = await admin.script('LOAD', 'return redis.call("GET", KEYS[1])') as string
      admin.disconnect()
      await topo.waitReplicasSynced()
      // SCRIPT LOAD is not replicated: replicas answer NOSCRIPT and the ambassador retries on the primary.
      assert.equal(await c.call('EVALSHA_RO', sha, '1', 'ev:k'), 'v')
      assert.equal(await c.call('EVAL_RO', 'return redis.call("GET", KEYS[1])', '1', 'ev:k'), 'v')
    } finally { c.disconnect() }
  })

  void test('node-redis works in RESP2 and RESP3 (HELLO 3, CLIENT SETINFO answered on Redis 7.0)', async () => {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ socket: { port, host: '127.0.0.1' }, RESP })
      await c.connect()
      try {
        await c.set(`nr:${RESP}`, 'v')
        await topo.waitReplicasSynced()
        assert.equal(await c.get(`nr:${RESP}`), 'v')
        await c.hSet(`nr:h${RESP}`, { a: '1', b: '2' })
        await topo.waitReplicasSynced()
        const h = await c.hGetAll(`nr:h${RESP}`)
        assert.deepEqual({ ...h }, { a: '1', b: '2' })
        assert.equal(await c.ping(), 'PONG')
        const multi = await c.multi().set(`nr:m${RESP}`, '1').incr(`nr:m${RESP}`).exec()
        assert.deepEqual(multi, ['OK', 2])
        if (RESP === 3) {
          const typed = c.withTypeMapping({ [RESP_TYPES.MAP]: Map })
          const m = await typed.hGetAll(`nr:h${RESP}`)
          assert.ok(m instanceof Map)
        }
      } finally { await c.quit() }
    }
  })

  void test('redis-cli works through the ambassador, including a unix socket listener', async () => {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'SET', 'cli:k', 'hello'])
    assert.equal(stdout.trim(), 'OK')
    await topo.waitReplicasSynced()
    assert.equal((await run('redis-cli', ['-p', String(port), 'GET', 'cli:k'])).stdout.trim(), 'hello')
    const sock = join(topo.dir, 'amb.sock')
    const a2 = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), listen: `unix:${sock}`, httpBind: '' })
    try {
      assert.equal((await run('redis-cli', ['-s', sock, 'GET', 'cli:k'])).stdout.trim(), 'hello')
      assert.equal((await run('redis-cli', ['-s', sock, 'INCR', 'cli:n'])).stdout.trim(), '1')
    } finally { await a2.stop() }
  })

  void test('redis-benchmark runs set/get with pipelining through the ambassador without errors', async () => {
    const { stdout } = await run('redis-benchmark', ['-p', String(port), '-t', 'set,get', '-c', '20', '-n', '5000', '-r', '1000', '-P', '8', '-q'], { timeout: 60000 })
    assert.match(stdout, /SET: [\d.]+ requests per second/)
    assert.match(stdout, /GET: [\d.]+ requests per second/)
  })

  void test('pipelined replies come back in order across primary and replicas', async () => {
    const c = new Redis({ port, host: '127.0.0.1' })
    try {
      const p = c.pipeline()
      for (let i = 0; i < 500; i++) {
        p.set(`pipe:${i}`, String(i))
        p.get(`pipe:${i % 7}`)
        p.echo(`e${i}`)
      }
      const res = await p.exec()
      assert.ok(res !== null)
      for (let i = 0; i < 500; i++) {
        assert.deepEqual(res[i * 3], [null, 'OK'])
        assert.equal(res[i * 3 + 2]?.[1], `e${i}`)
      }
    } finally { c.disconnect() }
  })

  void test('SELECT and CLIENT SETNAME follow the client; DB index is checked', async () => {
    const c = new Redis({ port, host: '127.0.0.1', db: 3, connectionName: 'app-1' })
    const d = new Redis({ port, host: '127.0.0.1' })
    try {
      await c.set('sel:k', 'db3')
      assert.equal(await d.get('sel:k'), null)
      const direct = topo.primary.client()
      await direct.select(3)
      assert.equal(await direct.get('sel:k'), 'db3')
      direct.disconnect()
      await topo.waitReplicasSynced()
      assert.equal(await c.get('sel:k'), 'db3')
      assert.equal(await c.client('GETNAME'), 'app-1')
      await assert.rejects(d.select(99), /DB index is out of range/)
    } finally { c.disconnect(); d.disconnect() }
  })

  void test('MULTI/EXEC and WATCH run on one primary connection; a conflicting write aborts EXEC', async () => {
    const c = new Redis({ port, host: '127.0.0.1' })
    const other = new Redis({ port, host: '127.0.0.1' })
    try {
      await c.set('tx:k', '1')
      await c.watch('tx:k')
      const v = await c.get('tx:k')
      await other.set('tx:k', '5')
      const r = await c.multi().set('tx:k', String(Number(v) + 1)).exec()
      assert.equal(r, null, 'EXEC aborted by the WATCH')
      await c.watch('tx:k')
      const r2 = await c.multi().incr('tx:k').get('tx:k').exec()
      assert.deepEqual(r2, [[null, 6], [null, '6']])
    } finally { c.disconnect(); other.disconnect() }
  })

  void test('blocking commands get their own connection and do not stall other clients', async () => {
    const a = new Redis({ port, host: '127.0.0.1' })
    const b = new Redis({ port, host: '127.0.0.1' })
    try {
      const blocked = a.blpop('blk:list', 5)
      await sleep(100)
      const t0 = Date.now()
      assert.equal(await b.set('blk:other', '1'), 'OK')
      assert.ok(Date.now() - t0 < 1000)
      await b.rpush('blk:list', 'x')
      assert.deepEqual(await blocked, ['blk:list', 'x'])
      assert.equal(await a.get('blk:other'), '1')
    } finally { a.disconnect(); b.disconnect() }
  })

  void test('pub/sub through the ambassador, RESP2 (ioredis) and RESP3 (node-redis)', async () => {
    const sub = new Redis({ port, host: '127.0.0.1' })
    const pub = new Redis({ port, host: '127.0.0.1' })
    const nr = createClient({ socket: { port, host: '127.0.0.1' }, RESP: 3 })
    await nr.connect()
    try {
      const got: string[] = []
      sub.on('message', (ch: string, msg: string) => { got.push(`${ch}:${msg}`) })
      await sub.subscribe('ps:a')
      const nrGot: string[] = []
      await nr.subscribe('ps:a', (m) => { nrGot.push(m) })
      await pub.publish('ps:a', 'hello')
      await waitFor('messages', () => got.length === 1 && nrGot.length === 1)
      assert.deepEqual(got, ['ps:a:hello'])
      assert.deepEqual(nrGot, ['hello'])
    } finally { sub.disconnect(); pub.disconnect(); await nr.quit().catch(() => undefined) }
  })

  void test('SCAN iterations stay on one server', async () => {
    const c = new Redis({ port, host: '127.0.0.1' })
    try {
      for (let i = 0; i < 300; i++) await c.set(`scan:${i}`, '1')
      await topo.waitReplicasSynced()
      const before = await Promise.all([...topo.replicas, topo.primary].map(async (p) => await commandCalls(p, 'scan')))
      const keys = new Set<string>()
      let cursor = '0'
      let calls = 0
      do {
        const [next, batch] = await c.scan(cursor, 'MATCH', 'scan:*', 'COUNT', 50)
        for (const k of batch) keys.add(k)
        cursor = next
        calls++
      } while (cursor !== '0')
      assert.equal(keys.size, 300)
      const after = await Promise.all([...topo.replicas, topo.primary].map(async (p) => await commandCalls(p, 'scan')))
      const per = after.map((a, i) => a - (before[i] as number))
      assert.equal(per.filter((n) => n > 0).length, 1, `one server saw every SCAN call: ${per.join(',')}`)
      assert.equal(Math.max(...per), calls)
    } finally { c.disconnect() }
  })

  void test('read-your-writes keeps a client\'s reads on the primary for the window after it writes', async () => {
    const a2 = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), readYourWrites: 60000, httpBind: '' })
    const c = new Redis({ port: a2.server.port, host: '127.0.0.1' })
    const reader = new Redis({ port: a2.server.port, host: '127.0.0.1' })
    try {
      await waitFor('replicas readable', () => a2.server.topology.readable.length === 2)
      const before = await commandCalls(topo.primary, 'get')
      await c.set('ryw:k', 'v')
      for (let i = 0; i < 20; i++) assert.equal(await c.get('ryw:k'), 'v')
      assert.equal(await commandCalls(topo.primary, 'get') - before, 20)
      await topo.waitReplicasSynced()
      const rBefore = await commandCalls(topo.primary, 'get')
      for (let i = 0; i < 10; i++) await reader.get('ryw:k')
      assert.equal(await commandCalls(topo.primary, 'get') - rBefore, 0, 'a client that did not write still reads from replicas')
    } finally { c.disconnect(); reader.disconnect(); await a2.stop() }
  })

  void test('denied admin commands get a clear error; others reach the primary', async () => {
    const c = new Redis({ port, host: '127.0.0.1' })
    try {
      await assert.rejects(c.call('SHUTDOWN', 'NOSAVE'), /denied by redis-ambassador/)
      await assert.rejects(c.call('DEBUG', 'SLEEP', '0'), /denied by redis-ambassador/)
      assert.equal(await c.call('CONFIG', 'GET', 'maxmemory-policy').then((r) => (r as string[])[0]), 'maxmemory-policy')
    } finally { c.disconnect() }
  })

  void test('AUTH passes through to Redis ACLs: a wrong password fails, a right one switches user', async () => {
    const admin = topo.primary.client()
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>secret', '~app:*', '+@all')
    for (const r of topo.replicas) {
      const rc = r.client()
      await rc.call('ACL', 'SETUSER', 'app', 'on', '>secret', '~app:*', '+@all')
      rc.disconnect()
    }
    admin.disconnect()
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true })
    try {
      await c.connect()
      await assert.rejects(c.call('AUTH', 'app', 'wrong'), /WRONGPASS/)
      assert.equal(await c.call('AUTH', 'app', 'secret'), 'OK')
      assert.equal(await c.set('app:k', '1'), 'OK')
      await assert.rejects(c.set('other:k', '1'), /NOPERM/)
    } finally { c.disconnect() }
  })

  void test('an upstream ACL user (--upstream-username/--upstream-password) that may not run COMMAND: the built-in command table routes instead', async () => {
    for (const srv of [topo.primary, ...topo.replicas]) {
      const a = srv.client()
      try {
        await a.call('ACL', 'SETUSER', 'amb', 'on', '>amb-secret', '~*', '&*', '+@all', '-command')
      } finally { a.disconnect() }
    }
    const a2 = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), upstreamUsername: 'amb', upstreamPassword: 'amb-secret', httpBind: '' })
    const c = new Redis({ port: a2.server.port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    try {
      await waitFor('replicas readable', () => a2.server.topology.readable.length === 2)
      // Inspection (INFO, CONFIG, COMMAND) done: the field the topology sets when it finishes.
      await waitFor('the primary inspected', () => (a2.server.topology as unknown as { inspectedFor?: unknown }).inspectedFor !== undefined)
      assert.equal(a2.server.topology.commandReply, undefined, 'COMMAND was refused to the upstream user')
      assert.equal(a2.server.commands.source, 'builtin', 'so the built-in table is used')
      assert.equal(amb.server.commands.source, 'server', 'an upstream user that may run COMMAND gets the server\'s table')
      const before = { primarySet: await commandCalls(topo.primary, 'set'), primaryGet: await commandCalls(topo.primary, 'get') }
      const replicaGets = async (): Promise<number> => (await Promise.all(topo.replicas.map(async (r) => await commandCalls(r, 'get')))).reduce((x, y) => x + y, 0)
      const replicaBefore = await replicaGets()
      assert.equal(await c.set('acl:k', 'v'), 'OK')
      await topo.waitReplicasSynced()
      for (let i = 0; i < 10; i++) assert.equal(await c.get('acl:k'), 'v')
      assert.equal(await commandCalls(topo.primary, 'set') - before.primarySet, 1, 'the write went to the primary')
      assert.equal(await commandCalls(topo.primary, 'get') - before.primaryGet, 0, 'no read went to the primary')
      assert.equal(await replicaGets() - replicaBefore, 10, 'the reads went to the replicas')
      // The upstream user's own limits apply: COMMAND through the ambassador is refused by Redis.
      await assert.rejects(c.call('COMMAND', 'COUNT'), /NOPERM/)
    } finally {
      c.disconnect()
      await a2.stop()
    }
  })

  void test('the ambassador\'s own password (REDIS_AMBASSADOR_PASSWORD): nothing before AUTH, a wrong one is refused, ioredis and node-redis (HELLO 3 AUTH) get in', async () => {
    const a2 = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), password: 'amb-pw', httpBind: '' })
    const p2 = a2.server.port
    try {
      const noAuth = await raw(p2, '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', (t) => t.includes('\r\n'))
      assert.match(noAuth.text, /^-NOAUTH Authentication required/)
      const wrong = await raw(p2, '*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n*1\r\n$4\r\nPING\r\n', (t) => t.split('\r\n').length >= 3)
      assert.match(wrong.text, /^-WRONGPASS [^\r]*\r\n-NOAUTH/, 'a wrong password is refused, and the client is still not in')
      const right = await raw(p2, '*2\r\n$4\r\nAUTH\r\n$6\r\namb-pw\r\n*1\r\n$4\r\nPING\r\n', (t) => t.includes('PONG'))
      assert.equal(right.text, '+OK\r\n+PONG\r\n')
      const io = new Redis({ port: p2, host: '127.0.0.1', password: 'amb-pw' })
      try {
        assert.equal(await io.set('own-pw:k', 'v'), 'OK')
        await topo.waitReplicasSynced()
        assert.equal(await io.get('own-pw:k'), 'v')
      } finally { io.disconnect() }
      const nr = createClient({ url: `redis://default:amb-pw@127.0.0.1:${p2}`, RESP: 3 })
      try {
        await nr.connect()
        assert.equal(await nr.get('own-pw:k'), 'v')
      } finally { await nr.quit().catch(() => undefined) }
      const bad = new Redis({ port: p2, host: '127.0.0.1', password: 'nope', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      const errors: string[] = []
      bad.on('error', (err: Error) => { errors.push(err.message) })
      try {
        await assert.rejects(bad.connect())
        assert.ok(errors.some((m) => /WRONGPASS/.test(m)), `ioredis reports WRONGPASS: ${errors.join('; ')}`)
      } finally { bad.disconnect() }
    } finally { await a2.stop() }
  })

  void test('malformed RESP gets a protocol error and a close; other clients keep working', async () => {
    const c = new Redis({ port, host: '127.0.0.1' })
    try {
      await c.set('bad:k', 'ok')
      const cases = ['*1\r\n:5\r\n', '*x\r\n', '*2\r\n$3\r\nGET\r\n$-5\r\n', '*1\r\n$3\r\nGETXX\r\n', `*1\r\n$${2 ** 40}\r\n`]
      for (const bytes of cases) {
        const r = await raw(port, bytes, () => false, 1500)
        assert.match(r.text, /^-ERR Protocol error/, JSON.stringify(bytes))
        assert.ok(r.closed, `closed after ${JSON.stringify(bytes)}`)
      }
      assert.equal(await c.get('bad:k'), 'ok')
    } finally { c.disconnect() }
  })

  void test('array and bulk limits are enforced per client', async () => {
    const a2 = await start({ primary: topo.primary.addr, replicas: [], maxArrayLen: 10, maxBulkBytes: 100, httpBind: '' })
    try {
      const big = await raw(a2.server.port, '*11\r\n', () => false, 1500)
      assert.match(big.text, /invalid multibulk length/)
      const bulk = await raw(a2.server.port, '*2\r\n$3\r\nGET\r\n$101\r\n', () => false, 1500)
      assert.match(bulk.text, /invalid bulk length/)
      const ok = await raw(a2.server.port, '*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n', (s) => s.includes('abc\r\n'))
      assert.equal(ok.text, '$3\r\nabc\r\n')
    } finally { await a2.stop() }
  })

  void test('a client that pipelines without reading is held at --max-client-pipeline / --max-client-buffer: the ambassador stops forwarding its requests, and every reply arrives once it reads', async () => {
    const VALUE = 16 * 1024
    const N = 10000
    const value = 'v'.repeat(VALUE)
    const setup = topo.primary.client()
    try {
      await setup.set('bp:big', value)
    } finally { setup.disconnect() }
    await topo.waitReplicasSynced()
    const a2 = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), maxClientBuffer: 1024 * 1024, maxClientPipeline: 500, httpBind: '' })
    const gets = async (): Promise<number> => {
      let n = 0
      for (const s of [topo.primary, ...topo.replicas]) n += await commandCalls(s, 'get')
      return n
    }
    const sock = net.connect({ port: a2.server.port, host: '127.0.0.1' })
    try {
      await waitFor('replicas readable', () => a2.server.topology.readable.length === 2)
      await new Promise<void>((resolve) => { sock.once('connect', () => { resolve() }) })
      sock.pause() // read nothing: replies pile up in the kernel, then in the ambassador
      const before = await gets()
      sock.write('*2\r\n$3\r\nGET\r\n$6\r\nbp:big\r\n'.repeat(N))
      await sleep(2000)
      const forwarded = await gets() - before
      // 500 in flight; their replies (8 MiB) fill the kernel's socket buffers and then the 1 MiB
      // allowed, so nothing more is forwarded. Without the limits all 10,000 requests would be, and
      // 160 MiB of replies held in the ambassador.
      assert.ok(forwarded <= 1000, `forwarded ${forwarded} of ${N} requests while the client read nothing`)
      const heldBytes = a2.server.sessions.size === 1 ? [...a2.server.sessions][0]?.socket.writableLength ?? 0 : -1
      assert.ok(heldBytes >= 0 && heldBytes < 16 * 1024 * 1024, `replies held for the client: ${heldBytes} bytes`)
      const reply = `$${VALUE}\r\n${value}\r\n`
      let received = 0
      let bad = false
      let carry = ''
      const done = new Promise<void>((resolve) => {
        sock.on('data', (d: Buffer) => {
          carry += d.toString('latin1')
          while (carry.length >= reply.length) {
            if (!carry.startsWith(reply)) bad = true
            carry = carry.slice(reply.length)
            received++
          }
          if (received >= N || bad) resolve()
        })
      })
      sock.resume()
      await done
      assert.equal(bad, false, 'every reply complete and in order')
      assert.equal(received, N)
      assert.equal(await gets() - before, N, 'all requests forwarded once the client read')
    } finally {
      sock.destroy()
      await a2.stop()
    }
  })

  void test('inline commands (telnet style) are understood', async () => {
    const r = await raw(port, 'PING\r\nECHO "a b"\r\n', (s) => s.includes('a b\r\n'))
    assert.equal(r.text, '+PONG\r\n$3\r\na b\r\n')
  })

  void test('/healthz, /readyz and /metrics report state, routes, latency and lag', async () => {
    const base = `http://127.0.0.1:${amb.server.httpPort}`
    assert.equal((await fetch(`${base}/healthz`)).status, 200)
    assert.equal((await fetch(`${base}/readyz`)).status, 200)
    const m = await (await fetch(`${base}/metrics`)).text()
    assert.match(m, /redis_ambassador_commands_total\{route="replica",node="127\.0\.0\.1:\d+"\} [1-9]/)
    assert.match(m, /redis_ambassador_commands_total\{route="primary",node="127\.0\.0\.1:\d+"\} [1-9]/)
    assert.match(m, /redis_ambassador_command_duration_seconds_count [1-9]/)
    assert.match(m, /redis_ambassador_upstream_healthy\{node="[^"]+",role="replica"\} 1/)
    assert.match(m, /redis_ambassador_replica_lag_bytes\{node="[^"]+"\} \d+/)
    assert.match(m, /redis_ambassador_errors_total\{kind="protocol"\} [1-9]/)
  })

  void test('a server that joins the topology is unhealthy, and unread, until a health check passes', async () => {
    const t = amb.server.topology
    const primary = { host: '127.0.0.1', port: topo.primary.port }
    const keep = topo.replicas.map((r) => ({ host: '127.0.0.1', port: r.port }))
    const ghost = { host: '127.0.0.1', port: await freePort() } // nothing listens there
    const id = `127.0.0.1:${ghost.port}`
    const base = `http://127.0.0.1:${amb.server.httpPort}`
    try {
      t.apply(primary, [...keep, ghost]) // as a Sentinel refresh naming a new replica does
      assert.equal(t.snapshot().find((n) => n.id === id)?.healthy, false)
      assert.ok((await (await fetch(`${base}/metrics`)).text()).includes(`redis_ambassador_upstream_healthy{node="${id}",role="replica"} 0`))
      await t.checkAll()
      assert.equal(t.snapshot().find((n) => n.id === id)?.healthy, false)
      assert.equal(t.readable.some((r) => r.id === id), false)
      assert.equal(t.readable.length, 2, 'the proven replicas still serve reads')
    } finally {
      t.apply(primary, keep)
      await t.checkAll()
    }
    assert.equal(t.readable.length, 2)
  })
})
