// TLS and authentication towards real upstreams and sentinels, and Redis Cluster refusal: the
// ambassador works through TLS (CA, client certificate, server name), Sentinel auth separate
// from the Redis password, sentinels announcing hostnames; and a wrong password, an untrusted
// certificate or a cluster node give a clear reason (/readyz 503, logs, error replies), no crash.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { Redis, type RedisOptions } from 'ioredis'
import pino from 'pino'
import { RedisTopology, commandCalls, sleep, waitFor, type RedisProc } from './helpers/redis-servers.js'
import { baseConfig } from './helpers/ambassador.js'
import { makeCerts, tlsServerArgs, type TestCerts } from './helpers/tls-certs.js'
import { startAmbassador, type Ambassador, type AmbassadorConfig } from '../src/index.js'
import { GuardedConnector } from '../src/guarded-connector.js'

/** An ambassador whose log lines are kept, to check that the logs say why. */
async function startLogged (over: Partial<AmbassadorConfig>): Promise<{ amb: Ambassador, logs: string[] }> {
  const logs: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb() } })
  const logger = pino({ level: 'info' }, sink)
  const amb = await startAmbassador(baseConfig({ connectTimeout: 800, ...over }), { logger })
  return { amb, logs }
}

async function readyz (amb: Ambassador): Promise<{ status: number, body: string }> {
  const res = await fetch(`http://127.0.0.1:${amb.server.httpPort}/readyz`)
  return { status: res.status, body: await res.text() }
}

function client (amb: Ambassador): Redis {
  const c = new Redis({ port: amb.server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableReadyCheck: false })
  c.on('error', () => undefined)
  return c
}

/** Waits until /readyz is 503 with a body matching `re` (the health check has run and failed). */
async function expectUnready (amb: Ambassador, re: RegExp): Promise<string> {
  let last = ''
  await waitFor(`/readyz 503 matching ${String(re)}`, async () => {
    const r = await readyz(amb)
    last = r.body
    return r.status === 503 && re.test(r.body)
  }, 10000, 100)
  return last
}

