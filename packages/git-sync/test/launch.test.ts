// The bin as users and the image run it (dist/src/launch.cjs): the bundled CLI with V8's compile
// cache. A broken cache location or a bad flag value must not cost the CLI anything.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { BIN, cleanupAll, runSync, tempDir } from './helpers/fixture.js'

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
