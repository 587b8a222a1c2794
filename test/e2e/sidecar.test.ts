// Example 1 played with Podman: nginx serves what git-sync syncs from the in-cluster git server.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { skipReason, useExample, needsRealServices, withLogs, assertAllRunning } from '../src/e2e.js'
import { hostPort, httpGet, run, waitFor, type Played } from '../src/pods.js'

const skip = skipReason()

describe('1-sidecar: nginx serves what git-sync syncs', { skip }, () => {
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
