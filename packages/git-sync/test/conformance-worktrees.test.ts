// Conformance with kubernetes/git-sync v4's e2e cases: worktree cleanup, recovery and upgrade.
// Each test runs the real CLI against file:// repos and asserts on files, link and metrics.

import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync, readlinkSync } from 'node:fs'
import { basename, join } from 'node:path'
import { after, describe } from 'node:test'
import { cleanupAll, exists, fileIn, git, metric, runSync, sleep, startSync, waitFor, waitForContent, waitMetric } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'

after(cleanupAll)
const GOOD = 'git_sync_count_total{status="success"}'

void describe('conformance: worktrees', { concurrency: 2 }, () => {
  void conformance('worktree_cleanup', async () => {
    const c = newCase('worktree_cleanup')
    const p = startSync(c.httpArgs('--period=100ms'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'worktree_cleanup', p)
    p.signal('SIGSTOP') // the anchor pauses the container; we stop the process
    try {
      c.repo.commit('worktree_cleanup-ok', 'file2')
      const sha = c.repo.head()
      c.repo.git('worktree', 'add', '-q', join(c.root, '.worktrees', sha), '-b', 'e2e', '--no-checkout')
      mkdirSync(join(c.root, '.worktrees/not_a_hash/subdir'), { recursive: true })
      writeFileSync(join(c.root, '.worktrees/not_a_directory'), '')
    } finally { p.signal('SIGCONT') }
    await waitForContent(c.link, 'worktree_cleanup-ok', p, 60_000, 'file2')
    await waitFor(() => !exists(join(c.root, '.worktrees/not_a_hash')) && !exists(join(c.root, '.worktrees/not_a_directory')))
    await waitMetric(port, GOOD, 2)
    assert.deepEqual(readdirSync(join(c.root, '.worktrees')), [c.repo.head()])
  })

  void conformance('worktree_unexpected_removal', async () => {
    const c = newCase('worktree_unexpected_removal')
    const p = startSync(c.httpArgs('--period=100ms'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'worktree_unexpected_removal', p)
    p.signal('SIGSTOP')
    rmSync(join(c.root, '.worktrees', c.repo.head()), { recursive: true, force: true })
    p.signal('SIGCONT')
    await waitFor(async () => await metric(port, GOOD) === 2, 60_000, () => p.output)
    await waitForContent(c.link, 'worktree_unexpected_removal', p)
  })

  void conformance('sync_recover_wrong_worktree_hash', async () => {
    const c = newCase('wrong_worktree_hash')
    const p = startSync(c.httpArgs('--period=100ms'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'wrong_worktree_hash', p)
    p.signal('SIGSTOP')
    writeFileSync(join(c.link, 'file'), 'unexpected\n')
    git(c.link, ['commit', '-qam', 'corrupt it'])
    p.signal('SIGCONT')
    await waitFor(async () => await metric(port, GOOD) === 2, 60_000, () => p.output)
    await waitForContent(c.link, 'wrong_worktree_hash', p)
  })

  void conformance('stale_worktree_timeout', async () => {
    const c = newCase('stale_worktree_timeout')
    const wt1 = c.repo.commit('stale 1')
    const p = startSync(c.args('--period=100ms', '--stale-worktree-timeout=15s'))
    await waitForContent(c.link, 'stale 1', p)
    const wt2 = c.repo.commit('stale 2', 'file2')
    await waitForContent(c.link, 'stale 2', p, 60_000, 'file2')
    assert.ok(exists(join(c.root, '.worktrees', wt1, 'file')), 'wt1 kept while fresh')
    await sleep(3000)
    const wt3 = c.repo.commit('stale 3', 'file3')
    await waitForContent(c.link, 'stale 3', p, 60_000, 'file3')
    assert.ok(exists(join(c.root, '.worktrees', wt1, 'file')))
    assert.ok(exists(join(c.root, '.worktrees', wt2, 'file2')))
    await waitFor(() => !exists(join(c.root, '.worktrees', wt1)), 40_000, 'wt1 to expire')
    assert.ok(exists(join(c.root, '.worktrees', wt2, 'file2')), 'wt2 went stale later and is still kept')
    await waitFor(() => !exists(join(c.root, '.worktrees', wt2)), 40_000, 'wt2 to expire')
    assert.ok(exists(join(c.root, '.worktrees', wt3, 'file3')), 'the current worktree is never removed')
  })

  void conformance('stale_worktree_timeout_restart', async () => {
    const c = newCase('stale_restart')
    const wt1 = c.repo.commit('restart 1')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    const wt2 = c.repo.commit('restart 2', 'file2')
    assert.equal((await runSync(c.args('--one-time', '--stale-worktree-timeout=60s'))).exitCode, 0)
    assert.ok(exists(join(c.root, '.worktrees', wt1, 'file')), 'wt1 kept: it only just stopped being current')
    const wt3 = c.repo.commit('restart 3', 'file3')
    assert.equal((await runSync(c.args('--one-time', '--stale-worktree-timeout=60s'))).exitCode, 0)
    assert.ok(exists(join(c.root, '.worktrees', wt1)) && exists(join(c.root, '.worktrees', wt2)))
    // Let a minute pass for wt1 only: its staleness clock is the directory's mtime, kept across restarts.
    const old = new Date(Date.now() - 61_000)
    utimesSync(join(c.root, '.worktrees', wt1), old, old)
    assert.equal((await runSync(c.args('--one-time', '--stale-worktree-timeout=60s'))).exitCode, 0)
    assert.ok(!exists(join(c.root, '.worktrees', wt1)), 'wt1 expired across restarts')
    assert.ok(exists(join(c.root, '.worktrees', wt2)), 'wt2 still fresh')
    assert.ok(exists(join(c.root, '.worktrees', wt3, 'file3')))
  })

  void conformance('v3_v4_upgrade_in_place', async () => {
    const c = newCase('v3_v4_upgrade_in_place')
    c.repo.commit('upgrade 1')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    const wt = readlinkSync(c.link)
    const sha = basename(wt)
    renameSync(join(c.root, wt), join(c.root, sha))
    rmSync(c.link)
    symlinkSync(sha, c.link)
    c.repo.commit('upgrade 2', 'file2')
    const p = await runSync(c.args('--one-time'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'upgrade 1')
    assert.equal(fileIn(c.link, 'file2'), 'upgrade 2')
    assert.ok(!exists(join(c.root, sha)))
  })

  void conformance('sync_crash_no_link_cleanup_retry', async () => {
    const c = newCase('crash_no_link')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    rmSync(c.link)
    const p = await runSync(c.args('--one-time'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'crash_no_link')
  })

  void conformance('sync_crash_no_worktree_cleanup_retry', async () => {
    const c = newCase('crash_no_worktree')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    rmSync(join(c.root, '.worktrees'), { recursive: true, force: true })
    const p = await runSync(c.args('--one-time'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'crash_no_worktree')
  })
  // Not an anchor case: a volume mounted at another path (another pod spec, a moved root).
  void conformance('root_mounted_elsewhere_keeps_worktrees_valid', async () => {
    const c = newCase('root_moved')
    const wt1 = c.repo.commit('moved 1')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    // The worktree's own .git pointer is relative, so the tree is a valid checkout wherever the
    // volume is mounted — what a consumer container (nginx at /usr/share/nginx) sees.
    const elsewhere = join(c.dir, 'mounted-elsewhere')
    renameSync(c.root, elsewhere)
    assert.equal(git(join(elsewhere, 'link'), ['rev-parse', 'HEAD']).trim(), wt1, 'git works in the tree at the new path')
    assert.match(readFileSync(join(elsewhere, '.worktrees', wt1, '.git'), 'utf8'), /^gitdir: \.\.\/\.\.\/\.git\/worktrees\//)
    // git-sync itself restarted on the new path: the old tree is kept (stale timeout) and must
    // stay a valid checkout — git would otherwise prune its records as "gitdir points nowhere".
    const wt2 = c.repo.commit('moved 2', 'file2')
    const p = await runSync([...c.args('--one-time', '--stale-worktree-timeout=1h').filter((a) => !a.startsWith('--root=')), `--root=${elsewhere}`])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(elsewhere, 'link'), 'file2'), 'moved 2')
    assert.equal(git(join(elsewhere, '.worktrees', wt1), ['rev-parse', 'HEAD']).trim(), wt1, 'the kept worktree is still a checkout')
    assert.equal(git(join(elsewhere, '.worktrees', wt2), ['status', '--porcelain']).trim(), '', 'the new worktree is clean')
    const listed = git(elsewhere, ['worktree', 'list', '--porcelain'])
    assert.ok(listed.includes(join(elsewhere, '.worktrees', wt1)) && !listed.includes(`${c.root}/`), listed)
  })
})
