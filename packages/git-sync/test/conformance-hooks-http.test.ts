// Conformance with kubernetes/git-sync v4's e2e cases: exec hook and webhook semantics, the
// HTTP endpoints, and submodules (default/nested, depth, off, shallow, relative URLs).

import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { SourceRepo, cleanupAll, exists, fileIn, git, readIf, runSync, script, sleep, startSync, waitFor, waitForContent, waitMetric } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'
import { recordingServer } from './helpers/servers.js'

after(cleanupAll)
const GOOD = 'git_sync_count_total{status="success"}'
const lines = (p: string): number => (readIf(p) ?? '').split('\n').filter((l) => l !== '').length

/** A hook script in the spirit of the anchor's: records its run and copies file into the worktree. */
function hookScript (dir: string, fail = false, sleepS = 0): { path: string, runlog: string } {
  const runlog = join(dir, 'runlog')
  writeFileSync(runlog, '')
  const path = script(dir, fail ? 'hook-fail.sh' : 'hook.sh', [
    sleepS > 0 ? `sleep ${sleepS}` : '',
    `date >> ${runlog}`,
    'cat file > exechook',
    'echo "ENVKEY=$ENVKEY" > exechook-env',
    'echo "$GITSYNC_HASH" > exechook-hash',
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
    await waitFor(() => fileIn(c.link, 'exechook') === 'exechook_success 1', 30_000, () => p.output)
    assert.equal(fileIn(c.link, 'exechook-env'), 'ENVKEY=envval')
    assert.equal(fileIn(c.link, 'exechook-hash'), c.repo.head())
    assert.equal(lines(h.runlog), 1)
    c.repo.commit('exechook_success 2')
    await waitFor(() => fileIn(c.link, 'exechook') === 'exechook_success 2', 30_000, () => p.output)
    assert.equal(lines(h.runlog), 2)
  })

  void conformance('exechook_fail_retry', async () => {
    const c = newCase('exechook_fail_retry')
    const h = hookScript(c.dir, true)
    const p = startSync(c.args('--period=100ms', `--exechook-command=${h.path}`, '--exechook-backoff=300ms'))
    await waitFor(() => lines(h.runlog) >= 3, 30_000, () => p.output)
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

void describe('conformance: webhook', { concurrency: 2 }, () => {
  void conformance('webhook_success', async () => {
    const c = newCase('webhook_success')
    const srv = await recordingServer(() => ({ status: 200 }))
    const p = startSync(c.args('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s', '--webhook-success-status=200'))
    await waitFor(() => srv.hits.length === 1, 30_000, () => p.output)
    assert.equal(srv.hits[0]?.headers['gitsync-hash'], c.repo.head())
    assert.equal(srv.hits[0]?.method, 'POST')
    c.repo.commit('webhook_success 2')
    await waitFor(() => srv.hits.length === 2, 30_000, () => p.output)
    assert.equal(srv.hits[1]?.headers['gitsync-hash'], c.repo.head())
    await sleep(500)
    assert.equal(srv.hits.length, 2)
  })

  void conformance('webhook_fail_retry', async () => {
    const c = newCase('webhook_fail_retry')
    let status = 500
    const srv = await recordingServer(() => ({ status }))
    const p = startSync(c.args('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s', '--webhook-backoff=300ms'))
    await waitFor(() => srv.hits.length >= 2, 30_000, () => p.output)
    status = 200
    const n = srv.hits.length
    await waitFor(() => srv.hits.length === n + 1, 30_000, () => p.output)
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
    await waitFor(() => srv.hits.length === 1, 30_000, () => p.output)
    await sleep(800)
    assert.equal(srv.hits.length, 1, 'a 404 is not retried when fire-and-forget')
  })

  void conformance('hooks_coalesce_to_latest_hash', async () => {
    const c = newCase('hooks_coalesce')
    let status = 500
    const srv = await recordingServer(() => ({ status }))
    const p = startSync(c.args('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s', '--webhook-backoff=1s'))
    await waitFor(() => srv.hits.length >= 1, 30_000, () => p.output)
    const first = srv.hits[0]?.headers['gitsync-hash']
    c.repo.commit('2'); await waitForContent(c.link, '2', p)
    c.repo.commit('3'); await waitForContent(c.link, '3', p)
    status = 200
    await waitFor(() => srv.hits.some((h) => h.headers['gitsync-hash'] === c.repo.head()), 30_000, () => p.output)
    const hashes = srv.hits.map((h) => h.headers['gitsync-hash'])
    assert.equal(hashes[0], first)
    assert.equal(hashes[hashes.length - 1], c.repo.head(), 'the last call carries the newest hash')
  })
})

void describe('conformance: http', { concurrency: 2 }, () => {
  void conformance('expose_http', async () => {
    const c = newCase('expose_http')
    const slow = script(c.dir, 'slow.sh', 'if [ "$1" = fetch ]; then sleep 2; fi\nexec git "$@"')
    const p = startSync(c.httpArgs('--period=100ms', `--git=${slow}`, '--http-pprof'))
    const port = await p.httpPort()
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 503)
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503)
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 30_000, () => p.output)
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200)
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200)
    const pprof = await fetch(`http://127.0.0.1:${port}/debug/pprof/`)
    assert.equal(pprof.status, 200)
    await pprof.text()
    const prof = await fetch(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=0.2`)
    assert.equal(prof.status, 200)
    assert.ok(Array.isArray((await prof.json() as { nodes: unknown[] }).nodes))
    const heap = await fetch(`http://127.0.0.1:${port}/debug/pprof/heap`)
    assert.equal(heap.status, 200)
    assert.ok((await heap.json() as { snapshot: unknown }).snapshot !== undefined)
  })

  void conformance('expose_http_after_restart', async () => {
    const c = newCase('expose_http_after_restart')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    const p = startSync(c.httpArgs())
    const port = await p.httpPort()
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 30_000, () => p.output)
    assert.equal(fileIn(c.link), 'expose_http_after_restart')
    await waitMetric(port, 'git_sync_count_total{status="noop"}', 1)
  })

  void conformance('metrics_names_match_the_anchor', async () => {
    const c = newCase('metrics_names')
    const srv = await recordingServer(() => ({ status: 200 }))
    const p = startSync(c.httpArgs('--period=100ms', `--webhook-url=${srv.url}`, '--webhook-timeout=20s'))
    const port = await p.httpPort()
    await waitMetric(port, GOOD, 1)
    await waitMetric(port, 'git_sync_hook_run_count_total{name="webhook",status="success"}', 1)
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    for (const name of ['git_sync_duration_seconds', 'git_sync_count_total', 'git_fetch_count_total', 'git_sync_askpass_calls', 'git_sync_hook_run_count_total',
      'git_sync_last_success_timestamp_seconds', 'git_sync_current_hash_info', 'process_cpu_seconds_total']) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name)
    }
    assert.match(text, new RegExp(`^git_sync_current_hash_info\\{hash="${c.repo.head()}"\\} 1$`, 'm'))
  })
})

