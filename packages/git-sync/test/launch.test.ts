// The bin as users and the image run it (dist/src/launch.cjs): the bundled CLI with a code cache
// of its own. A broken cache location, a stale or damaged cache, or a bad flag value must not cost
// the CLI anything.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, describe, test } from 'node:test'
import { BIN, NODE, SourceRepo, cleanupAll, linkSha, runSync, tempDir, testGitEnv } from './helpers/fixture.js'

after(cleanupAll)

void describe('the git-sync bin', () => {
  void test('runs the CLI when NODE_COMPILE_CACHE names a place that cannot hold a cache', async () => {
    assert.match(BIN, /launch\.cjs$/)
    const file = join(tempDir(), 'a-file')
    writeFileSync(file, 'not a directory')
    for (const dir of ['/dev/null/no-such-dir', '', file, join(file, 'below-a-file')]) {
      const p = await runSync(['--version'], { env: { ...process.env, NODE_COMPILE_CACHE: dir } })
      assert.equal(p.exitCode, 0, `NODE_COMPILE_CACHE=${JSON.stringify(dir)}: ${p.output}`)
      assert.match(p.stdout, /^git-sync \d+\.\d+\.\d+/)
    }
  })

  void test('runs with the compile cache turned off', async () => {
    const p = await runSync(['--version'], { env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } })
    assert.equal(p.exitCode, 0, p.output)
    assert.match(p.stdout, /^git-sync /)
  })

  void test('a bad --reuse-unchanged-files value is a usage error naming the flag, and nothing is synced', async () => {
    const root = tempDir()
    const p = await runSync(['--repo=file:///nonexistent', `--root=${root}`, '--one-time', '--reuse-unchanged-files=sometimes'])
    assert.equal(p.exitCode, 2, p.output)
    assert.match(p.stderr, /--reuse-unchanged-files/)
    assert.match(p.stderr, /sometimes/)
  })
})

/** A copy of the built package (bin, bundle, package.json) in a temp dir, with no cache yet. */
function packageCopy (): { dir: string, bin: string, bundle: string, cacheDir: string } {
  const pkg = join(dirname(BIN), '..', '..')
  const dir = tempDir('gs-pkg-')
  for (const p of ['package.json', 'dist/src/launch.cjs', 'dist/cli/git-sync.cjs']) {
    mkdirSync(dirname(join(dir, p)), { recursive: true })
    cpSync(join(pkg, p), join(dir, p))
  }
  return { dir, bin: join(dir, 'dist/src/launch.cjs'), bundle: join(dir, 'dist/cli/git-sync.cjs'), cacheDir: join(dir, '.compile-cache') }
}

const cacheEnv = (): NodeJS.ProcessEnv => {
  const env = testGitEnv(tempDir())
  delete env.NODE_COMPILE_CACHE
  delete env.NODE_DISABLE_COMPILE_CACHE
  return env
}

/** A --one-time sync of repo by the bin at `bin`; returns the published SHA. */
function syncWith (bin: string, repo: SourceRepo, env = cacheEnv()): string | undefined {
  const root = tempDir()
  execFileSync(NODE, [bin, `--repo=${repo.url}`, `--root=${root}`, '--link=link', '--one-time'], { env, stdio: 'pipe' })
  return linkSha(join(root, 'link'))
}

const cacheFiles = (dir: string): string[] => existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.v8cache')) : []

