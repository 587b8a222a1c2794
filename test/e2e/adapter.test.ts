// Example 3 played with Podman: StatsD, JMX and JSON stats through the adapter into Prometheus.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { skipReason, useExample, needsRealServices, withLogs } from '../src/e2e.js'
import { containerName, hostPort, httpGet, run, sleep, waitFor } from '../src/pods.js'

const skip = skipReason()

describe('3-adapter: StatsD, JMX and JSON stats become one Prometheus /metrics', { skip }, () => {
  const ctx = useExample('3-adapter')

  it('plays the JVM and Prometheus, the JVM serving JMX', async () => {
    const played = ctx.played!
    await withLogs(played, async () => {
      await waitFor('prometheus ready', async () => (await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-prometheus', 9090)}/-/ready`)).status === 200 ? true : undefined, 60_000)
      const jvm = await waitFor('the JVM\'s MBean registered', async () => { const r = await run('podman', ['logs', containerName(played, 'metrics-app', 'jvm')]); return r.stdout.includes('orders app started') ? r.stdout : undefined }, 60_000)
      assert.match(jvm, /com\.example\.shop:type=Orders/)
    })
  })

  it('StatsD from the app is mapped, exposed by the adapter and queryable in Prometheus', async (t) => {
    if (!needsRealServices(t, ctx)) return
    const played = ctx.played!
    await withLogs(played, async () => {
      const order = async (): Promise<void> => { assert.equal((await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-app', 8080)}/order?channel=e2e`, { method: 'POST' })).status, 200) }
      const ordersOnAdapter = async (): Promise<{ value: number, body: string } | undefined> => {
        const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-app', 9102)}/metrics`, {}, 20_000)
        const m = /^shop_orders_total\{[^}]*channel="e2e"[^}]*\} (\d+)$/m.exec(r.body)
        return m ? { value: Number(m[1]), body: r.body } : undefined
      }
      // StatsD is UDP: datagrams the app sent while the adapter was still starting are refused by
      // the kernel and gone (hot-shots' socket may also drop the next one). Once one order has
      // arrived, the path is up and every later line must be counted exactly.
      await waitFor('the first order reaches the adapter', async () => { await order(); return await ordersOnAdapter() }, 60_000, 1000)
      await sleep(1000)
      const base = (await ordersOnAdapter())!.value
      for (let i = 0; i < 5; i++) await order()
      const metrics = await waitFor(`shop_orders_total = ${base + 5} on the adapter`, async () => { const r = await ordersOnAdapter(); return r !== undefined && r.value === base + 5 ? r.body : undefined }, 60_000, 1000)
      assert.match(metrics, /shop_http_request_duration_seconds_bucket/)
      const value = await waitFor(`Prometheus answers sum(shop_orders_total) = ${base + 5}`, async () => {
        const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-prometheus', 9090)}/api/v1/query?query=${encodeURIComponent('sum(shop_orders_total{channel="e2e"})')}`)
        const j = JSON.parse(r.body) as { data?: { result?: Array<{ value: [number, string] }> } }
        const v = j.data?.result?.[0]?.value[1]
        return v === String(base + 5) ? v : undefined
      }, 60_000, 1000)
      assert.equal(value, String(base + 5))
    })
  })

  it('the JVM\'s MBean (JMX rules) and the app\'s /stats.json (JSON module) are on the same /metrics', async (t) => {
    if (!needsRealServices(t, ctx)) return
    const played = ctx.played!
    await withLogs(played, async () => {
      const body = await waitFor('JMX and JSON series on the adapter', async () => {
        const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-app', 9102)}/metrics`, {}, 20_000)
        return /^shop_jvm_orders_processed_total\{[^}]*queue="checkout"[^}]*\} [1-9]/m.test(r.body) && /^shop_app_requests(_total)?(\{[^}]*\})? [1-9]/m.test(r.body) ? r.body : undefined
      }, 60_000, 1000)
      assert.match(body, /^shop_jvm_queue_depth\{[^}]*queue="checkout"[^}]*\} \d/m)
      const processed = await waitFor('Prometheus query of the JMX counter', async () => {
        const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-prometheus', 9090)}/api/v1/query?query=${encodeURIComponent('sum(shop_jvm_orders_processed_total)')}`)
        const j = JSON.parse(r.body) as { data?: { result?: Array<{ value: [number, string] }> } }
        return j.data?.result?.[0]?.value[1]
      }, 60_000, 1000)
      assert.ok(Number(processed) > 0, processed)
    })
  })
})
