// Conformance with kubernetes/git-sync v4's e2e cases: exec hook and webhook semantics, the
// HTTP endpoints, and submodules (default/nested, depth, off, shallow, relative URLs).

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { cleanupAll, fileIn, linkSha, readIf, runSync, script, sleep, startSync, waitFor, waitForContent } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'
import { recordingServer } from './helpers/servers.js'

after(cleanupAll)
const lines = (p: string): number => (readIf(p) ?? '').split('\n').filter((l) => l !== '').length

/** A hook script in the spirit of the anchor's: records its run and copies file into the worktree. */
function hookScript (dir: string, fail = false, sleepS = 0): { path: string, runlog: string } {
  const runlog = join(dir, 'runlog')
  writeFileSync(runlog, '')
  const path = script(dir, fail ? 'hook-fail.sh' : 'hook.sh', [
    sleepS > 0 ? `sleep ${sleepS}` : '',
    `date >> ${runlog}`,
    'echo "ENVKEY=$ENVKEY" > exechook-env',
    'echo "$GITSYNC_HASH" > exechook-hash',
    'cat file > exechook', // last: tests wait for this one
    fail ? 'exit 1' : 'exit 0'
  ].join('\n'))
  return { path, runlog }
}

void describe('conformance: exechook', { concurrency: 2 }, () => {
  void conformance('exechook_success', async () => {
    const c = newCase('exechook_success')
    const h = hookScript(c.dir)
    c.repo.commit('exechook_success 1')
    const p = startSync(c.args('--period=100ms', `--exechook-command=${h.path}`), { env: { ENVKEY: 'envval' } })
    await waitFor(() => fileIn(c.link, 'exechook') === 'exechook_success 1', 60_000, () => p.output)
    assert.equal(fileIn(c.link, 'exechook-env'), 'ENVKEY=envval')
    assert.equal(fileIn(c.link, 'exechook-hash'), c.repo.head())
    assert.equal(lines(h.runlog), 1)
    c.repo.commit('exechook_success 2')
    await waitFor(() => fileIn(c.link, 'exechook') === 'exechook_success 2', 60_000, () => p.output)
    assert.equal(lines(h.runlog), 2)
  })

  void conformance('exechook_fail_retry', async () => {
    const c = newCase('exechook_fail_retry')
    const h = hookScript(c.dir, true)
    const p = startSync(c.args('--period=100ms', `--exechook-command=${h.path}`, '--exechook-backoff=1s'))
    await waitFor(() => lines(h.runlog) >= 3, 60_000, () => p.output)
  })

  void conformance('exechook_success_once', async () => {
    const c = newCase('exechook_success_once')
    const h = hookScript(c.dir, false, 1)
    const p = await runSync(c.args('--one-time', `--exechook-command=${h.path}`), { env: { ENVKEY: 'envval' } })
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link, 'exechook'), 'exechook_success_once')
    assert.equal(fileIn(c.link, 'exechook-env'), 'ENVKEY=envval')
  })

  void conformance('exechook_fail_once', async () => {
    const c = newCase('exechook_fail_once')
    const h = hookScript(c.dir, true, 1)
    const p = await runSync(c.args('--one-time', `--exechook-command=${h.path}`, '--exechook-backoff=1s'))
    assert.notEqual(p.exitCode, 0)
    assert.equal(fileIn(c.link), 'exechook_fail_once')
    assert.equal(lines(h.runlog), 1)
  })

  void conformance('exechook_startup_after_crash', async () => {
    const c = newCase('exechook_startup_after_crash')
    assert.equal((await runSync(c.args('--one-time', '--ref=e2e-branch'))).exitCode, 0)
    const h = hookScript(c.dir)
    const p = await runSync(c.args('--one-time', '--ref=e2e-branch', `--exechook-command=${h.path}`), { env: { ENVKEY: 'envval' } })
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link, 'exechook'), 'exechook_startup_after_crash')
    assert.equal(lines(h.runlog), 1)
  })

  void conformance('exechook_git_archive', async () => {
    const c = newCase('exechook_git_archive')
    const out = join(c.dir, 'archive.tgz')
    const hook = script(c.dir, 'archive.sh', `git archive --format=tar.gz -o ${out} "$GITSYNC_HASH"`)
    const p = await runSync(c.args('--one-time', `--exechook-command=${hook}`))
    assert.equal(p.exitCode, 0, p.output)
    const { execFileSync } = await import('node:child_process')
    assert.match(execFileSync('tar', ['-tzf', out], { encoding: 'utf8' }), /^file$/m)
  })
})

