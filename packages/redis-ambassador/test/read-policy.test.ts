// Read policies spread reads over both replicas, proven by the replicas' own INFO commandstats:
// many short-lived clients (each a few reads, the usual web-request pattern) and a few busy
// pipelined clients, for round-robin and least-outstanding.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { RedisTopology, commandCalls, waitFor } from './helpers/redis-servers.js'
import { start } from './helpers/ambassador.js'
import type { ReadPolicy } from '../src/index.js'

void describe('read policies spread reads over the replicas', () => {
  const topo = new RedisTopology()

  before(async () => {
    await topo.startPrimaryAndReplicas(2)
    const c = topo.primary.client()
    try {
      for (let i = 0; i < 50; i++) await c.set(`rp:${i}`, 'v')
    } finally { c.disconnect() }
    await topo.waitReplicasSynced()
  })

  after(async () => { await topo.close() })

  async function replicaGets (): Promise<number[]> {
    return await Promise.all(topo.replicas.map(async (r) => await commandCalls(r, 'get')))
  }

  for (const policy of ['round-robin', 'least-outstanding'] as ReadPolicy[]) {
    void test(`${policy}: 40 short-lived clients with one read each land on both replicas about equally`, async () => {
      const amb = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), readPolicy: policy })
      try {
        await waitFor('both replicas readable', () => amb.server.topology.readable.length === 2)
        const before = await replicaGets()
        for (let i = 0; i < 40; i++) {
          const c = new Redis({ port: amb.server.port, host: '127.0.0.1' })
          try {
            assert.equal(await c.get(`rp:${i}`), 'v')
          } finally { c.disconnect() }
        }
        const got = (await replicaGets()).map((n, i) => n - (before[i] as number))
        assert.equal((got[0] as number) + (got[1] as number), 40, `all reads on replicas: ${got.join(',')}`)
        for (const n of got) assert.ok(n >= 15, `each replica served a fair share of 40: ${got.join(',')}`)
      } finally { await amb.stop() }
    })

    void test(`${policy}: 8 concurrent pipelined clients spread their reads over both replicas`, async () => {
      const amb = await start({ primary: topo.primary.addr, replicas: topo.replicas.map((r) => r.addr), readPolicy: policy })
      const clients = Array.from({ length: 8 }, () => new Redis({ port: amb.server.port, host: '127.0.0.1' }))
      try {
        await waitFor('both replicas readable', () => amb.server.topology.readable.length === 2)
        const before = await replicaGets()
        await Promise.all(clients.map(async (c) => {
          for (let round = 0; round < 10; round++) {
            const p = c.pipeline()
            for (let i = 0; i < 50; i++) p.get(`rp:${i}`)
            const res = await p.exec()
            for (const [err, v] of res ?? []) {
              assert.equal(err, null)
              assert.equal(v, 'v')
            }
          }
        }))
        const got = (await replicaGets()).map((n, i) => n - (before[i] as number))
        assert.equal((got[0] as number) + (got[1] as number), 4000, `all reads on replicas: ${got.join(',')}`)
        for (const n of got) assert.ok(n >= 1000, `each replica served at least a quarter of 4000: ${got.join(',')}`)
      } finally {
        for (const c of clients) c.disconnect()
        await amb.stop()
      }
    })
  }
})
