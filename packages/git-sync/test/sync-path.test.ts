// The git commands one sync spawns: a first sync runs only what publishing needs, and the
// cleanup steps (prune, reflog expiry, gc) run only once a worktree was removed, as the anchor's.

import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { cleanupAll, fileIn, git, runSync, script } from './helpers/fixture.js'
import { newCase } from './helpers/case.js'

after(cleanupAll)

/** A --git wrapper that logs each subcommand, one line per git process git-sync starts. */
function loggingGit (dir: string): { wrapper: string, commands: () => string[], reset: () => void } {
  const log = join(dir, 'git-commands.log')
  writeFileSync(log, '')
  const wrapper = script(dir, 'git-logging.sh', `echo "$1" >> ${log}\n[ "$1" = config ] && echo "config $2" >> ${log}\nexec git "$@"`)
  return {
    wrapper,
    commands: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''),
    reset: () => { writeFileSync(log, '') }
  }
}

void describe('sync path', () => {
  void test('a first sync spawns init, fetch, rev-parse, worktree add and reset only; an update adds prune, reflog expiry and gc', { timeout: 240_000 }, async () => {
    const c = newCase('sync_path_commands')
    const g = loggingGit(c.dir)
    const first = await runSync(c.args('--one-time', `--git=${g.wrapper}`))
    assert.equal(first.exitCode, 0, first.output)
    assert.equal(fileIn(c.link), 'sync_path_commands')
    assert.deepEqual(g.commands(), ['init', 'fetch', 'rev-parse', 'worktree', 'reset'])
    // The remote is recorded in the fresh root's config without a `git config` process.
    assert.equal(git(c.root, ['config', '--get', 'remote.origin.url']).trim(), c.repo.url)

    c.repo.commit('second')
    g.reset()
    const second = await runSync(c.args('--one-time', `--git=${g.wrapper}`))
    assert.equal(second.exitCode, 0, second.output)
    assert.equal(fileIn(c.link), 'second')
    const cmds = g.commands().filter((l) => !l.startsWith('config '))
    // Start-up checks of an existing root, then the sync, then the cleanup of the old worktree.
    assert.deepEqual(cmds.slice(-7), ['fetch', 'rev-parse', 'worktree', 'reset', 'worktree', 'reflog', 'gc'])
    const configs = g.commands().filter((l) => l.startsWith('config '))
    assert.deepEqual(configs, ['config --get'], 'the recorded remote is read, and unchanged, so not rewritten')
  })

  void test('a repo switch on the same root rewrites the recorded remote', { timeout: 240_000 }, async () => {
    const a = newCase('sync_path_switch_a')
    const b = newCase('sync_path_switch_b')
    assert.equal((await runSync(a.args('--one-time'))).exitCode, 0)
    const args = a.args('--one-time').map((x) => x.startsWith('--repo=') ? `--repo=${b.repo.url}` : x)
    const p = await runSync(args)
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(a.link), 'sync_path_switch_b')
    assert.equal(git(a.root, ['config', '--get', 'remote.origin.url']).trim(), b.repo.url)
  })
})
