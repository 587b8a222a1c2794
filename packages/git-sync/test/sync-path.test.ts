// The git commands one sync spawns: a first sync runs only what publishing needs, and the
// cleanup steps (prune, reflog expiry, gc) run only once a worktree was removed, as the anchor's.
// A branch's SHA comes from FETCH_HEAD and `worktree add` checks out: two processes fewer than
// the anchor's fetch, rev-parse, worktree add --no-checkout, reset.

import assert from 'node:assert/strict'
import { appendFileSync, existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { cleanupAll, fileIn, git, runSync, script, tempDir } from './helpers/fixture.js'
import { newCase } from './helpers/case.js'
import { fetchedCommit } from '../src/repo-sync.js'

after(cleanupAll)

/** A --git wrapper that logs each subcommand, one line per git process git-sync starts. */
function loggingGit (dir: string): { wrapper: string, commands: () => string[], reset: () => void } {
  const log = join(dir, 'git-commands.log')
  writeFileSync(log, '')
  // The subcommand, past any leading `-c key=value` pairs.
  const wrapper = script(dir, 'git-logging.sh', [
    'sub=""; arg=""; skip=0',
    'for a in "$@"; do',
    '  if [ $skip = 1 ]; then skip=0; elif [ -z "$sub" ] && [ "$a" = -c ]; then skip=1; elif [ -z "$sub" ]; then sub=$a; else arg=$a; break; fi',
    'done',
    `echo "$sub" >> ${log}`,
    `[ "$sub" = config ] && echo "config $arg" >> ${log}`,
    'exec git "$@"'
  ].join('\n'))
  return {
    wrapper,
    commands: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''),
    reset: () => { writeFileSync(log, '') }
  }
}