/**
 * A pre-publish hook script: records its run, the hash it was given, where the link pointed
 * while it ran (so a test can tell it ran before the publish), and copies file into the worktree.
 */
function prePublishScript (dir: string, link: string, failRuns = 0): { path: string, runlog: string } {
  const runlog = join(dir, 'pre-runlog')
  writeFileSync(runlog, '')
  const path = script(dir, 'pre-publish.sh', [
    `date >> ${runlog}`,
    'echo "$GITSYNC_HASH" > pre-publish-hash',
    `basename "$(readlink ${link} 2>/dev/null || echo none)" > pre-publish-saw-link`,
    'cat file > pre-publish-exechook',
    // Fails its first failRuns runs (counted in the run log), then succeeds.
    `[ "$(wc -l < ${runlog})" -gt ${failRuns} ] || exit 1`,
    'exit 0'
  ].join('\n'))
  return { path, runlog }
}

/** A pre-publish hook that logs its start, sleeps, then leaves a marker: one killed never does. */
function slowPrePublishScript (dir: string, sleepS: number): { path: string, runlog: string, marker: string } {
  const runlog = join(dir, 'slow-runlog')
  const marker = join(dir, 'slow-hook-finished')
  const path = script(dir, 'slow-pre-publish.sh', `date >> ${runlog}\nsleep ${sleepS}\ntouch ${marker}`)
  return { path, runlog, marker }
}

