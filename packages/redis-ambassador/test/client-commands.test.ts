// Commands whose meaning is tied to one connection, on an ambassador whose upstream connections
// are shared: WAIT counts the client's own writes; CLIENT LIST/INFO/KILL answer from the
// ambassador's view of its clients; NO-EVICT is kept per client; REPLY, NO-TOUCH and UNBLOCK are
// refused with a clear error.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { Redis } from 'ioredis'
import { RedisTopology, waitFor } from './helpers/redis-servers.js'
import { start } from './helpers/ambassador.js'
import type { Ambassador } from '../src/index.js'

void describe('connection-scoped commands through shared upstream connections', () => {
  const topo = new RedisTopology()
  let amb: Ambassador
  let port: number
  const open: Redis[] = []
  const client = (): Redis => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    c.on('error', () => undefined)
    open.push(c)
    return c
  }

  before(async () => {
    await topo.startPrimaryAndReplicas(2)
    amb = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr) })
    port = amb.server.port
    await waitFor('replicas readable', () => amb.server.topology.readable.length === 2)
  })

  after(async () => {
    for (const c of open) c.disconnect()
    await amb?.stop()
    await topo.close()
  })

  void test('WAIT waits for the replicas to acknowledge this client\'s own writes (0 while they are stopped, 2 once they run)', async () => {
    const c = client()
    const replicas = topo.replicas
    try {
      for (const r of replicas) r.kill('SIGSTOP')
      assert.equal(await c.set('wait:k', '1'), 'OK')
      // A fresh connection's WAIT would count replicas at offset 0 and answer 2 at once.
      assert.equal(await c.call('WAIT', '1', '300'), 0, 'no replica acknowledged the write while stopped')
    } finally {
      for (const r of replicas) r.kill('SIGCONT')
    }
    assert.equal(await c.call('WAIT', '2', '5000'), 2, 'both replicas acknowledged once running')
    assert.equal(await c.set('wait:k', '2'), 'OK')
    assert.equal(await c.call('WAIT', '2', '5000'), 2)
  })

  void test('WAIT by a user who may not PUBLISH gets a clear NOPERM error and the client keeps working', async () => {
    const admin = topo.primary.client()
    try {
      await admin.call('ACL', 'SETUSER', 'nopub', 'on', '>pw', '~*', '+@all', '-publish')
    } finally { admin.disconnect() }
    await topo.waitReplicasSynced()
    const c = client()
    assert.equal(await c.call('AUTH', 'nopub', 'pw'), 'OK')
    assert.equal(await c.set('wait:np', '1'), 'OK')
    await assert.rejects(c.call('WAIT', '0', '100'), /NOPERM/)
    assert.equal(await c.call('PING'), 'PONG')
    assert.equal(await c.set('wait:np', '2'), 'OK')
  })

  void test('CLIENT LIST and CLIENT INFO describe the ambassador\'s own clients, not the shared upstream connections', async () => {
    const a = client()
    const b = client()
    await a.client('SETNAME', 'app-a')
    await b.client('SETNAME', 'app-b')
    await b.select(3)
    const idA = Number(await a.client('ID'))
    const idB = Number(await b.client('ID'))
    const list = await a.client('LIST') as string
    const lines = list.trim().split('\n')
    assert.equal(lines.length, amb.server.sessions.size, 'one line per ambassador client')
    const lineB = lines.find((l) => l.startsWith(`id=${idB} `))
    assert.ok(lineB !== undefined, list)
    assert.match(lineB, / name=app-b /)
    assert.match(lineB, / db=3 /)
    assert.match(lineB, / flags=N /)
    const info = await a.client('INFO')
    assert.match(info, new RegExp(`^id=${idA} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${port} `))
    assert.match(info, / name=app-a .* user=default .* resp=2/)
    const only = await a.client('LIST', 'ID', String(idB)) as string
    assert.equal(only.trim().split('\n').length, 1)
    assert.match(only, / name=app-b /)
    await assert.rejects(a.call('CLIENT', 'LIST', 'TYPE', 'bogus'), /Unknown client type/)
    const sub = client()
    await sub.subscribe('cl:chan')
    const pubsub = await a.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as string
    assert.equal(pubsub.trim().split('\n').length, 1)
    assert.match(pubsub, / flags=P .* sub=1 /)
  })

  void test('CLIENT KILL closes the ambassador\'s client by ID or address (old and new forms), and SKIPME no closes the caller after its reply', async () => {
    const killer = client()
    const victim = await new Promise<net.Socket>((resolve) => { const s = net.connect({ port, host: '127.0.0.1' }, () => { resolve(s) }) })
    victim.on('error', () => undefined)
    victim.resume() // read to the end, so 'close' comes
    const closed = new Promise<void>((resolve) => victim.once('close', () => { resolve() }))
    victim.write('*1\r\n$4\r\nPING\r\n')
    const addr = `127.0.0.1:${victim.localPort ?? 0}`
    await waitFor('victim listed', async () => (await killer.client('LIST') as string).includes(`addr=${addr} `))
    const list = await killer.client('LIST') as string
    const id = Number(/id=(\d+) addr=([\d.:]+)/.exec(list.split('\n').find((l) => l.includes(`addr=${addr} `)) ?? '')?.[1])
    assert.equal(await killer.client('KILL', 'ID', String(id)), 1)
    await closed
    assert.equal(await killer.client('KILL', 'ID', String(id)), 0, 'already gone')
    await assert.rejects(killer.client('KILL', '127.0.0.1:1'), /No such client/)

    // Old form by address.
    const v2 = await new Promise<net.Socket>((resolve) => { const s = net.connect({ port, host: '127.0.0.1' }, () => { resolve(s) }) })
    v2.on('error', () => undefined)
    v2.resume()
    const closed2 = new Promise<void>((resolve) => v2.once('close', () => { resolve() }))
    await waitFor('v2 listed', async () => (await killer.client('LIST') as string).includes(`addr=127.0.0.1:${v2.localPort ?? 0} `))
    assert.equal(await killer.client('KILL', `127.0.0.1:${v2.localPort ?? 0}`), 'OK')
    await closed2

    // Killing itself: the reply arrives, then the connection closes.
    const self = await new Promise<net.Socket>((resolve) => { const s = net.connect({ port, host: '127.0.0.1' }, () => { resolve(s) }) })
    let text = ''
    self.on('data', (d) => { text += d.toString() })
    const closed3 = new Promise<void>((resolve) => self.once('close', () => { resolve() }))
    self.write('*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n')
    await waitFor('id', () => text.includes('\r\n'))
    const selfId = /:(\d+)/.exec(text)?.[1] ?? ''
    self.write(`*6\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$2\r\nID\r\n$${selfId.length}\r\n${selfId}\r\n$6\r\nSKIPME\r\n$2\r\nno\r\n`)
    await closed3
    assert.equal(text, `:${selfId}\r\n:1\r\n`)
    assert.equal(await killer.ping(), 'PONG', 'the killer is unaffected')
    await assert.rejects(killer.client('KILL', 'ID', '0'), /greater than 0/)
    await assert.rejects(killer.call('CLIENT', 'KILL', 'ID', '1', 'SKIPME'), /syntax error/)
  })

  void test('CLIENT NO-EVICT is kept per client and not sent to the shared upstream connections', async () => {
    const c = client()
    assert.equal(await c.call('CLIENT', 'NO-EVICT', 'on'), 'OK')
    assert.match(await c.client('INFO'), / flags=e /)
    const direct = topo.primary.client()
    try {
      const upstream = await direct.client('LIST') as string
      assert.doesNotMatch(upstream, / flags=[a-zA-Z]*e/, 'no upstream connection got the no-evict flag')
    } finally { direct.disconnect() }
    assert.equal(await c.call('CLIENT', 'NO-EVICT', 'off'), 'OK')
    assert.match(await c.client('INFO'), / flags=N /)
  })

  void test('CLIENT REPLY, CLIENT NO-TOUCH and CLIENT UNBLOCK are refused with a clear error; the client keeps working', async () => {
    const c = client()
    await assert.rejects(c.call('CLIENT', 'REPLY', 'OFF'), /redis-ambassador: CLIENT REPLY is not supported/)
    await assert.rejects(c.call('CLIENT', 'NO-TOUCH', 'on'), /redis-ambassador: CLIENT NO-TOUCH is not supported/)
    await assert.rejects(c.call('CLIENT', 'UNBLOCK', '1'), /redis-ambassador: CLIENT UNBLOCK is not supported/)
    assert.equal(await c.set('cr:k', 'v'), 'OK')
  })

  /** A raw RESP connection to the ambassador: commands out, everything received kept as text. */
  const raw = async (): Promise<{ send: (...args: string[]) => void, until: (re: RegExp, what: string) => Promise<void>, text: () => string, close: () => void }> => {
    const sock = net.connect({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
    let text = ''
    sock.on('data', (d: Buffer) => { text += d.toString('latin1') })
    sock.on('error', () => undefined)
    return {
      send: (...args) => { sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`) },
      until: async (re, what) => { await waitFor(what, () => re.test(text)) },
      text: () => text,
      close: () => { sock.destroy() }
    }
  }

  void test('CLIENT TRACKING (RESP3) runs on the client\'s own primary connection: a write by another client invalidates its key, and CLIENT LIST shows it tracking', async () => {
    const a = await raw()
    try {
      a.send('HELLO', '3')
      await a.until(/^%/, 'HELLO 3 answered with a map')
      a.send('CLIENT', 'TRACKING', 'ON')
      await a.until(/\+OK\r\n$/, 'CLIENT TRACKING ON answered')
      a.send('GET', 'trk:k')
      await a.until(/\+OK\r\n_\r\n$/, 'GET of a missing key answered with a RESP3 null')
      const b = client()
      assert.match(await b.client('LIST') as string, / flags=t /, 'the tracking client is listed with flag t')
      assert.equal(await b.set('trk:k', 'changed'), 'OK')
      await a.until(/>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$5\r\ntrk:k\r\n/, 'the invalidation push for trk:k')
      a.send('GET', 'trk:k')
      await a.until(/\$7\r\nchanged\r\n$/, 'the new value, read on the same connection')
    } finally { a.close() }
  })

  void test('CLIENT TRACKING with REDIRECT is refused with a clear error (ids here are the ambassador\'s, not Redis\'s); the client keeps working', async () => {
    const a = await raw()
    try {
      a.send('CLIENT', 'ID')
      await a.until(/^:(\d+)\r\n$/, 'CLIENT ID answered')
      const id = /^:(\d+)/.exec(a.text())?.[1] ?? '1'
      a.send('CLIENT', 'TRACKING', 'on', 'redirect', id)
      a.send('PING')
      await a.until(/-ERR redis-ambassador: CLIENT TRACKING REDIRECT is not supported[^\r]*\r\n\+PONG\r\n$/, 'refused, then PING answered')
      const b = client()
      assert.doesNotMatch(await b.client('LIST') as string, / flags=t /, 'nobody is tracking')
    } finally { a.close() }
  })

  void test('MONITOR streams the commands the primary runs', async () => {
    const a = await raw()
    try {
      a.send('MONITOR')
      await a.until(/^\+OK\r\n/, 'MONITOR answered')
      assert.equal(await client().set('mon:k', 'seen-by-monitor'), 'OK')
      await a.until(/"set" "mon:k" "seen-by-monitor"/i, 'the SET in the MONITOR stream')
    } finally { a.close() }
  })

  void test('CLIENT TRACKING and MONITOR inside a transaction are refused with a clear error; the client keeps working', async () => {
    const a = await raw()
    try {
      a.send('MULTI')
      await a.until(/^\+OK\r\n$/, 'MULTI answered')
      a.send('CLIENT', 'TRACKING', 'ON')
      a.send('MONITOR')
      await a.until(/-ERR redis-ambassador: CLIENT inside a transaction or blocking call is not supported\r\n-ERR redis-ambassador: MONITOR inside a transaction or blocking call is not supported\r\n$/, 'both refused')
      a.send('DISCARD')
      a.send('PING')
      await a.until(/\+OK\r\n\+PONG\r\n$/, 'DISCARD and PING answered')
    } finally { a.close() }
  })
})