void describe('sync path', () => {
  void test('a first sync spawns init, fetch and worktree add only; an update adds prune, reflog expiry and gc', { timeout: 240_000 }, async () => {
    const c = newCase('sync_path_commands')
    const g = loggingGit(c.dir)
    const first = await runSync(c.args('--one-time', `--git=${g.wrapper}`))
    assert.equal(first.exitCode, 0, first.output)
    assert.equal(fileIn(c.link), 'sync_path_commands')
    assert.deepEqual(g.commands(), ['init', 'fetch', 'worktree'])
    // The remote is recorded in the fresh root's config without a `git config` process.
    assert.equal(git(c.root, ['config', '--get', 'remote.origin.url']).trim(), c.repo.url)

    c.repo.commit('second')
    g.reset()
    const second = await runSync(c.args('--one-time', `--git=${g.wrapper}`))
    assert.equal(second.exitCode, 0, second.output)
    assert.equal(fileIn(c.link), 'second')
    const cmds = g.commands().filter((l) => !l.startsWith('config '))
    // Start-up checks of an existing root, then the sync (the published tree's file list and the
    // new worktree's creation run side by side, so either may log first; then the checkout of
    // what changed), then the cleanup of the old worktree.
    const tail = cmds.slice(-7)
    assert.deepEqual([tail[0], ...[tail[1], tail[2]].sort(), ...tail.slice(3)], ['fetch', 'ls-files', 'worktree', 'checkout', 'worktree', 'reflog', 'gc'])
    const configs = g.commands().filter((l) => l.startsWith('config '))
    assert.deepEqual(configs, ['config --get'], 'the recorded remote is read, and unchanged, so not rewritten')
  })

  void test('an annotated tag is peeled by git (rev-parse), and a sparse checkout still configures before it checks out', { timeout: 240_000 }, async () => {
    const c = newCase('sync_path_tag')
    const sha = c.repo.head()
    c.repo.git('tag', '-a', '-m', 'release', 'v1')
    const g = loggingGit(c.dir)
    const p = await runSync(c.args('--one-time', '--ref=v1', `--git=${g.wrapper}`))
    assert.equal(p.exitCode, 0, p.output)
    assert.deepEqual(g.commands(), ['init', 'fetch', 'rev-parse', 'worktree'])
    assert.equal(git(c.root, ['-C', 'link', 'rev-parse', 'HEAD']).trim(), sha)

    const s = newCase('sync_path_sparse')
    s.repo.commit('kept', 'keep/a')
    s.repo.commit('dropped', 'drop/b')
    const sparse = join(s.dir, 'sparse')
    writeFileSync(sparse, '/keep/\n')
    const gs = loggingGit(s.dir)
    const q = await runSync(s.args('--one-time', `--sparse-checkout-file=${sparse}`, `--git=${gs.wrapper}`))
    assert.equal(q.exitCode, 0, q.output)
    assert.deepEqual(gs.commands().filter((l) => !l.startsWith('config ')), ['init', 'fetch', 'worktree', 'config', 'config', 'reset'])
    assert.equal(fileIn(s.link, 'keep/a'), 'kept')
    assert.throws(() => readFileSync(join(s.link, 'drop/b')), /ENOENT/)
  })

  void test('an update hard-links unchanged files from the published tree and writes only what changed', { timeout: 240_000 }, async () => {
    const c = newCase('sync_path_reuse')
    c.repo.commit('stays', 'dir/same')
    c.repo.commit('before', 'changes')
    const keep = ['--stale-worktree-timeout=1h', '--git-gc=off']
    assert.equal((await runSync(c.args('--one-time', ...keep))).exitCode, 0)
    const first = realpathSync(c.link)
    // A consumer's stray file and an in-place edit in the published tree must not carry over.
    writeFileSync(join(first, 'untracked'), 'made by a hook\n')
    c.repo.commit('after', 'changes')
    const p = await runSync(c.args('--one-time', ...keep))
    assert.equal(p.exitCode, 0, p.output)
    const second = realpathSync(c.link)
    assert.notEqual(second, first)
    assert.equal(statSync(join(second, 'dir/same')).ino, statSync(join(first, 'dir/same')).ino, 'unchanged file is a hard link')
    assert.notEqual(statSync(join(second, 'changes')).ino, statSync(join(first, 'changes')).ino, 'changed file is a new file')
    assert.equal(fileIn(second, 'changes'), 'after')
    assert.equal(fileIn(first, 'changes'), 'before', 'the published tree never changes under its readers')
    assert.equal(existsSync(join(second, 'untracked')), false, 'only tracked files are carried over')
    assert.equal(git(second, ['status', '--porcelain']).trim(), '', 'the new worktree is a clean checkout')

    // Edited in place (the inode both trees share): the next tree gets the commit's content back.
    appendFileSync(join(second, 'dir/same'), 'edited in place\n')
    c.repo.commit('third', 'changes')
    const q = await runSync(c.args('--one-time', ...keep))
    assert.equal(q.exitCode, 0, q.output)
    const third = realpathSync(c.link)
    assert.equal(fileIn(third, 'dir/same'), 'stays')
    assert.equal(fileIn(third, 'changes'), 'third')
    assert.equal(git(third, ['status', '--porcelain']).trim(), '')

    // Turned off: every file is written anew, as the anchor does.
    c.repo.commit('fourth', 'changes')
    const r = await runSync(c.args('--one-time', '--reuse-unchanged-files=false', ...keep))
    assert.equal(r.exitCode, 0, r.output)
    const fourth = realpathSync(c.link)
    assert.notEqual(statSync(join(fourth, 'dir/same')).ino, statSync(join(third, 'dir/same')).ino)
    assert.equal(fileIn(fourth, 'changes'), 'fourth')
  })

  void test('FETCH_HEAD names the commit for a branch or HEAD, and leaves tags and SHAs to git', () => {
    const dir = tempDir('gs-fetch-head-')
    const src = join(dir, 'src')
    git(dir, ['init', '-q', '-b', 'main', src])
    writeFileSync(join(src, 'f'), 'x\n')
    git(src, ['add', 'f'])
    git(src, ['commit', '-qm', 'one'])
    git(src, ['tag', '-a', '-m', 'annotated', 'va'])
    git(src, ['tag', 'vl'])
    git(src, ['update-ref', 'refs/remotes/o/main', 'HEAD'])
    const head = git(src, ['rev-parse', 'HEAD']).trim()
    const dst = join(dir, 'dst')
    git(dir, ['init', '-q', dst])
    const fetchHead = join(dst, '.git', 'FETCH_HEAD')
    const after = (ref: string): string | undefined => { git(dst, ['fetch', '-q', src, ref]); return fetchedCommit(fetchHead) }
    assert.equal(after('main'), head)
    assert.equal(after('refs/heads/main'), head)
    assert.equal(after('HEAD'), head)
    assert.equal(after('va'), undefined, 'annotated tag: git must peel it')
    assert.equal(after('vl'), undefined, 'a tag ref is always left to git')
    assert.equal(after('refs/remotes/o/main'), undefined, 'only branches and HEAD are trusted')
    assert.equal(after(head), undefined, 'a SHA may name a tag object')
    assert.equal(fetchedCommit(join(dir, 'missing')), undefined)
    writeFileSync(fetchHead, 'not a sha\t\tbranch \'main\' of x\n')
    assert.equal(fetchedCommit(fetchHead), undefined)
    writeFileSync(fetchHead, `${head}\tnot-for-merge\tbranch 'main' of x\n`)
    assert.equal(fetchedCommit(fetchHead), undefined)
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
