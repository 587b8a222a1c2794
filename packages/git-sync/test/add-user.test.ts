// --add-user: a passwd entry for the running UID, as the anchor writes it, so that ssh works
// under an arbitrary container UID. Runs against temp copies of passwd, never /etc/passwd.

import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { PodPatternsError } from '@pod-patterns/runtime'
import { addPasswdEntry, configFromArgs, startGitSync } from '../src/index.js'
import { SourceRepo, cleanupAll, fileIn, tempDir } from './helpers/fixture.js'
import { createLogger } from '@pod-patterns/runtime'

after(cleanupAll)
const quiet = createLogger({ name: 'git-sync-test', level: 'silent' })

void describe('--add-user', { concurrency: true }, () => {
  void test('adds git-sync:x:UID:GID::HOME:/sbin/nologin once, for a UID passwd lacks', async () => {
    const dir = tempDir('gs-passwd-')
    const file = join(dir, 'passwd')
    copyFileSync('/etc/passwd', file)
    const before = readFileSync(file, 'utf8')
    assert.equal(await addPasswdEntry({ file, uid: 54321, gid: 54322, home: '/tmp' }), true)
    assert.equal(readFileSync(file, 'utf8'), before + 'git-sync:x:54321:54322::/tmp:/sbin/nologin\n')
    assert.equal(await addPasswdEntry({ file, uid: 54321, gid: 54322, home: '/tmp' }), false, 'no second entry')
    assert.equal(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(':54321:')).length, 1)
  })

  void test('leaves a UID that already has an entry alone (the image lists 65533)', async () => {
    const file = join(tempDir('gs-passwd-'), 'passwd')
    writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\ngit-sync:x:65533:65533::/tmp:/sbin/nologin')
    assert.equal(await addPasswdEntry({ file, uid: 65533, gid: 65533 }), false)
    assert.equal(await addPasswdEntry({ file, uid: 1000, gid: 1000, home: '/h' }), true)
    assert.equal(readFileSync(file, 'utf8').split('\n')[2], 'git-sync:x:1000:1000::/h:/sbin/nologin', 'a missing final newline is added first')
  })

  void test('home is $HOME, else the working directory', async () => {
    const file = join(tempDir('gs-passwd-'), 'passwd')
    writeFileSync(file, '')
    const saved = process.env.HOME
    try {
      delete process.env.HOME
      await addPasswdEntry({ file, uid: 7001, gid: 7001 })
      process.env.HOME = '/home/from-env'
      await addPasswdEntry({ file, uid: 7002, gid: 7002 })
    } finally {
      if (saved === undefined) delete process.env.HOME; else process.env.HOME = saved
    }
    assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n'), [
      `git-sync:x:7001:7001::${process.cwd()}:/sbin/nologin`,
      'git-sync:x:7002:7002::/home/from-env:/sbin/nologin'
    ])
  })

  void test('an unwritable passwd file fails start-up with a clear error', async () => {
    const dir = tempDir('gs-passwd-')
    const notAFile = join(dir, 'passwd-is-a-dir')
    mkdirSync(notAFile)
    await assert.rejects(addPasswdEntry({ file: notAFile, uid: 4242, gid: 4242 }), (err: unknown) => {
      assert.ok(err instanceof PodPatternsError)
      assert.equal(err.code, 'ADD_USER_FAILED')
      assert.match(err.message, /--add-user: can't add a passwd entry to .*passwd-is-a-dir: EISDIR/)
      return true
    })
    const repo = new SourceRepo(join(dir, 'repo'), 'add-user')
    const config = configFromArgs([`--repo=${repo.url}`, `--root=${join(dir, 'root')}`, '--add-user', '--one-time'], {})
    await assert.rejects(startGitSync(config, { logger: quiet, passwdFile: join(dir, 'missing-dir', 'passwd') }), /ADD_USER_FAILED|can't add a passwd entry/)
  })

  void test('start-up with --add-user writes the entry for this process and syncs', async () => {
    const dir = tempDir('gs-passwd-')
    const file = join(dir, 'passwd')
    writeFileSync(file, 'someone:x:99999:99999::/nonexistent:/usr/sbin/nologin\n')
    const repo = new SourceRepo(join(dir, 'repo'), 'add-user sync')
    const config = configFromArgs([`--repo=${repo.url}`, `--root=${join(dir, 'root')}`, '--link=link', '--add-user', '--one-time'], {})
    const sync = await startGitSync(config, { logger: quiet, passwdFile: file })
    assert.equal(await sync.done, 0)
    const uid = process.getuid?.() ?? 0
    assert.match(readFileSync(file, 'utf8'), new RegExp(`^git-sync:x:${uid}:${process.getgid?.() ?? 0}::[^:]+:/sbin/nologin$`, 'm'))
    assert.equal(fileIn(join(dir, 'root', 'link')), 'add-user sync')
  })
})
