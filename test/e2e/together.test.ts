// Example 4 played with Podman: one app pod composed from git-sync, the ambassador and the adapter.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { skipReason, useExample, needsRealServices, withLogs, assertAllRunning } from '../src/e2e.js'
import { hostPort, httpGet, waitFor } from '../src/pods.js'

const skip = skipReason()

describe('4-together: one app pod composed from all three parts', { skip }, () => {
  const ctx = useExample('4-together')

  it('plays every container of the four pods running, the app pod\'s parts answering on their ports', async () => {
    const played = ctx.played!
    await withLogs(played, async () => {
      await assertAllRunning(played)
      for (const port of [8081, 9121, 9102]) {
        const r = await waitFor(`together :${port}/healthz`, async () => { const x = await httpGet(`http://127.0.0.1:${hostPort(played, 'together', port)}/healthz`); return x.status === 200 ? x : undefined }, 30_000)
        assert.equal(r.status, 200)
      }
      const up = await waitFor('Prometheus scraping the adapter', async () => {
        const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'together-prometheus', 9090)}/api/v1/query?query=${encodeURIComponent('up{job=~"together.*"}')}`)
        const j = JSON.parse(r.body) as { data?: { result?: Array<{ value: [number, string] }> } }
        return j.data?.result?.[0]?.value[1] === '1' ? true : undefined
      }, 60_000, 1000)
      assert.equal(up, true)
    })
  })

  it('content from git-sync, data through the ambassador, metrics through the adapter', async (t) => {
    if (!needsRealServices(t, ctx)) return
    const played = ctx.played!
    const app = `http://127.0.0.1:${hostPort(played, 'together', 8080)}`
    await withLogs(played, async () => {
      const page = await waitFor('synced content', async () => { const r = await httpGet(`${app}/`); return r.status === 200 ? r.body : undefined }, 60_000)
      assert.match(page, /version 1/)
      await waitFor('ambassador ready', async () => (await httpGet(`http://127.0.0.1:${hostPort(played, 'together', 9121)}/readyz`)).status === 200 ? true : undefined, 60_000)
      assert.equal((await httpGet(`${app}/kv/greeting`, { method: 'PUT', body: 'hello' })).status, 200)
      const v = await waitFor('read back', async () => { const r = await httpGet(`${app}/kv/greeting`); return r.status === 200 ? r.body : undefined }, 10_000, 200)
      assert.equal(v, 'hello')
      const up = await waitFor('Prometheus sees the app\'s requests', async () => {
        const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'together-prometheus', 9090)}/api/v1/query?query=${encodeURIComponent('sum(shop_http_requests)')}`)
        const j = JSON.parse(r.body) as { data?: { result?: Array<{ value: [number, string] }> } }
        const n = Number(j.data?.result?.[0]?.value[1] ?? 0)
        return n >= 3 ? n : undefined
      }, 60_000, 1000)
      assert.ok(up >= 3)
    })
  })
})
