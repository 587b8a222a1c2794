// Conformance with kubernetes/git-sync v4's e2e cases: root initialisation, refs, worktrees.
// Each test runs the real CLI against file:// repos and asserts on files, link and metrics.

import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { cleanupAll, exists, fileIn, git, runSync } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'

after(cleanupAll)

void describe('conformance: init', { concurrency: 2 }, () => {
  void conformance('init_root_doesnt_exist', async () => {
    const c = newCase('init_root_doesnt_exist')
    const p = await runSync(['--one-time', `--repo=${c.repo.url}`, `--root=${c.root}/subdir`, '--link=link'])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(c.root, 'subdir/link')), 'init_root_doesnt_exist')
  })

  void conformance('init_root_exists_empty', async () => {
    const c = newCase('init_root_exists_empty')
    mkdirSync(c.root)
    const p = await runSync(c.args('--one-time'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'init_root_exists_empty')
  })

  void conformance('init_root_flag_is_weird', async () => {
    const c = newCase('init_root_flag_is_weird')
    mkdirSync(c.root)
    const p = await runSync(['--one-time', `--repo=${c.repo.url}`, `--root=../../../../../${c.root}/../../../../../../${c.root}`, '--link=link'], { cwd: c.dir })
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'init_root_flag_is_weird')
  })

  void conformance('init_root_flag_has_symlink', async () => {
    const c = newCase('init_root_flag_has_symlink')
    mkdirSync(join(c.root, 'subdir'), { recursive: true })
    symlinkSync(join(c.root, 'subdir'), join(c.root, 'rootlink'))
    const p = await runSync(['--one-time', `--repo=${c.repo.url}`, `--root=${c.root}/rootlink`, '--link=link'])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(c.root, 'subdir/link')), 'init_root_flag_has_symlink')
  })

  void conformance('init_root_is_under_another_repo', async () => {
    const c = newCase('init_root_is_under_another_repo')
    mkdirSync(join(c.root, 'subdir/root'), { recursive: true })
    writeFileSync(join(c.root, 'subdir/root/file'), 'not empty')
    git(join(c.root, 'subdir'), ['init', '-q'])
    const p = await runSync(['--one-time', `--repo=${c.repo.url}`, `--root=${c.root}/subdir/root`, '--link=link'])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(c.root, 'subdir/root/link')), 'init_root_is_under_another_repo')
  })

  void conformance('init_root_fails_sanity', async () => {
    const c = newCase('init_root_fails_sanity')
    mkdirSync(c.root)
    git(c.root, ['init', '-q'])
    writeFileSync(join(c.root, '.git/HEAD'), 'ref: refs/heads/nonexist\n')
    // Also corrupt the object store so fsck fails: a dangling ref to a missing object.
    writeFileSync(join(c.root, '.git/refs/heads/broken'), '0123456789012345678901234567890123456789\n')
    const p = await runSync(c.args('--one-time'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'init_root_fails_sanity')
    assert.ok(!existsSync(join(c.root, '.git/refs/heads/broken')), 'broken root was wiped')
  })

  void conformance('bad_ref_non_zero_exit', async () => {
    const c = newCase('bad_ref_non_zero_exit')
    const p = await runSync(c.args('--one-time', '--ref=does-not-exist'))
    assert.notEqual(p.exitCode, 0)
    assert.ok(!exists(c.link))
    assert.match(p.output, /couldn't find remote ref does-not-exist/)
  })
})