void describe('conformance: pre-publish exechook', { concurrency: 2 }, () => {
  // kubernetes/git-sync#990's flags. The link moves when the hook's first run has ended, so what
  // it does to the new worktree is there before readers see it.
  void conformance('pre_publish_exechook_success', async () => {
    const c = newCase('pre_publish_exechook_success')
    const h = prePublishScript(c.dir, c.link)
    c.repo.commit('pre_publish_exechook_success 1')
    const first = c.repo.head()
    const p = startSync(c.args('--period=100ms', `--pre-publish-exechook-command=${h.path}`))
    await waitFor(() => linkSha(c.link) === first, 60_000, () => p.output)
    // Published only after the hook ran: its file is there the moment the link is.
    assert.equal(fileIn(c.link, 'pre-publish-exechook'), 'pre_publish_exechook_success 1')
    assert.equal(fileIn(c.link, 'pre-publish-hash'), first)
    assert.equal(fileIn(c.link, 'pre-publish-saw-link'), 'none')
    assert.equal(lines(h.runlog), 1)
    c.repo.commit('pre_publish_exechook_success 2')
    const second = c.repo.head()
    await waitFor(() => linkSha(c.link) === second, 60_000, () => p.output)
    assert.equal(fileIn(c.link, 'pre-publish-exechook'), 'pre_publish_exechook_success 2')
    assert.equal(fileIn(c.link, 'pre-publish-saw-link'), first)
    assert.equal(lines(h.runlog), 2)
  })

  void conformance('pre_publish_exechook_fail_retry', async () => {
    const c = newCase('pre_publish_exechook_fail_retry')
    // Fails twice, then succeeds: the commit is published after the first (failed) run, and the
    // hook is retried with backoff until it succeeds.
    const h = prePublishScript(c.dir, c.link, 2)
    const p = startSync(c.httpArgs('--period=100ms', `--pre-publish-exechook-command=${h.path}`, '--pre-publish-exechook-backoff=1s'))
    await waitFor(() => fileIn(c.link) === 'pre_publish_exechook_fail_retry', 60_000, () => p.output)
    await waitFor(() => lines(h.runlog) >= 3, 60_000, () => p.output)
    // Published after the first, failed run: the retries saw the link at the new commit. (The run
    // log's line comes first in the script: wait for the third run to finish writing.)
    await waitFor(() => fileIn(c.link, 'pre-publish-saw-link') === c.repo.head(), 10_000, () => `saw ${String(fileIn(c.link, 'pre-publish-saw-link'))}\n${p.output}`)
    await sleep(1500)
    assert.equal(lines(h.runlog), 3, 'no more runs after the one that succeeded')
    const port = await p.httpPort()
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    assert.match(metrics, /git_sync_hook_run_count_total\{name="pre-publish-exechook",status="error"\} 2/)
    assert.match(metrics, /git_sync_hook_run_count_total\{name="pre-publish-exechook",status="success"\} 1/)
  })

  void conformance('pre_publish_exechook_fail_once', async () => {
    const c = newCase('pre_publish_exechook_fail_once')
    const h = prePublishScript(c.dir, c.link, 1000)
    const p = await runSync(c.args('--one-time', `--pre-publish-exechook-command=${h.path}`))
    // As the anchor's case: the run fails, yet the commit is published.
    assert.equal(p.exitCode, 1, p.output)
    assert.equal(fileIn(c.link), 'pre_publish_exechook_fail_once')
    assert.equal(fileIn(c.link, 'pre-publish-saw-link'), 'none')
    assert.equal(lines(h.runlog), 1)
  })

  void conformance('pre_publish_exechook_success_once', async () => {
    const c = newCase('pre_publish_exechook_success_once')
    const h = prePublishScript(c.dir, c.link)
    const p = await runSync(c.args('--one-time', `--pre-publish-exechook-command=${h.path}`))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link, 'pre-publish-exechook'), 'pre_publish_exechook_success_once')
    assert.equal(lines(h.runlog), 1)
  })

  void conformance('pre_publish_exechook_outlasting_sync_timeout', async () => {
    const c = newCase('pre_publish_exechook_outlasting_sync_timeout')
    const { path: slow, runlog, marker } = slowPrePublishScript(c.dir, 3)
    const p = startSync(c.args('--period=100ms', '--max-failures=-1', '--sync-timeout=1s', `--pre-publish-exechook-command=${slow}`, '--pre-publish-exechook-timeout=60s'))
    // Each attempt's hook is stopped at the sync's deadline; the sync fails without publishing.
    await waitFor(() => lines(runlog) >= 2, 60_000, () => p.output)
    assert.match(p.output, /sync timed out after 1s/)
    assert.equal(linkSha(c.link), undefined, 'nothing published')
    await sleep(3500)
    assert.equal(readIf(marker), undefined, 'the hook processes were killed, none ran to its end')
  })

  void conformance('pre_publish_exechook_stopped_at_shutdown', async () => {
    const c = newCase('pre_publish_exechook_stopped_at_shutdown')
    const { path: slow, runlog, marker } = slowPrePublishScript(c.dir, 5)
    const p = startSync(c.args('--period=100ms', `--pre-publish-exechook-command=${slow}`))
    await waitFor(() => lines(runlog) >= 1, 60_000, () => p.output)
    const t0 = Date.now()
    p.signal('SIGTERM')
    await p.exited
    assert.ok(Date.now() - t0 < 3000, `SIGTERM took ${Date.now() - t0} ms: the hook was waited for`)
    assert.equal(linkSha(c.link), undefined, 'nothing published')
    await sleep(5500)
    assert.equal(readIf(marker), undefined, 'the hook process was killed')
  })

  void conformance('pre_publish_exechook_bad_flags', async () => {
    const c = newCase('pre_publish_exechook_bad_flags')
    const timeout = await runSync(c.args('--one-time', '--pre-publish-exechook-command=/bin/true', '--pre-publish-exechook-timeout=500ms'))
    assert.equal(timeout.exitCode, 1, timeout.output)
    assert.match(timeout.stderr, /--pre-publish-exechook-timeout must be at least 1s/)
    const backoff = await runSync(c.args('--one-time', '--pre-publish-exechook-command=/bin/true', '--pre-publish-exechook-backoff=soon'))
    assert.equal(backoff.exitCode, 2, backoff.output)
    assert.match(backoff.stderr, /--pre-publish-exechook-backoff/)
    assert.equal(linkSha(c.link), undefined, 'nothing synced')
  })
})