void describe('conformance: submodules', { concurrency: 2 }, () => {
  function subRepo (dir: string, name: string, content: string): SourceRepo {
    return new SourceRepo(join(dir, name), content)
  }

  void conformance('submodule_sync_default', async () => {
    const c = newCase('submodule_sync_default')
    const sub = subRepo(c.dir, 'sub', 'submodule')
    const nested = subRepo(c.dir, 'nested-sub', 'nested-submodule')
    c.repo.git('submodule', 'add', '-q', sub.url, 'sub')
    c.repo.git('commit', '-qam', 'add submodule')
    const p = startSync(c.httpArgs('--period=100ms'))
    const port = await p.httpPort()
    await waitFor(() => fileIn(join(c.link, 'sub')) === 'submodule', 30_000, () => p.output)
    await waitMetric(port, GOOD, 1)
    const bump = (msg: string): void => {
      c.repo.git('submodule', 'update', '-q', '--recursive', '--remote')
      c.repo.git('commit', '-qam', msg)
    }
    sub.commit('submodule 2'); bump('2')
    await waitFor(() => fileIn(join(c.link, 'sub')) === 'submodule 2', 30_000, () => p.output)
    sub.resetBack(); bump('3')
    await waitFor(() => fileIn(join(c.link, 'sub')) === 'submodule', 30_000, () => p.output)
    sub.git('submodule', 'add', '-q', nested.url, 'nested-sub'); sub.git('commit', '-qam', 'add nested'); bump('4')
    await waitFor(() => fileIn(join(c.link, 'sub/nested-sub')) === 'nested-submodule', 30_000, () => p.output)
    sub.git('rm', '-qf', 'nested-sub'); sub.git('commit', '-qam', 'rm nested'); bump('5')
    await waitFor(() => fileIn(c.link, 'sub/file') === 'submodule' && !exists(join(c.link, 'sub/nested-sub/file')), 30_000, () => p.output)
    c.repo.git('rm', '-qf', 'sub'); c.repo.git('commit', '-qam', 'rm sub')
    await waitFor(() => !exists(join(c.link, 'sub/file')), 30_000, () => p.output)
    await waitMetric(port, GOOD, 6)
  })

  void conformance('submodule_sync_depth', async () => {
    const c = newCase('submodule_sync_depth')
    const sub = subRepo(c.dir, 'sub', 'sub 1')
    sub.commit('sub 2')
    c.repo.git('submodule', 'add', '-q', sub.url, 'sub')
    c.repo.git('config', '-f', '.gitmodules', 'submodule.sub.shallow', 'true')
    c.repo.git('commit', '-qam', 'add')
    const p = await runSync(c.args('--one-time', '--depth=1'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(c.link, 'sub')), 'sub 2')
    assert.equal(git(c.link, ['rev-list', 'HEAD']).trim().split('\n').length, 1)
    assert.equal(git(join(c.link, 'sub'), ['rev-list', 'HEAD']).trim().split('\n').length, 1)
  })

  void conformance('submodule_sync_off', async () => {
    const c = newCase('submodule_sync_off')
    const sub = subRepo(c.dir, 'sub', 'submodule')
    c.repo.git('submodule', 'add', '-q', sub.url, 'sub')
    c.repo.git('commit', '-qam', 'add')
    const p = await runSync(c.args('--one-time', '--submodules=off'))
    assert.equal(p.exitCode, 0, p.output)
    assert.ok(!exists(join(c.link, 'sub/file')))
  })

  void conformance('submodule_sync_shallow', async () => {
    const c = newCase('submodule_sync_shallow')
    const nested = subRepo(c.dir, 'nested-sub', 'nested')
    const sub = subRepo(c.dir, 'sub', 'submodule')
    sub.git('submodule', 'add', '-q', nested.url, 'nested-sub'); sub.git('commit', '-qam', 'add nested')
    c.repo.git('submodule', 'add', '-q', sub.url, 'sub'); c.repo.git('commit', '-qam', 'add')
    const p = await runSync(c.args('--one-time', '--submodules=shallow'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(c.link, 'sub')), 'submodule')
    assert.ok(!exists(join(c.link, 'sub/nested-sub/file')))
  })

  void conformance('submodule_sync_relative', async () => {
    const c = newCase('submodule_sync_relative')
    subRepo(c.dir, 'sub', 'submodule')
    c.repo.git('submodule', 'add', '-q', '../sub', 'sub')
    c.repo.git('commit', '-qam', 'add')
    const p = await runSync(c.args('--one-time'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(c.link, 'sub')), 'submodule')
    assert.match(readFileSync(join(c.link, '.gitmodules'), 'utf8'), /url = \.\.\/sub/)
  })
})
