// Sentinel mode against real servers: a primary, two replicas and three sentinels. The
// ambassador discovers the topology, drops a replica that stops answering and takes it back,
// reads from a replica added later, follows a failover (writes resume through the same client),
// ends a transaction caught by the failover with an error, and resubscribes pub/sub.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { RedisTopology, RedisProc, commandCalls, sleep, waitFor } from './helpers/redis-servers.js'
import { start } from './helpers/ambassador.js'
import type { Ambassador } from '../src/index.js'

void describe('sentinel topology: primary + 2 replicas + 3 sentinels', () => {
  const topo = new RedisTopology()
  let amb: Ambassador
  let port: number

  before(async () => {
    await topo.startPrimaryAndReplicas(2)
    await topo.startSentinels(3)
    // Sentinels need a moment to discover the replicas.
    await waitFor('sentinels know both replicas', async () => {
      const s = topo.sentinels[0]?.client()
      try {
        const reps = await s?.call('SENTINEL', 'replicas', 'mymaster') as unknown[]
        return reps.length === 2
      } finally { s?.disconnect() }
    }, 20000, 200)
    amb = await start({ sentinels: topo.sentinels.map((s) => s.addr), masterName: 'mymaster', connectTimeout: 500 })
    port = amb.server.port
  })

  after(async () => {
    await amb?.stop()
    await topo.close()
  })

  void test('discovers the primary and replicas from the sentinels and splits reads', async () => {
    assert.equal(amb.server.topology.primary?.id, topo.primary.addr)
    await waitFor('replicas readable', () => amb.server.topology.readable.length === 2)
    const c = new Redis({ port, host: '127.0.0.1' })
    try {
      await c.set('s:k', 'v')
      await topo.waitReplicasSynced()
      assert.equal(await c.get('s:k'), 'v')
      const ids = new Set(topo.replicas.map((r) => r.addr))
      for (const r of amb.server.topology.readable) assert.ok(ids.has(r.id))
    } finally { c.disconnect() }
  })

  void test('a replica that stops answering leaves the read set and returns with it; a replica added later joins the read set', async () => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    try {
      await waitFor('replicas readable', () => amb.server.topology.readable.length === 2)
      const frozen = topo.replicas[1] as RedisProc
      frozen.kill('SIGSTOP')
      try {
        await waitFor('the frozen replica left the read set', () => !amb.server.topology.readable.some((r) => r.id === frozen.addr), 20000, 100)
        for (let i = 0; i < 20; i++) assert.equal(await c.get('s:k'), 'v', 'reads keep working on the other replica')
      } finally { frozen.kill('SIGCONT') }
      await waitFor('the replica is back in the read set', () => amb.server.topology.readable.some((r) => r.id === frozen.addr), 20000, 100)

      // A new replica: the sentinels find it on the primary (+slave) and the ambassador reads from it.
      const added = await topo.server('replica-added', ['--replicaof', '127.0.0.1', String(topo.primary.port)])
      topo.replicas.push(added)
      await topo.waitReplicasSynced()
      await waitFor('the added replica is in the read set', () => amb.server.topology.readable.some((r) => r.id === added.addr), 40000, 200)
      const before = await commandCalls(added, 'get')
      for (let i = 0; i < 30; i++) assert.equal(await c.get('s:k'), 'v')
      assert.ok(await commandCalls(added, 'get') - before > 0, 'the added replica serves reads')
    } finally { c.disconnect() }
  })

  void test('primary killed: Sentinel fails over, a transaction caught in it errors, writes and subscriptions resume', async () => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    const tx = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    const sub = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 })
    for (const x of [c, tx, sub]) x.on('error', () => undefined)
    const messages: string[] = []
    sub.on('message', (_ch: string, m: string) => { messages.push(m) })
    try {
      await sub.subscribe('fo:chan')
      assert.equal(await c.set('fo:k', 'before'), 'OK')
      // A transaction open across the failover.
      assert.equal(await tx.call('MULTI'), 'OK')
      assert.equal(await tx.call('SET', 'fo:tx', '1'), 'QUEUED')

      const oldPrimary = topo.primary
      oldPrimary.kill('SIGKILL')
      await oldPrimary.stopped()
      const t0 = Date.now()
      // Writes fail fast (no hang) while the sentinels decide...
      const err = await c.set('fo:k', 'during').then(() => undefined, (e: Error) => e)
      if (err !== undefined) assert.match(err.message, /ambassador|unreachable|lost/)
      // ...and resume on the promoted replica through the same client connection.
      await waitFor('writes resume after failover', async () => (await c.set('fo:k', 'after').catch(() => 'no')) === 'OK', 30000, 200)
      const took = Date.now() - t0
      assert.notEqual(amb.server.topology.primary?.id, oldPrimary.addr)
      assert.ok(took < 30000, `failover took ${took} ms`)

      // The transaction's connection went with the old primary: EXEC must fail, not silently retry.
      await assert.rejects(tx.call('EXEC'), /EXECABORT|transaction aborted|lost/)
      assert.equal(await c.get('fo:tx'), null, 'nothing from the broken transaction was applied')
      assert.equal(await tx.call('SET', 'fo:tx2', '1'), 'OK', 'the client works again after the aborted transaction')

      // Subscriptions were re-established on the new primary.
      const pub = new Redis({ port, host: '127.0.0.1' })
      try {
        await waitFor('resubscribed message arrives', async () => {
          await pub.publish('fo:chan', 'hello-after')
          await sleep(100)
          return messages.includes('hello-after')
        }, 15000, 200)
      } finally { pub.disconnect() }
      assert.equal(await c.get('fo:k'), 'after')
    } finally { c.disconnect(); tx.disconnect(); sub.disconnect() }
  })
})