void describe('upstream TLS (CA, client certificate, server name)', () => {
  const topo = new RedisTopology()
  let certs: TestCerts
  let tlsClient: RedisOptions

  before(async () => {
    certs = makeCerts(topo.dir)
    tlsClient = { tls: { ca: certs.pem.ca, cert: certs.pem.cert, key: certs.pem.key, servername: 'redis.test' } }
    topo.primary = await topo.launch('redis-server', (port) => [...tlsServerArgs(certs, port), '--bind', '127.0.0.1', '--save', '', '--dir', topo.dir, '--dbfilename', 'p.rdb'], tlsClient)
    topo.replicas.push(await topo.launch('redis-server', (port) => [...tlsServerArgs(certs, port), '--bind', '127.0.0.1', '--save', '', '--dir', topo.dir, '--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(topo.primary.port)], tlsClient))
    await topo.waitReplicasSynced()
  })

  after(async () => { await topo.close() })

  void test('with the CA, a client certificate and --tls-servername, writes reach the primary and reads the replica over TLS', async () => {
    const { amb } = await startLogged({
      primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr),
      upstreamTls: true, tlsCaFile: certs.ca, tlsCertFile: certs.cert, tlsKeyFile: certs.key, tlsServername: 'redis.test'
    })
    const c = client(amb)
    try {
      await waitFor('replica readable', () => amb.server.topology.readable.length === 1)
      assert.equal((await readyz(amb)).status, 200)
      assert.equal(await c.set('tls:k', 'over-tls'), 'OK')
      await topo.waitReplicasSynced()
      const replica = topo.replicas[0] as RedisProc
      const before = await commandCalls(replica, 'get')
      for (let i = 0; i < 10; i++) assert.equal(await c.get('tls:k'), 'over-tls')
      assert.equal(await commandCalls(replica, 'get') - before, 10, 'the replica served the reads, over TLS')
    } finally {
      c.disconnect()
      await amb.stop()
    }
  })

  void test('an untrusted server certificate: the ambassador keeps running, /readyz and the logs name the certificate problem, clients get an error', async () => {
    const { amb, logs } = await startLogged({
      primary: topo.primary.addr, upstreamTls: true, tlsCaFile: certs.otherCa, tlsCertFile: certs.cert, tlsKeyFile: certs.key, tlsServername: 'redis.test'
    })
    const c = client(amb)
    try {
      const body = await expectUnready(amb, /certificate/i)
      assert.match(body, new RegExp(`primary ${topo.primary.addr.replace(/\./g, '\\.')} unreachable`))
      await assert.rejects(c.set('tls:bad', '1'), /certificate|unreachable/i)
      assert.ok(logs.some((l) => /primary health changed|cannot connect to upstream/.test(l) && /certificate/i.test(l)), 'a log line says the certificate is the problem')
      assert.equal(await c.ping(), 'PONG', 'the ambassador itself still answers')
    } finally {
      c.disconnect()
      await amb.stop()
    }
  })

  void test('control-plane clients closed mid-handshake with an untrusted server, 300 times: no socket error escapes the process', async () => {
    // Such a socket fails twice (the certificate, then the server's alert). ioredis listens with
    // once(), so without the topology's connector the second error is thrown (84 of 600 here).
    // The ambassador's own control-plane clients are made with this connector.
    const { amb } = await startLogged({ primary: topo.primary.addr, upstreamTls: true, tlsCaFile: certs.otherCa, tlsCertFile: certs.cert, tlsKeyFile: certs.key, tlsServername: 'redis.test' })
    const made = (amb.server.topology as unknown as { redisOptions: (host: string, port: number, sentinel: boolean) => RedisOptions }).redisOptions('127.0.0.1', topo.primary.port, false)
    await amb.stop()
    assert.equal(made.Connector, GuardedConnector)
    const escaped: string[] = []
    const onUncaught = (err: Error): void => { escaped.push(err.message) }
    process.on('uncaughtException', onUncaught)
    try {
      for (let i = 0; i < 300; i++) {
        const c = new Redis({
          host: '127.0.0.1', port: topo.primary.port, Connector: GuardedConnector, maxRetriesPerRequest: 0, retryStrategy: () => 20,
          tls: { ca: readFileSync(certs.otherCa), cert: certs.pem.cert, key: certs.pem.key, servername: 'redis.test' }
        })
        c.on('error', () => undefined)
        await sleep(Math.random() * 8)
        c.disconnect()
      }
      await sleep(500)
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    assert.deepEqual(escaped, [])
  })

  void test('a certificate that does not name the IP: without --tls-servername verification fails and says the names do not match', async () => {
    const { amb } = await startLogged({
      primary: topo.primary.addr, upstreamTls: true, tlsCaFile: certs.ca, tlsCertFile: certs.cert, tlsKeyFile: certs.key
    })
    try {
      await expectUnready(amb, /altnames|does not match/i)
    } finally { await amb.stop() }
  })
})

void describe('Sentinel auth, separate from the Redis password', () => {
  const topo = new RedisTopology()

  before(async () => {
    const pw = { password: 'redis-pw' }
    topo.primary = await topo.server('primary', ['--requirepass', 'redis-pw', '--masterauth', 'redis-pw'], pw)
    topo.replicas.push(await topo.server('replica0', ['--requirepass', 'redis-pw', '--masterauth', 'redis-pw', '--replicaof', '127.0.0.1', String(topo.primary.port)], pw))
    await topo.startSentinels(1, 'mymaster', { extra: ['requirepass sentinel-pw'], afterMonitor: ['sentinel auth-pass mymaster redis-pw'], clientOptions: { password: 'sentinel-pw' } })
  })

  after(async () => { await topo.close() })

  void test('with the sentinel password and the Redis password the ambassador discovers the primary and serves', async () => {
    const { amb } = await startLogged({ sentinels: topo.sentinels.map((s) => s.addr), sentinelPassword: 'sentinel-pw', upstreamPassword: 'redis-pw' })
    const c = client(amb)
    try {
      assert.equal(amb.server.topology.primary?.id, topo.primary.addr)
      assert.equal((await readyz(amb)).status, 200)
      assert.equal(await c.set('sa:k', 'v'), 'OK')
      await topo.waitReplicasSynced()
      assert.equal(await c.call('GET', 'sa:k'), 'v')
    } finally {
      c.disconnect()
      await amb.stop()
    }
  })

  void test('a wrong sentinel password: the ambassador starts anyway, /readyz and the logs say WRONGPASS, clients get an error', async () => {
    const { amb, logs } = await startLogged({ sentinels: topo.sentinels.map((s) => s.addr), sentinelPassword: 'wrong', upstreamPassword: 'redis-pw' })
    const c = client(amb)
    try {
      const r = await readyz(amb)
      assert.equal(r.status, 503)
      assert.match(r.body, /no primary known: .*WRONGPASS/)
      assert.ok(logs.some((l) => /cannot discover the primary/.test(l) && /WRONGPASS/.test(l)), 'a log line says the sentinel refused the password')
      await assert.rejects(c.set('sa:bad', '1'), /primary \(unknown\) is unreachable/)
    } finally {
      c.disconnect()
      await amb.stop()
    }
  })

  void test('a wrong Redis password (right sentinel password): /readyz says WRONGPASS and clients get the WRONGPASS error', async () => {
    const { amb } = await startLogged({ sentinels: topo.sentinels.map((s) => s.addr), sentinelPassword: 'sentinel-pw', upstreamPassword: 'wrong' })
    const c = client(amb)
    try {
      await expectUnready(amb, /WRONGPASS/)
      await assert.rejects(c.set('sa:bad', '1'), /WRONGPASS/)
    } finally {
      c.disconnect()
      await amb.stop()
    }
  })
})

void describe('Sentinel over TLS, announcing hostnames', () => {
  const topo = new RedisTopology()
  let certs: TestCerts

  before(async () => {
    certs = makeCerts(topo.dir)
    const tlsClient: RedisOptions = { tls: { ca: certs.pem.ca, cert: certs.pem.cert, key: certs.pem.key, servername: 'localhost' } }
    const common = (name: string): string[] => ['--bind', '127.0.0.1', '--save', '', '--dir', topo.dir, '--dbfilename', `${name}.rdb`, '--replica-announce-ip', 'localhost']
    topo.primary = await topo.launch('redis-server', (port) => [...tlsServerArgs(certs, port), ...common('p')], tlsClient)
    topo.replicas.push(await topo.launch('redis-server', (port) => [...tlsServerArgs(certs, port), ...common('r'), '--replicaof', 'localhost', String(topo.primary.port)], tlsClient))
    await topo.waitReplicasSynced()
    await topo.startSentinels(1, 'mymaster', {
      listen: (port) => ['port 0', `tls-port ${port}`, `tls-cert-file ${certs.cert}`, `tls-key-file ${certs.key}`, `tls-ca-cert-file ${certs.ca}`, 'tls-replication yes'],
      extra: ['sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes'],
      monitorHost: 'localhost',
      clientOptions: tlsClient
    })
  })

  after(async () => { await topo.close() })

  void test('the ambassador reaches the sentinel by name over TLS and the announced primary and replica by name over TLS', async () => {
    const sentinel = topo.sentinels[0] as RedisProc
    const { amb } = await startLogged({
      sentinels: [`localhost:${sentinel.port}`], sentinelTls: true, upstreamTls: true,
      tlsCaFile: certs.ca, tlsCertFile: certs.cert, tlsKeyFile: certs.key
    })
    const c = client(amb)
    try {
      assert.equal(amb.server.topology.primary?.id, `localhost:${topo.primary.port}`, 'the primary is known by the name the sentinel announced')
      await waitFor('replica known by name and readable', () => amb.server.topology.readable.some((r) => r.id === `localhost:${(topo.replicas[0] as RedisProc).port}`), 15000, 100)
      assert.equal((await readyz(amb)).status, 200)
      assert.equal(await c.set('sh:k', 'named'), 'OK')
      await topo.waitReplicasSynced()
      const replica = topo.replicas[0] as RedisProc
      const before = await commandCalls(replica, 'get')
      for (let i = 0; i < 5; i++) assert.equal(await c.get('sh:k'), 'named')
      assert.equal(await commandCalls(replica, 'get') - before, 5)
    } finally {
      c.disconnect()
      await amb.stop()
    }
  })
})

void describe('Redis Cluster is refused clearly', () => {
  const topo = new RedisTopology()

  before(async () => {
    topo.primary = await topo.server('cluster', ['--cluster-enabled', 'yes', '--cluster-config-file', `${topo.dir}/nodes.conf`])
  })

  after(async () => { await topo.close() })

  void test('against a cluster node: logged, /readyz 503 names Redis Cluster, every command gets a clear error, the process keeps running', async () => {
    const { amb, logs } = await startLogged({ primary: topo.primary.addr })
    const c = client(amb)
    try {
      const r = await readyz(amb)
      assert.equal(r.status, 503)
      assert.match(r.body, /Redis Cluster/)
      assert.ok(logs.some((l) => /Redis Cluster detected/.test(l)), 'logged')
      await assert.rejects(c.get('k'), /redis-ambassador does not support Redis Cluster/)
      await assert.rejects(c.set('k', 'v'), /redis-ambassador does not support Redis Cluster/)
      await assert.rejects(c.call('INFO'), /redis-ambassador does not support Redis Cluster/)
      assert.equal(await commandCalls(topo.primary, 'set'), 0, 'nothing was forwarded')
    } finally {
      c.disconnect()
      await amb.stop()
    }
  })
})