void describe('conformance: webhook', { concurrency: 2 }, () => {
  void conformance('webhook_success', async () => {
    const c = newCase('webhook_success')
    const srv = await recordingServer(() => ({ status: 200 }))
    const p = startSync(c.args('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s', '--webhook-success-status=200'))
    await waitFor(() => srv.hits.length === 1, 60_000, () => p.output)
    assert.equal(srv.hits[0]?.headers['gitsync-hash'], c.repo.head())
    assert.equal(srv.hits[0]?.method, 'POST')
    c.repo.commit('webhook_success 2')
    await waitFor(() => srv.hits.length === 2, 60_000, () => p.output)
    assert.equal(srv.hits[1]?.headers['gitsync-hash'], c.repo.head())
    await sleep(500)
    assert.equal(srv.hits.length, 2)
  })

  void conformance('webhook_fail_retry', async () => {
    const c = newCase('webhook_fail_retry')
    let status = 500
    const srv = await recordingServer(() => ({ status }))
    const p = startSync(c.args('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s', '--webhook-backoff=1s'))
    await waitFor(() => srv.hits.length >= 2, 60_000, () => p.output)
    status = 200
    const n = srv.hits.length
    await waitFor(() => srv.hits.length === n + 1, 60_000, () => p.output)
    await sleep(800)
    assert.equal(srv.hits.length, n + 1, 'stops retrying after a success')
  })

  void conformance('webhook_success_once', async () => {
    const c = newCase('webhook_success_once')
    const srv = await recordingServer(() => ({ status: 200 }))
    const p = await runSync(c.args('--one-time', `--webhook-url=${srv.url}`, '--webhook-timeout=20s'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(srv.hits.length, 1)
  })

  void conformance('webhook_fail_retry_once', async () => {
    const c = newCase('webhook_fail_retry_once')
    const srv = await recordingServer(() => ({ status: 500 }))
    const p = await runSync(c.args('--one-time', `--webhook-url=${srv.url}`, '--webhook-timeout=20s'))
    assert.notEqual(p.exitCode, 0)
    assert.equal(fileIn(c.link), 'webhook_fail_retry_once')
    assert.equal(srv.hits.length, 1)
  })

  void conformance('webhook_fire_and_forget', async () => {
    const c = newCase('webhook_fire_and_forget')
    const srv = await recordingServer(() => ({ status: 404 }))
    const p = startSync(c.args('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s', '--webhook-success-status=0'))
    await waitFor(() => srv.hits.length === 1, 60_000, () => p.output)
    await sleep(800)
    assert.equal(srv.hits.length, 1, 'a 404 is not retried when fire-and-forget')
  })

  void conformance('hooks_coalesce_to_latest_hash', async () => {
    const c = newCase('hooks_coalesce')
    let status = 500
    const srv = await recordingServer(() => ({ status }))
    const p = startSync(c.args('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s', '--webhook-backoff=1s'))
    await waitFor(() => srv.hits.length >= 1, 60_000, () => p.output)
    const first = srv.hits[0]?.headers['gitsync-hash']
    c.repo.commit('2'); await waitForContent(c.link, '2', p)
    c.repo.commit('3'); await waitForContent(c.link, '3', p)
    status = 200
    await waitFor(() => srv.hits.some((h) => h.headers['gitsync-hash'] === c.repo.head()), 60_000, () => p.output)
    const hashes = srv.hits.map((h) => h.headers['gitsync-hash'])
    assert.equal(hashes[0], first)
    assert.equal(hashes[hashes.length - 1], c.repo.head(), 'the last call carries the newest hash')
  })
})

