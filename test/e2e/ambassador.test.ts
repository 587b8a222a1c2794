// Example 2 played with Podman: the app's Redis traffic split and failed over by the ambassador.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { skipReason, useExample, needsRealServices, withLogs, exec } from '../src/e2e.js'
import { containerName, hostPort, httpGet, podman, sleep, waitFor, type Played } from '../src/pods.js'

const skip = skipReason()

describe('2-ambassador: the app reaches Redis through the ambassador', { skip }, () => {
  const ctx = useExample('2-ambassador')

  async function commandCalls (played: Played, pod: string, cmd: string): Promise<number> {
    const out = await exec(played, pod, 'redis', ['redis-cli', 'info', 'commandstats'])
    const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(out)
    return m ? Number(m[1]) : 0
  }

  it('plays the Redis pods with replication and Sentinels watching', async () => {
    const played = ctx.played!
    await withLogs(played, async () => {
      const replicas = await waitFor('two replicas attached', async () => {
        const out = await exec(played, 'redis-0', 'redis', ['redis-cli', 'info', 'replication'])
        return /connected_slaves:2/.test(out) ? out : undefined
      }, 60_000)
      assert.match(replicas, /role:master/)
      // Settled only when every Sentinel knows the other two and both replicas: one that joined
      // late and has not yet read the primary's replica list cannot pick a replica to promote
      // (Sentinel aborts with -failover-abort-no-good-slave), and the failover case would race it.
      for (const pod of ['redis-0', 'redis-1', 'redis-2']) {
        const view = await waitFor(`${pod}'s Sentinel knows 2 other Sentinels and 2 replicas`, async () => {
          const out = (await exec(played, pod, 'sentinel', ['redis-cli', '-p', '26379', 'sentinel', 'master', 'mymaster'])).replace(/\n/g, ' ')
          const others = /num-other-sentinels\s+(\d+)/.exec(out)
          const slaves = /num-slaves\s+(\d+)/.exec(out)
          return others !== null && slaves !== null && Number(others[1]) >= 2 && Number(slaves[1]) >= 2 ? out : undefined
        }, 90_000)
        assert.match(view, /num-slaves\s+2/)
      }
    })
  })

  it('writes land on the primary and reads on the replicas', async (t) => {
    if (!needsRealServices(t, ctx)) return
    const played = ctx.played!
    const app = `http://127.0.0.1:${hostPort(played, 'shop', 8080)}`
    await withLogs(played, async () => {
      await waitFor('ambassador ready', async () => (await httpGet(`http://127.0.0.1:${hostPort(played, 'shop', 9121)}/readyz`)).status === 200 ? true : undefined, 60_000)
      // Sentinel announces the replicas a few seconds after the primary: measure once the
      // ambassador reports both healthy, as an operator would check before trusting the split.
      await waitFor('ambassador sees two healthy replicas', async () => {
        const m = await httpGet(`http://127.0.0.1:${hostPort(played, 'shop', 9121)}/metrics`)
        return (m.body.match(/^redis_ambassador_upstream_healthy\{[^}]*role="replica"[^}]*\} 1$/gm) ?? []).length >= 2 ? true : undefined
      }, 60_000, 500)
      const before = { set: await commandCalls(played, 'redis-0', 'set'), gets: [await commandCalls(played, 'redis-1', 'get'), await commandCalls(played, 'redis-2', 'get')] }
      for (let i = 0; i < 10; i++) {
        const w = await httpGet(`${app}/kv/k${i}`, { method: 'PUT', body: `v${i}` })
        assert.equal(w.status, 200, w.body)
      }
      await sleep(500)
      for (let i = 0; i < 10; i++) {
        const v = await waitFor(`read k${i}`, async () => { const r = await httpGet(`${app}/kv/k${i}`); return r.status === 200 ? r.body : undefined }, 5000, 100)
        assert.equal(v, `v${i}`)
      }
      const sets = await commandCalls(played, 'redis-0', 'set') - before.set
      const replicaGets = (await commandCalls(played, 'redis-1', 'get')) + (await commandCalls(played, 'redis-2', 'get')) - before.gets[0]! - before.gets[1]!
      assert.equal(sets, 10, 'every write on the primary')
      assert.ok(replicaGets >= 10, `reads on the replicas: ${replicaGets}`)
    })
  })

  it('a failover of the primary is survived: writes resume through the same app', async (t) => {
    if (!needsRealServices(t, ctx)) return
    const played = ctx.played!
    const app = `http://127.0.0.1:${hostPort(played, 'shop', 8080)}`
    await withLogs(played, async () => {
      const masterAddr = async (): Promise<string> => (await exec(played, 'redis-1', 'sentinel', ['redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', 'mymaster'])).split('\n')[0]?.trim() ?? ''
      const oldMaster = await masterAddr()
      const begun = Date.now()
      // Sentinel promotes only a replica it judges good: linked to the primary and answering its
      // INFO. On a loaded machine one may still be catching up; stop the primary once every
      // Sentinel sees both replicas that way, so the test measures the failover, not that race.
      // Nor in TILT mode: a Sentinel whose loop stalled (a slow DNS answer while Podman's DNS
      // server restarts as pods start) acts on nothing for 30 s.
      for (const pod of ['redis-0', 'redis-1', 'redis-2']) {
        await waitFor(`${pod}'s Sentinel sees both replicas healthy, out of TILT mode`, async () => {
          // Raw output (no tty): each replica's fields as name and value lines, one after another.
          const lines = (await exec(played, pod, 'sentinel', ['redis-cli', '-p', '26379', 'sentinel', 'replicas', 'mymaster'])).split('\n')
          const field = (name: string): string[] => lines.flatMap((l, i) => l === name ? [lines[i + 1] ?? ''] : [])
          const flags = field('flags')
          const tilt = /^sentinel_tilt:(\d)/m.exec(await exec(played, pod, 'sentinel', ['redis-cli', '-p', '26379', 'info', 'sentinel']))?.[1]
          return tilt === '0' && flags.length === 2 && flags.every((f) => f === 'slave') && field('master-link-status').every((l) => l === 'ok') ? true : undefined
        }, 90_000, 500)
      }
      t.diagnostic(`every Sentinel saw both replicas as good after ${Date.now() - begun} ms`)
      const stopped = Date.now()
      // The primary's redis-server is killed; its pod, and so its address and name, stay. Stopping
      // the whole pod tears down its network, and Podman's DNS server then leaves queries
      // unanswered for up to 20 s here: every Sentinel that resolves a name in that time stalls.
      await podman(['stop', '-t', '1', containerName(played, 'redis-0', 'redis')])
      // Sentinels answer with addresses, not pod names: wait for a different one.
      const master = await waitFor('sentinel promotes a replica', async () => {
        const now = await masterAddr()
        return now !== '' && now !== oldMaster ? now : undefined
      }, 90_000, 1000)
      t.diagnostic(`new primary: ${master.replace(/\n/g, ' ')}, named ${Date.now() - stopped} ms after the stop began`)
      const ms = Date.now()
      await waitFor('a write after failover', async () => (await httpGet(`${app}/kv/after-failover`, { method: 'PUT', body: 'yes' })).status === 200 ? true : undefined, 60_000, 500)
      t.diagnostic(`writes resumed ${Date.now() - ms} ms after the promotion was seen`)
      const v = await waitFor('read after failover', async () => { const r = await httpGet(`${app}/kv/after-failover`); return r.status === 200 ? r.body : undefined }, 10_000, 200)
      assert.equal(v, 'yes')
    })
  })

  it('the old primary comes back as a replica of the new one and serves reads again', async (t) => {
    if (!needsRealServices(t, ctx)) return
    const played = ctx.played!
    const app = `http://127.0.0.1:${hostPort(played, 'shop', 8080)}`
    const metrics = `http://127.0.0.1:${hostPort(played, 'shop', 9121)}/metrics`
    await withLogs(played, async () => {
      await podman(['start', containerName(played, 'redis-0', 'redis')])
      // Its start script asks the other Sentinels for the primary, so it starts as a replica.
      const info = await waitFor('redis-0 replicating from the new primary', async () => {
        const out = await exec(played, 'redis-0', 'redis', ['redis-cli', 'info', 'replication']).catch(() => '')
        return /role:slave/.test(out) && /master_link_status:up/.test(out) ? out : undefined
      }, 90_000, 1000)
      t.diagnostic(info.split('\n').filter((l) => l.startsWith('master_host')).join(' '))
      assert.equal(await exec(played, 'redis-0', 'redis', ['redis-cli', 'get', 'after-failover']), 'yes\n', 'the write made during the outage reached it')
      // Sentinel names it by its pod name (announced), as it would a re-created pod with a new IP.
      const node = `${played.pods['redis-0']!.name}:6379`
      await waitFor('the ambassador reads from redis-0 again', async () => {
        const m = await httpGet(metrics)
        return m.body.split('\n').includes(`redis_ambassador_upstream_healthy{node="${node}",role="replica"} 1`) ? true : undefined
      }, 90_000, 1000)
      const before = await commandCalls(played, 'redis-0', 'get')
      for (let i = 0; i < 20; i++) assert.equal((await httpGet(`${app}/kv/after-failover`)).status, 200)
      const gets = await commandCalls(played, 'redis-0', 'get') - before
      assert.ok(gets >= 5, `reads served by the returned redis-0: ${gets} of 20`)
    })
  })
})
