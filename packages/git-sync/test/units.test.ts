// Unit tests of the pure pieces: push verification and ref matching, URL credential stripping,
// the GitHub App JWT.

import assert from 'node:assert/strict'
import { createHmac, createVerify, generateKeyPairSync } from 'node:crypto'
import { describe, test } from 'node:test'
import { githubAppJwt, refMatches, splitUrlCredentials, verifyPush } from '../src/index.js'

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
