// End-to-end: builds the images with Podman, plays each example on its own network with
// unique names and free loopback ports, checks each pattern through the pods' own ports, and
// tears everything down (also when an assertion fails).
//
// Runs once per suite: on the PATH's Node (the images carry their own Node 24), skipped on the
// extra --node run, and when Podman is missing or POD_PATTERNS_E2E=0.

import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildImages, missingCapabilities, prefix, tag } from '../src/images.js'
import { containerName, down, hostPort, httpGet, logs, play, podman, render, run, sleep, waitFor, type Played } from '../src/pods.js'

function skipReason (): string | undefined {
  if (process.env.POD_PATTERNS_E2E === '0') return 'POD_PATTERNS_E2E=0'
  try { execFileSync('podman', ['--version'], { stdio: 'ignore' }) } catch { return 'podman is not installed' }
  try {
    const pathNode = execFileSync('bash', ['-c', 'command -v node'], { encoding: 'utf8' }).trim()
    if (pathNode !== '' && execFileSync('realpath', [pathNode], { encoding: 'utf8' }).trim() !== process.execPath) {
      return `runs once, on the PATH's node (${pathNode}); this is ${process.execPath}`
    }
  } catch { /* no node on PATH: run */ }
  return undefined
}

const skip = skipReason()
const suffix = `e2e${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`

/** Plays an example for a describe block; `ctx.reasons` says why behaviour can't be shown. */
function useExample (example: string): { played?: Played, reasons: string[] } {
  const ctx: { played?: Played, reasons: string[] } = { reasons: [] }
  before(async () => {
    ctx.reasons = await missingCapabilities(await render(example, 'podman'))
    ctx.played = await play(example, { suffix, network: `pp-${suffix}-${example}` })
  }, { timeout: 180_000 })
  after(async () => {
    if (ctx.played !== undefined) await down(ctx.played)
  }, { timeout: 180_000 })
  return ctx
}

function needsRealServices (t: TestContext, ctx: { reasons: string[] }): boolean {
  if (ctx.reasons.length === 0) return true
  t.skip(`service not there yet: ${ctx.reasons.join('; ')}`)
  return false
}

async function withLogs<T> (played: Played | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (played !== undefined && err instanceof Error) err.message += `\n${await logs(played)}`
    throw err
  }
}

async function exec (played: Played, pod: string, container: string, cmd: string[]): Promise<string> {
  return await podman(['exec', containerName(played, pod, container), ...cmd])
}

/** The state of every container of an example's pods, for "all running" checks. */
async function containerStates (played: Played): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [pod, info] of Object.entries(played.pods)) {
    for (const c of info.containers) {
      out[`${pod}/${c}`] = (await podman(['inspect', '--format', '{{.State.Status}}', containerName(played, pod, c)])).trim()
    }
  }
  return out
}

async function assertAllRunning (played: Played): Promise<void> {
  await sleep(3000)
  const states = await containerStates(played)
  const bad = Object.entries(states).filter(([, s]) => s !== 'running')
  assert.deepEqual(bad, [], `containers not running: ${JSON.stringify(bad)}`)
}

