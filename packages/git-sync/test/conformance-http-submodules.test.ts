// Conformance with kubernetes/git-sync v4's e2e cases: the HTTP endpoints and submodules
// (default/nested, depth, off, shallow, relative URLs).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { SourceRepo, cleanupAll, exists, fileIn, git, runSync, script, startSync, waitFor, waitMetric } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'
import { recordingServer } from './helpers/servers.js'

after(cleanupAll)
const GOOD = 'git_sync_count_total{status="success"}'

void describe('conformance: http', { concurrency: 2 }, () => {
  void conformance('expose_http', async () => {
    const c = newCase('expose_http')
    const slow = script(c.dir, 'slow.sh', 'if [ "$1" = fetch ]; then sleep 2; fi\nexec git "$@"')
    const p = startSync(c.httpArgs('--period=100ms', `--git=${slow}`, '--http-pprof'))
    const port = await p.httpPort()
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 503)
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503)
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 60_000, () => p.output)
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
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 60_000, () => p.output)
    assert.equal(fileIn(c.link), 'expose_http_after_restart')
    await waitMetric(port, 'git_sync_count_total{status="noop"}', 1)
  })

  void conformance('metrics_served_only_with_http_metrics', async () => {
    const c = newCase('metrics_off')
    // --http-bind alone: the anchor serves / (and we /healthz, /readyz) but no metrics.
    const p = startSync(c.args('--period=100ms', '--http-bind=127.0.0.1:0'))
    const port = await p.httpPort()
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 60_000, () => p.output)
    const res = await fetch(`http://127.0.0.1:${port}/metrics`)
    assert.equal(res.status, 404)
    assert.doesNotMatch(await res.text(), /git_sync_count_total/)
    assert.equal((await fetch(`http://127.0.0.1:${port}/debug/pprof/`)).status, 404, 'pprof is off without --http-pprof')
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200)
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
    await waitFor(() => fileIn(join(c.link, 'sub')) === 'submodule', 60_000, () => p.output)
    await waitMetric(port, GOOD, 1)
    const bump = (msg: string): void => {
      c.repo.git('submodule', 'update', '-q', '--recursive', '--remote')
      c.repo.git('commit', '-qam', msg)
    }
    sub.commit('submodule 2'); bump('2')
    await waitFor(() => fileIn(join(c.link, 'sub')) === 'submodule 2', 60_000, () => p.output)
    sub.resetBack(); bump('3')
    await waitFor(() => fileIn(join(c.link, 'sub')) === 'submodule', 60_000, () => p.output)
    sub.git('submodule', 'add', '-q', nested.url, 'nested-sub'); sub.git('commit', '-qam', 'add nested'); bump('4')
    await waitFor(() => fileIn(join(c.link, 'sub/nested-sub')) === 'nested-submodule', 60_000, () => p.output)
    sub.git('rm', '-qf', 'nested-sub'); sub.git('commit', '-qam', 'rm nested'); bump('5')
    await waitFor(() => fileIn(c.link, 'sub/file') === 'submodule' && !exists(join(c.link, 'sub/nested-sub/file')), 60_000, () => p.output)
    c.repo.git('rm', '-qf', 'sub'); c.repo.git('commit', '-qam', 'rm sub')
    await waitFor(() => !exists(join(c.link, 'sub/file')), 60_000, () => p.output)
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