void describe('the bin\'s code cache', () => {
  void test('a first run writes the cache, stamped with the bundle\'s id, size and mtime; the next run uses it as it is', () => {
    const pkg = packageCopy()
    const repo = new SourceRepo(join(tempDir(), 'src'))
    assert.equal(syncWith(pkg.bin, repo), repo.head())
    const files = cacheFiles(pkg.cacheDir)
    assert.equal(files.length, 1, `cache files: ${files.join(', ')}`)
    const file = join(pkg.cacheDir, files[0] as string)
    assert.match(files[0] as string, new RegExp(`^git-sync-${execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()}-`))
    const id = /^\/\/ bundle-id: ([0-9a-f]{64})$/m.exec(readFileSync(pkg.bundle, 'utf8'))?.[1]
    assert.ok(id !== undefined, 'the bundle names its id')
    const st = statSync(pkg.bundle)
    assert.equal(readFileSync(file).subarray(0, 128).toString('latin1').trimEnd(), `${id} ${st.size} ${st.mtimeMs}`)
    assert.ok(statSync(file).size > 128 + 100_000, `cache of ${statSync(file).size} bytes`)
    const before = statSync(file)
    // A cache V8 refused would be written again at exit: the same inode and mtime mean it was used.
    const next = repo.commit('second')
    assert.equal(syncWith(pkg.bin, repo), next)
    const afterRun = statSync(file)
    assert.equal(afterRun.ino, before.ino)
    assert.equal(afterRun.mtimeMs, before.mtimeMs)
  })

  void test('only a run that did its work writes the cache: not --version, --help or a failed sync', () => {
    const pkg = packageCopy()
    for (const flag of ['--version', '--help', '-h']) {
      execFileSync(NODE, [pkg.bin, flag], { env: cacheEnv(), stdio: 'pipe' })
      assert.deepEqual(cacheFiles(pkg.cacheDir), [], `after ${flag}`)
    }
    assert.throws(() => execFileSync(NODE, [pkg.bin, '--repo=file:///nonexistent-repo', `--root=${tempDir()}`, '--one-time'], { env: cacheEnv(), stdio: 'pipe' }))
    assert.deepEqual(cacheFiles(pkg.cacheDir), [], 'after a failed sync')
    const repo = new SourceRepo(join(tempDir(), 'src'))
    assert.equal(syncWith(pkg.bin, repo), repo.head())
    assert.equal(cacheFiles(pkg.cacheDir).length, 1)
  })

  void test('a cache made for another bundle, or damaged, is not used: the CLI runs and the cache is written again', () => {
    const pkg = packageCopy()
    const repo = new SourceRepo(join(tempDir(), 'src'))
    assert.equal(syncWith(pkg.bin, repo), repo.head())
    const file = join(pkg.cacheDir, cacheFiles(pkg.cacheDir)[0] as string)
    // The bundle rebuilt in place (same id and size here, another mtime): the old cache is stale.
    const later = new Date(Date.now() + 60_000)
    utimesSync(pkg.bundle, later, later)
    assert.equal(syncWith(pkg.bin, repo), repo.head())
    const stamp = readFileSync(file).subarray(0, 128).toString('latin1')
    assert.ok(stamp.includes(` ${statSync(pkg.bundle).mtimeMs} `), `stamp after the rebuild: ${stamp.trimEnd()}`)
    // The right stamp over data V8 cannot use.
    writeFileSync(file, Buffer.concat([Buffer.from(stamp, 'latin1'), Buffer.alloc(50_000, 7)]))
    assert.equal(syncWith(pkg.bin, repo), repo.head())
    assert.ok(statSync(file).size > 128 + 100_000, 'the damaged cache was replaced by a real one')
    // A cache cut short.
    writeFileSync(file, readFileSync(file).subarray(0, 1000))
    assert.equal(syncWith(pkg.bin, repo), repo.head())
    assert.ok(statSync(file).size > 128 + 100_000, 'the truncated cache was replaced')
  })

  void test('runs where the package cannot hold a cache, with the cache turned off, and with a bundle that has no id', () => {
    const repo = new SourceRepo(join(tempDir(), 'src'))
    const blocked = packageCopy()
    writeFileSync(blocked.cacheDir, 'a file where the cache directory would be')
    assert.equal(syncWith(blocked.bin, repo), repo.head())
    assert.equal(readFileSync(blocked.cacheDir, 'utf8'), 'a file where the cache directory would be')

    const off = packageCopy()
    assert.equal(syncWith(off.bin, repo, { ...cacheEnv(), NODE_DISABLE_COMPILE_CACHE: '1' }), repo.head())
    assert.deepEqual(cacheFiles(off.cacheDir), [])

    const noId = packageCopy()
    writeFileSync(noId.bundle, readFileSync(noId.bundle, 'utf8').replace(/^\/\/ bundle-id: [0-9a-f]{64}$/m, '// (no id)'))
    assert.equal(syncWith(noId.bin, repo), repo.head())
    assert.deepEqual(cacheFiles(noId.cacheDir), [])
  })
})

void describe('simple-git tracing in the bundled CLI', () => {
  // The bundle swaps `debug` for a stand-in that loads it only when DEBUG is set (start-up time).
  void test('DEBUG=simple-git traces the git commands, as with the unbundled CLI; without DEBUG nothing is traced', async () => {
    const root = tempDir()
    const on = await runSync(['--repo=file:///nonexistent-repo-for-debug', `--root=${root}`, '--one-time'], { env: { ...process.env, DEBUG: 'simple-git' } })
    assert.notEqual(on.exitCode, 0, on.output)
    assert.match(on.stderr, /simple-git/, on.output)
    assert.match(on.stderr, /nonexistent-repo-for-debug/, on.output)
    const env = { ...process.env }
    delete env.DEBUG
    const off = await runSync(['--repo=file:///nonexistent-repo-for-debug', `--root=${tempDir()}`, '--one-time'], { env })
    assert.notEqual(off.exitCode, 0, off.output)
    assert.doesNotMatch(off.stderr, /simple-git/, off.output)
  })
})

void describe('what the bundled CLI loads before its first git command', () => {
  // scripts/bundle.mjs puts stand-ins in place of modules that third-party code loads at start-up
  // (assert in sonic-boom, worker_threads in pino, thread-stream), and our modules reach
  // fs.promises at the call: a first sync needs none of them before git runs.
  void test('a first sync starts git without loading assert, worker_threads or fs/promises, and syncs', () => {
    const dir = tempDir()
    const list = join(dir, 'modules.txt')
    const preload = join(dir, 'record.cjs')
    writeFileSync(preload, `
const cp = require('node:child_process')
const fs = require('node:fs')
const spawn = cp.ChildProcess.prototype.spawn
cp.ChildProcess.prototype.spawn = function (options) {
  if (!fs.existsSync(${JSON.stringify(list)})) fs.writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n'))
  return spawn.call(this, options)
}
`)
    const repo = new SourceRepo(join(tempDir(), 'src'))
    const root = tempDir()
    execFileSync(NODE, ['--require', preload, BIN, `--repo=${repo.url}`, `--root=${root}`, '--link=link', '--one-time'], { env: cacheEnv(), stdio: 'pipe' })
    assert.equal(linkSha(join(root, 'link')), repo.head())
    const loaded = readFileSync(list, 'utf8').split('\n')
    assert.ok(loaded.includes('NativeModule child_process'), 'the list is the one taken at the first spawn')
    for (const name of ['assert', 'worker_threads', 'fs/promises', 'internal/fs/promises']) {
      assert.ok(!loaded.includes(`NativeModule ${name}`), `${name} was loaded before the first git command`)
    }
  })
})
