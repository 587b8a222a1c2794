// Conformance with kubernetes/git-sync v4's e2e cases: refs (HEAD, branches, tags, SHAs, links).
// Each test runs the real CLI against file:// repos and asserts on files, link and metrics.

import assert from 'node:assert/strict'
import { writeFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { cleanupAll, exists, fileIn, linkSha, metric, runSync, sleep, startSync, waitFor, waitForContent, waitMetric } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'

after(cleanupAll)
const GOOD = 'git_sync_count_total{status="success"}'
const FETCH = 'git_fetch_count_total'

void describe('conformance: refs', { concurrency: 2 }, () => {
  async function moveForwardBack (name: string, extra: string[], linkRel = 'link', rootSub = ''): Promise<void> {
    const c = newCase(name)
    c.repo.commit(`${name} 1`)
    const root = c.root + rootSub
    const args = [`--repo=${c.repo.url}`, `--root=${root}`, `--link=${linkRel}`, '--period=100ms', '--http-bind=127.0.0.1:0', '--http-metrics', ...extra]
    const p = startSync(args)
    const link = linkRel.startsWith('/') ? linkRel : join(root, linkRel)
    const port = await p.httpPort()
    await waitForContent(link, `${name} 1`, p)
    await waitMetric(port, GOOD, 1)
    assert.equal(await metric(port, FETCH) !== undefined, true)
    c.repo.commit(`${name} 2`)
    await waitForContent(link, `${name} 2`, p)
    assert.equal(linkSha(link), c.repo.head())
    await waitMetric(port, GOOD, 2)
    c.repo.resetBack()
    await waitForContent(link, `${name} 1`, p)
    await waitMetric(port, GOOD, 3)
    assert.equal(linkSha(link), c.repo.head())
    if (linkRel !== 'link') assert.ok(!exists(join(root, 'link')))
  }

  void conformance('sync_default_ref', async () => {
    const c = newCase('sync_default_ref')
    c.repo.commit('sync_default_ref 1')
    c.repo.git('checkout', '-q', '-b', 'weird-name')
    const p = startSync(c.httpArgs('--period=100ms'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'sync_default_ref 1', p)
    await waitMetric(port, GOOD, 1)
    await sleep(300) // a few idle polls: fetches that bring nothing are not counted, as in the anchor
    assert.equal(await metric(port, FETCH), 1)
    c.repo.commit('sync_default_ref 2')
    await waitForContent(c.link, 'sync_default_ref 2', p)
    await waitMetric(port, GOOD, 2)
    await sleep(300) // a few idle polls: fetches that bring nothing are not counted, as in the anchor
    assert.equal(await metric(port, FETCH), 2)
    c.repo.resetBack()
    await waitForContent(c.link, 'sync_default_ref 1', p)
    await waitMetric(port, GOOD, 3)
    await sleep(300) // a few idle polls: fetches that bring nothing are not counted, as in the anchor
    assert.equal(await metric(port, FETCH), 3)
  })

  void conformance('sync_head', async () => { await moveForwardBack('sync_head', ['--ref=HEAD']) })
  void conformance('sync_head_absolute_link', async () => {
    const c = newCase('x')
    await moveForwardBack('sync_head_absolute_link', ['--ref=HEAD'], join(c.dir, 'other/dir/link'), '/root')
  })
  void conformance('sync_head_subdir_link', async () => { await moveForwardBack('sync_head_subdir_link', ['--ref=HEAD'], 'other/dir/link') })

  void conformance('readlink', async () => {
    const c = newCase('readlink')
    const p = startSync(c.args('--period=100ms'))
    await waitFor(() => linkSha(c.link) === c.repo.head(), 60_000, () => p.output)
    assert.equal(readlinkSync(c.link), `.worktrees/${c.repo.head()}`)
    c.repo.commit('readlink 2')
    await waitFor(() => linkSha(c.link) === c.repo.head(), 60_000, () => p.output)
    c.repo.resetBack()
    await waitFor(() => linkSha(c.link) === c.repo.head(), 60_000, () => p.output)
  })

  void conformance('sync_branch', async () => {
    const c = newCase('sync_branch')
    c.repo.git('checkout', '-q', '-b', 'other-branch')
    c.repo.commit('sync_branch 1')
    c.repo.git('checkout', '-q', 'e2e-branch')
    const p = startSync(c.httpArgs('--period=100ms', '--ref=other-branch'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'sync_branch 1', p)
    c.repo.git('checkout', '-q', 'other-branch')
    c.repo.commit('sync_branch 2')
    c.repo.git('checkout', '-q', 'e2e-branch')
    await waitForContent(c.link, 'sync_branch 2', p)
    c.repo.git('checkout', '-q', 'other-branch')
    c.repo.resetBack()
    c.repo.git('checkout', '-q', 'e2e-branch')
    await waitForContent(c.link, 'sync_branch 1', p)
    await waitMetric(port, GOOD, 3)
  })

  void conformance('sync_branch_switch', async () => {
    const c = newCase('sync_branch_switch')
    c.repo.commit('sync_branch_switch 1')
    let p = await runSync(c.args('--one-time', '--ref=e2e-branch', '--depth=1'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'sync_branch_switch 1')
    c.repo.git('checkout', '-q', '-b', 'e2e-branch2')
    c.repo.commit('sync_branch_switch 2')
    p = await runSync(c.args('--one-time', '--ref=e2e-branch2'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'sync_branch_switch 2')
  })

  for (const annotated of [false, true]) {
    const name = annotated ? 'sync_annotated_tag' : 'sync_tag'
    void conformance(name, async () => {
      const c = newCase(name)
      const tag = (msg: string): void => { if (annotated) c.repo.git('tag', '-af', 'e2e-tag', '-m', msg); else c.repo.git('tag', '-f', 'e2e-tag') }
      c.repo.commit(`${name} 1`); tag('1')
      const p = startSync(c.httpArgs('--period=100ms', '--ref=e2e-tag'))
      const port = await p.httpPort()
      await waitForContent(c.link, `${name} 1`, p)
      c.repo.commit(`${name} 2`); tag('2')
      await waitForContent(c.link, `${name} 2`, p)
      c.repo.resetBack(); tag('3')
      await waitForContent(c.link, `${name} 1`, p)
      await waitMetric(port, GOOD, 3)
      c.repo.commit(`${name} 3`) // after the tag: must not be synced
      await sleep(1000)
      assert.equal(fileIn(c.link), `${name} 1`)
      await waitMetric(port, GOOD, 3)
    })
  }

  void conformance('sync_sha', async () => {
    const c = newCase('sync_sha')
    const sha = c.repo.commit('sync_sha 1')
    const p = startSync(c.httpArgs('--period=100ms', `--ref=${sha}`))
    const port = await p.httpPort()
    await waitForContent(c.link, 'sync_sha 1', p)
    assert.equal(await metric(port, FETCH), 1)
    c.repo.commit('sync_sha 2')
    await sleep(1000)
    assert.equal(fileIn(c.link), 'sync_sha 1')
    // Idle on a SHA: no more fetches, still alive.
    assert.equal(await metric(port, FETCH), 1)
    await waitMetric(port, GOOD, 1)
    assert.equal(p.exitCode, undefined)
  })

  void conformance('sync_sha_once', async () => {
    const c = newCase('sync_sha_once')
    const p = await runSync(c.args('--one-time', `--ref=${c.repo.head()}`))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'sync_sha_once')
  })

  void conformance('sync_sha_once_sync_different_sha_known', async () => {
    const c = newCase('sha_known')
    const sha1 = c.repo.commit('known 1')
    const sha2 = c.repo.commit('known 2')
    c.repo.commit('known 3')
    assert.equal((await runSync(c.args('--one-time', `--ref=${sha1}`))).exitCode, 0)
    assert.equal(fileIn(c.link), 'known 1')
    assert.equal((await runSync(c.args('--one-time', `--ref=${sha2}`))).exitCode, 0)
    assert.equal(fileIn(c.link), 'known 2')
  })

  void conformance('sync_sha_once_sync_different_sha_unknown', async () => {
    const c = newCase('sha_unknown')
    const sha1 = c.repo.commit('unknown 1')
    assert.equal((await runSync(c.args('--one-time', `--ref=${sha1}`))).exitCode, 0)
    const sha2 = c.repo.commit('unknown 2')
    c.repo.commit('unknown 3')
    const p = await runSync(c.args('--one-time', `--ref=${sha2}`))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'unknown 2')
  })

  void conformance('sync_sha_shafile_exists', async () => {
    const c = newCase('shafile')
    const sha1 = c.repo.commit('shafile 1')
    const sha2 = c.repo.commit('shafile 2')
    assert.equal((await runSync(c.args('--one-time', `--ref=${sha1}`))).exitCode, 0)
    writeFileSync(join(c.root, sha2), '')
    const p = await runSync(c.args('--one-time', `--ref=${sha2}`))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'shafile 2')
  })

  void conformance('sync_repo_switch', async () => {
    const c = newCase('sync_repo_switch')
    c.repo.commit('switch 1')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    const other = newCase('sync_repo_switch2')
    other.repo.commit('switch 2')
    const p = await runSync(['--one-time', `--repo=${other.repo.url}`, `--root=${c.root}`, '--link=link'])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'switch 2')
  })
})

