// Unit tests of the pure pieces: push verification and ref matching, URL credential stripping,
// the GitHub App JWT.

import assert from 'node:assert/strict'
import { createHmac, createVerify, generateKeyPairSync } from 'node:crypto'
import { describe, test } from 'node:test'
import { createLogger } from '@pod-patterns/runtime'
import { githubAppJwt, refMatches, splitUrlCredentials, verifyPush } from '../src/index.js'
import { HookRunner, type Hook } from '../src/hooks.js'

void describe('trigger verification', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}')
  const hmac = (s: string): string => createHmac('sha256', s).update(body).digest('hex')
  void test('GitHub, Gitea, GitLab and bearer tokens verify against the secret', () => {
    assert.equal(verifyPush({ 'x-hub-signature-256': `sha256=${hmac('k')}` }, body, 'k'), 'github')
    assert.equal(verifyPush({ 'x-gitea-signature': hmac('k') }, body, 'k'), 'gitea')
    assert.equal(verifyPush({ 'x-gogs-signature': hmac('k') }, body, 'k'), 'gitea')
    assert.equal(verifyPush({ 'x-gitlab-token': 'k' }, body, 'k'), 'gitlab')
    assert.equal(verifyPush({ authorization: 'Bearer k' }, body, 'k'), 'token')
  })
  void test('wrong or missing signatures do not verify', () => {
    assert.equal(verifyPush({ 'x-hub-signature-256': `sha256=${hmac('other')}` }, body, 'k'), undefined)
    assert.equal(verifyPush({ 'x-hub-signature-256': 'sha256=' }, body, 'k'), undefined)
    assert.equal(verifyPush({ 'x-gitlab-token': 'kk' }, body, 'k'), undefined)
    assert.equal(verifyPush({ authorization: 'Basic k' }, body, 'k'), undefined)
    assert.equal(verifyPush({}, body, 'k'), undefined)
  })
  void test('pushed refs match --ref by branch or tag name', () => {
    assert.ok(refMatches('refs/heads/main', 'main'))
    assert.ok(refMatches('refs/tags/v1', 'v1'))
    assert.ok(refMatches('refs/heads/anything', 'HEAD'))
    assert.ok(!refMatches('refs/heads/other', 'main'))
    assert.ok(!refMatches('refs/heads/main', 'a'.repeat(40).replace(/a/g, 'f')))
  })
})

void describe('credentials in URLs', () => {
  void test('user and password are taken out of http(s) URLs', () => {
    assert.deepEqual(splitUrlCredentials('https://u:p%40ss@host:8443/org/repo.git'), { url: 'https://host:8443/org/repo.git', username: 'u', password: 'p@ss' })
    assert.deepEqual(splitUrlCredentials('https://host/repo'), { url: 'https://host/repo' })
    assert.deepEqual(splitUrlCredentials('git@host:org/repo'), { url: 'git@host:org/repo' })
    assert.deepEqual(splitUrlCredentials('ssh://git@host/repo'), { url: 'ssh://git@host/repo' })
  })
})

void describe('GitHub App JWT', () => {
  void test('is RS256-signed with iss, iat 60 s back and a 9-minute expiry', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwt = githubAppJwt('123', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 1_000_000)
    const [h, p, s] = jwt.split('.') as [string, string, string]
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'RS256', typ: 'JWT' })
    assert.deepEqual(JSON.parse(Buffer.from(p, 'base64url').toString()), { iat: 999_940, exp: 1_000_540, iss: '123' })
    const v = createVerify('RSA-SHA256')
    v.update(`${h}.${p}`)
    assert.ok(v.verify(publicKey, Buffer.from(s, 'base64url')))
  })
})