describe('images and example pods on Podman', { skip }, () => {
  before(async () => { await buildImages() }, { timeout: 45 * 60_000 })

  describe('images', () => {
    const services = ['git-sync', 'redis-ambassador', 'metrics-adapter', 'metrics-adapter-jmx']

    it('each service image runs its CLI as a numeric non-root user from a vector ENTRYPOINT', async () => {
      for (const s of services) {
        const image = `${prefix}/${s}:${tag}`
        const cfg = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config}}', image])) as { User: string, Entrypoint: string[], Labels: Record<string, string> }
        assert.match(cfg.User, /^[1-9][0-9]*:[1-9][0-9]*$/, `${s} user`)
        assert.equal(cfg.Entrypoint[0], '/usr/local/bin/node', `${s} entrypoint`)
        assert.ok(cfg.Labels['org.opencontainers.image.title']?.includes(s.replace('-jmx', '')), `${s} OCI title label`)
        assert.ok(cfg.Labels['org.opencontainers.image.version'], `${s} OCI version label`)
        const version = await podman(['run', '--rm', image, '--version'])
        assert.match(version, /\d+\.\d+\.\d+/, `${s} --version`)
        const node = await podman(['run', '--rm', '--entrypoint', 'node', image, '--version'])
        assert.match(node, /^v24\./, `${s} runs Node 24`)
      }
    })

    it('each service image adds at most 40 MB over its runtime base and ships no dev dependencies or sources', async () => {
      for (const s of services) {
        const size = Number(await podman(['image', 'inspect', '--format', '{{.Size}}', `${prefix}/${s}:${tag}`]))
        const base = Number(await podman(['image', 'inspect', '--format', '{{.Size}}', `${prefix}/${s}-base:${tag}`]))
        assert.ok(size - base <= 40_000_000, `${s}: +${((size - base) / 1e6).toFixed(1)} MB over its base`)
        const dir = s.replace('-jmx', '')
        const found = await podman(['run', '--rm', '--entrypoint', 'bash', `${prefix}/${s}:${tag}`, '-c',
          `cd /opt/pod-patterns/${dir} && { ls node_modules; find . -name '*.ts' ! -name '*.d.ts' -not -path './node_modules/*'; ls dist; } | tr '\\n' ' '`])
        for (const dev of ['typescript', 'eslint', '@types', 'tsconfig']) assert.ok(!found.includes(dev), `${s} ships ${dev}: ${found}`)
        assert.ok(!/\btest\b/.test(found.split('dist')[1] ?? ''), `${s} ships compiled tests: ${found}`)
      }
    })

    it('the git-sync image is a drop-in for the anchor: uid/gid 65533, HOME=/tmp, /git 2775, the tools hooks call', async () => {
      const out = await podman(['run', '--rm', '--entrypoint', 'bash', `${prefix}/git-sync:${tag}`, '-c',
        'id -u; id -g; echo "$HOME"; stat -c %a /git; for t in bash curl tar gzip grep sed git ssh gpg; do command -v "$t" >/dev/null || echo "missing $t"; done; test -s /etc/ssl/certs/ca-certificates.crt || echo "missing ca-certificates"; /git-sync --version'])
      const [uid, gid, home, mode, ...rest] = out.trim().split('\n')
      assert.deepEqual([uid, gid, home, mode], ['65533', '65533', '/tmp', '2775'])
      assert.ok(!rest.some((l) => l.startsWith('missing')), rest.join('\n'))
      assert.match(rest.join('\n'), /git-sync \d/)
    })

    it('the git-sync ENTRYPOINT takes an anchor pod spec\'s args unchanged', async () => {
      const r = await run('podman', ['run', '--rm', `${prefix}/git-sync:${tag}`, '--repo=file:///nonexistent', '--root=/git', '--one-time', '--period=1s'], { timeoutMs: 60_000 })
      // Not a usage error (exit 2): the flags are the anchor's and were understood.
      assert.notEqual(r.code, 2, r.stderr)
    })
  })

  describe('1-sidecar: nginx serves what git-sync syncs', () => {
    const ctx = useExample('1-sidecar')

    it('plays every container running, nginx and git-sync answering on their own ports', async () => {
      const played = ctx.played!
      await withLogs(played, async () => {
        await assertAllRunning(played)
        const health = await waitFor('nginx /healthz', async () => (await httpGet(`http://127.0.0.1:${hostPort(played, 'web', 8080)}/healthz`)).status === 200 ? true : undefined, 30_000)
        assert.equal(health, true)
        const metrics = await waitFor('git-sync /metrics', async () => { const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'web', 8081)}/metrics`); return r.status === 200 ? r.body : undefined }, 30_000)
        assert.match(metrics, /process_cpu_seconds_total|nodejs_/)
      })
    })

    it('the git server takes a push on its published port', async () => {
      const played = ctx.played!
      const dir = mkdtempSync(join(tmpdir(), 'pp-e2e-push-'))
      try {
        const url = `git://127.0.0.1:${hostPort(played, 'git-server', 9418)}/site.git`
        await waitFor('git clone', async () => (await run('git', ['clone', '-q', url, dir + '/c'])).code === 0 ? true : undefined, 30_000)
        writeFileSync(join(dir, 'c', 'index.html'), '<h1>version e2e-probe</h1>\n')
        const git = (...a: string[]): Promise<string> => run('git', ['-C', join(dir, 'c'), '-c', 'user.name=e2e', '-c', 'user.email=e2e@invalid', ...a]).then((r) => { if (r.code !== 0) throw new Error(r.stderr); return r.stdout })
        await git('commit', '-qam', 'probe')
        await git('push', '-q', '-o', 'skip-webhook', 'origin', 'main')
        const remote = (await run('git', ['ls-remote', url, 'refs/heads/main'])).stdout.split('\t')[0]
        assert.equal(remote, (await git('rev-parse', 'HEAD')).trim())
      } finally { rmSync(dir, { recursive: true, force: true }) }
    })

    async function pushPage (played: Played, text: string, opts: string[]): Promise<string> {
      const dir = mkdtempSync(join(tmpdir(), 'pp-e2e-push-'))
      try {
        const url = `git://127.0.0.1:${hostPort(played, 'git-server', 9418)}/site.git`
        const r = await run('git', ['clone', '-q', url, join(dir, 'c')])
        assert.equal(r.code, 0, r.stderr)
        const git = async (...a: string[]): Promise<string> => {
          const x = await run('git', ['-C', join(dir, 'c'), '-c', 'user.name=e2e', '-c', 'user.email=e2e@invalid', ...a])
          assert.equal(x.code, 0, x.stderr)
          return x.stdout.trim()
        }
        writeFileSync(join(dir, 'c', 'index.html'), `<h1>${text}</h1>\n`)
        await git('commit', '-qam', text)
        await git('push', '-q', ...opts, 'origin', 'main')
        return await git('rev-parse', 'HEAD')
      } finally { rmSync(dir, { recursive: true, force: true }) }
    }

    async function served (played: Played, sha: string, timeoutMs: number): Promise<number> {
      const t0 = Date.now()
      await waitFor(`nginx serving ${sha}`, async () => {
        const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'web', 8080)}/`)
        return r.status === 200 && (r.headers.get('x-served-root') ?? '').endsWith(sha) ? true : undefined
      }, timeoutMs, 100)
      return Date.now() - t0
    }

    it('a push reaches the page through the push trigger, well before the next poll', async (t) => {
      if (!needsRealServices(t, ctx)) return
      const played = ctx.played!
      await withLogs(played, async () => {
        await waitFor('first sync', async () => (await httpGet(`http://127.0.0.1:${hostPort(played, 'web', 8080)}/`)).status === 200 ? true : undefined, 60_000)
        const sha = await pushPage(played, 'version trigger', [])
        const ms = await served(played, sha, 8_000)
        t.diagnostic(`push → served in ${ms} ms (poll period 20 s)`)
      })
    })

    it('a push without a webhook reaches the page by polling', async (t) => {
      if (!needsRealServices(t, ctx)) return
      const played = ctx.played!
      await withLogs(played, async () => {
        const sha = await pushPage(played, 'version poll', ['-o', 'skip-webhook'])
        const ms = await served(played, sha, 45_000)
        t.diagnostic(`push → served in ${ms} ms by polling`)
      })
    })
  })

  describe('2-ambassador: the app reaches Redis through the ambassador', () => {
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
        const sentinels = await waitFor('sentinels see each other', async () => {
          const out = await exec(played, 'redis-1', 'sentinel', ['redis-cli', '-p', '26379', 'sentinel', 'master', 'mymaster'])
          const m = /num-other-sentinels\s+(\d+)/.exec(out.replace(/\n/g, ' '))
          return m && Number(m[1]) >= 2 ? out : undefined
        }, 60_000)
        assert.ok(sentinels)
      })
    })

    it('writes land on the primary and reads on the replicas', async (t) => {
      if (!needsRealServices(t, ctx)) return
      const played = ctx.played!
      const app = `http://127.0.0.1:${hostPort(played, 'shop', 8080)}`
      await withLogs(played, async () => {
        await waitFor('ambassador ready', async () => (await httpGet(`http://127.0.0.1:${hostPort(played, 'shop', 9121)}/readyz`)).status === 200 ? true : undefined, 60_000)
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
        await podman(['pod', 'stop', '-t', '1', played.pods['redis-0']!.name])
        const master = await waitFor('sentinel promotes a replica', async () => {
          const out = await exec(played, 'redis-1', 'sentinel', ['redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', 'mymaster'])
          return out.split('\n')[0]?.trim() !== '' && !out.includes('redis-0') ? out : undefined
        }, 60_000, 1000)
        t.diagnostic(`new primary: ${master.replace(/\n/g, ' ')}`)
        const ms = Date.now()
        await waitFor('a write after failover', async () => (await httpGet(`${app}/kv/after-failover`, { method: 'PUT', body: 'yes' })).status === 200 ? true : undefined, 60_000, 500)
        t.diagnostic(`writes resumed ${Date.now() - ms} ms after the promotion was seen`)
        const v = await waitFor('read after failover', async () => { const r = await httpGet(`${app}/kv/after-failover`); return r.status === 200 ? r.body : undefined }, 10_000, 200)
        assert.equal(v, 'yes')
      })
    })
  })

  describe('3-adapter: StatsD, JMX and JSON stats become one Prometheus /metrics', () => {
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
        for (let i = 0; i < 5; i++) assert.equal((await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-app', 8080)}/order?channel=e2e`, { method: 'POST' })).status, 200)
        const metrics = await waitFor('shop_orders_total on the adapter', async () => { const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-app', 9102)}/metrics`); return /^shop_orders_total\{[^}]*\} 5$/m.test(r.body) ? r.body : undefined }, 30_000)
        assert.match(metrics, /shop_http_request_duration_seconds_bucket/)
        const value = await waitFor('Prometheus query', async () => {
          const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'metrics-prometheus', 9090)}/api/v1/query?query=${encodeURIComponent('sum(shop_orders_total)')}`)
          const j = JSON.parse(r.body) as { data?: { result?: Array<{ value: [number, string] }> } }
          return j.data?.result?.[0]?.value[1]
        }, 60_000, 1000)
        assert.equal(value, '5')
      })
    })
  })

  describe('4-together: one app pod composed from all three parts', () => {
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
          const r = await httpGet(`http://127.0.0.1:${hostPort(played, 'together-prometheus', 9090)}/api/v1/query?query=${encodeURIComponent('up{job="together"}')}`)
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
})