void describe('HookRunner.sendAndWait (the pre-publish hook)', () => {
  const quiet = createLogger({ name: 'test', level: 'silent' })
  /** A hook whose runs fail while `failing` is true; records the hashes it ran for. */
  const flaky = (): { hook: Hook, runs: string[], setFailing: (f: boolean) => void } => {
    const runs: string[] = []
    let failing = true
    return {
      runs,
      setFailing: (f) => { failing = f },
      hook: { name: 'pre-publish-exechook', run: async (hash) => { runs.push(hash); await Promise.resolve(); if (failing) throw new Error('hook failed') } }
    }
  }

  void test('resolves with the first run\'s outcome; a failed run is retried in the background until it succeeds', async () => {
    const f = flaky()
    const counts: string[] = []
    const r = new HookRunner(f.hook, 20, quiet, (s) => { counts.push(s) })
    assert.equal(await r.sendAndWait('a', '/tmp'), false)
    assert.deepEqual(f.runs, ['a'])
    await new Promise((resolve) => setTimeout(resolve, 70))
    assert.ok(f.runs.length >= 2, 'retried with backoff')
    f.setFailing(false)
    await new Promise((resolve) => setTimeout(resolve, 70))
    const settled = f.runs.length
    await new Promise((resolve) => setTimeout(resolve, 70))
    assert.equal(f.runs.length, settled, 'no runs after one succeeded')
    assert.equal(counts.at(-1), 'success')
    assert.equal(await r.sendAndWait('b', '/tmp'), true)
    assert.equal(f.runs.at(-1), 'b')
    await r.stop()
  })

  void test('a newer hash replaces one still being retried; stopping answers false and runs nothing more', async () => {
    const f = flaky()
    const r = new HookRunner(f.hook, 10_000, quiet, () => undefined)
    assert.equal(await r.sendAndWait('old', '/tmp'), false)
    // 'old' waits 10 s to be retried; 'new' wakes the runner and runs at once.
    f.setFailing(false)
    assert.equal(await r.sendAndWait('new', '/tmp'), true)
    assert.deepEqual(f.runs, ['old', 'new'])
    await r.stop()
    assert.equal(await r.sendAndWait('late', '/tmp'), false)
    assert.deepEqual(f.runs, ['old', 'new'])
  })

  void test('a hash a sync waits for does not wait out the backoff of an older hash that failed', async () => {
    let release: (() => void) | undefined
    const runs: string[] = []
    const hook: Hook = {
      name: 'pre-publish-exechook',
      run: async (hash) => {
        runs.push(hash)
        if (hash === 'old') {
          await new Promise<void>((resolve) => { release = resolve })
          throw new Error('old fails')
        }
      }
    }
    const r = new HookRunner(hook, 60_000, quiet, () => undefined)
    r.send('old', '/tmp')
    while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 5))
    // 'new' is queued while 'old' is still running; 'old' then fails.
    const waited = r.sendAndWait('new', '/tmp')
    const t0 = Date.now()
    release()
    assert.equal(await waited, true)
    assert.ok(Date.now() - t0 < 5000, 'ran without the 60 s backoff')
    assert.deepEqual(runs, ['old', 'new'])
    await r.stop()
  })

  void test('a sync that gives up (deadline, shutdown) stops its hook run, gets false at once, and the hash is not retried', async () => {
    const runs: string[] = []
    let killed = 0
    const hook: Hook = {
      name: 'pre-publish-exechook',
      run: async (hash, _worktree, signal) => {
        runs.push(hash)
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, 60_000)
          signal.addEventListener('abort', () => { clearTimeout(t); killed++; reject(new Error('stopped')) }, { once: true })
        })
      }
    }
    const counts: string[] = []
    const r = new HookRunner(hook, 10, quiet, (s) => { counts.push(s) })
    const ac = new AbortController()
    const waited = r.sendAndWait('a', '/tmp', ac.signal)
    while (runs.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const t0 = Date.now()
    ac.abort(new Error('sync timed out'))
    assert.equal(await waited, false)
    assert.ok(Date.now() - t0 < 1000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.deepEqual(runs, ['a'], 'not retried')
    assert.equal(killed, 1)
    assert.deepEqual(counts, [], 'a stopped run is not counted as a hook failure')
    await r.stop()
  })

  void test('stop() stops a run in progress instead of waiting for it', async () => {
    let started = false
    const hook: Hook = {
      name: 'exechook',
      run: async (_hash, _worktree, signal) => {
        started = true
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, 60_000)
          signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('stopped')) }, { once: true })
        })
      }
    }
    const r = new HookRunner(hook, 10, quiet, () => undefined)
    r.send('a', '/tmp')
    while (!started) await new Promise((resolve) => setTimeout(resolve, 5))
    const t0 = Date.now()
    await r.stop()
    assert.ok(Date.now() - t0 < 1000, 'stopped at once')
  })
})

