// Conformance with kubernetes/git-sync v4's auth cases, against real servers started here:
// git http-backend behind basic auth, Debian sshd on a loopback port, an askpass-URL service
// and a fake GitHub API.

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, describe, test } from 'node:test'
import { COOKIE_FILE } from '../src/auth.js'
import { SourceRepo, cleanupAll, exists, fileIn, git, linkSha, onCleanup, runSync, startSync, tempDir, waitForContent } from './helpers/fixture.js'
import { GitHttpServer } from './helpers/git-http-server.js'
import { Sshd, keygen } from './helpers/sshd.js'
import { fakeGitHub, recordingServer } from './helpers/servers.js'
import { conformance } from './helpers/case.js'

after(cleanupAll)

async function httpCase (name: string, users: Record<string, string> | (() => Record<string, string>) = { testuser: 'testpass' }): Promise<{ dir: string, repo: SourceRepo, server: GitHttpServer, root: string, link: string }> {
  const dir = tempDir(`gs-${name.slice(0, 16)}-`)
  const repo = new SourceRepo(join(dir, 'srv/repo'), name)
  const server = new GitHttpServer({ projectRoot: join(dir, 'srv'), users })
  await server.start()
  return { dir, repo, server, root: join(dir, 'root'), link: join(dir, 'root/link') }
}

void describe('conformance: auth over http', { concurrency: 2 }, () => {
  // --cookie-file: git sends the cookies in /etc/git-secret/cookie_file (the anchor's fixed path;
  // the test writes it, and leaves an operator's own file alone).
  void test('auth_http_cookie_file', { timeout: 120_000 }, async (t) => {
    if (existsSync(COOKIE_FILE)) { t.skip(`${COOKIE_FILE} exists: not replacing it`); return }
    const created = !existsSync(dirname(COOKIE_FILE))
    try {
      mkdirSync(dirname(COOKIE_FILE), { recursive: true })
      writeFileSync(COOKIE_FILE, '')
    } catch (err) { t.skip(`cannot write ${COOKIE_FILE}: ${(err as Error).message}`); return }
    onCleanup(() => { rmSync(created ? dirname(COOKIE_FILE) : COOKIE_FILE, { recursive: true, force: true }) })
    const dir = tempDir('gs-cookie-')
    const repo = new SourceRepo(join(dir, 'srv/repo'), 'auth_http_cookie_file')
    const server = new GitHttpServer({ projectRoot: join(dir, 'srv'), cookie: 'gitsession=s3ss10n-value' })
    await server.start()
    writeFileSync(COOKIE_FILE, `127.0.0.1\tFALSE\t/\tFALSE\t0\tgitsession\ts3ss10n-value\n`)
    const root = join(dir, 'root')
    const base = ['--one-time', `--repo=${server.url('repo')}`, `--root=${root}`, '--link=link']
    const without = await runSync(base)
    assert.notEqual(without.exitCode, 0, 'without --cookie-file the server refuses git')
    assert.match(without.output, /403/)
    assert.ok(server.rejected > 0)
    const withCookie = await runSync([...base, '--cookie-file'])
    assert.equal(withCookie.exitCode, 0, withCookie.output)
    assert.equal(fileIn(join(root, 'link')), 'auth_http_cookie_file')
    assert.equal(repo.head(), linkSha(join(root, 'link')))
  })

  void conformance('auth_http_password', async () => {
    const c = await httpCase('auth_http_password')
    const base = ['--one-time', `--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link']
    let p = await runSync([...base, '--username=wrong'], { env: { GITSYNC_PASSWORD: 'testpass' } })
    assert.notEqual(p.exitCode, 0)
    p = await runSync([...base, '--username=testuser'], { env: { GITSYNC_PASSWORD: 'wrong' } })
    assert.notEqual(p.exitCode, 0)
    assert.ok(!exists(join(c.link, 'file')))
    p = await runSync([...base, '--username=testuser'], { env: { GITSYNC_PASSWORD: 'testpass' } })
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'auth_http_password')
  })

  void conformance('auth_http_password_in_url', async () => {
    const c = await httpCase('auth_http_password_in_url')
    const url = (u: string, pw: string): string => `http://${u}:${pw}@127.0.0.1:${c.server.port}/repo`
    const base = ['--one-time', `--root=${c.root}`, '--link=link']
    assert.notEqual((await runSync([...base, `--repo=${url('wrong', 'testpass')}`])).exitCode, 0)
    assert.notEqual((await runSync([...base, `--repo=${url('testuser', 'wrong')}`])).exitCode, 0)
    const p = await runSync([...base, `--repo=${url('testuser', 'testpass')}`])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'auth_http_password_in_url')
    assert.ok(!p.output.includes('testpass'), 'password from the URL never logged')
  })

  void conformance('auth_http_password_file', async () => {
    const c = await httpCase('auth_http_password_file')
    const pwFile = join(c.dir, 'password-file')
    const base = ['--one-time', `--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link', '--username=testuser', `--password-file=${pwFile}`]
    writeFileSync(pwFile, 'wrong')
    assert.notEqual((await runSync(base)).exitCode, 0)
    writeFileSync(pwFile, 'testpass')
    const p = await runSync(base)
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'auth_http_password_file')
  })

  void conformance('auth_http_password_file_reload', async () => {
    let password = 'first'
    const c = await httpCase('password_file_reload', () => ({ testuser: password }))
    const pwFile = join(c.dir, 'password-file')
    writeFileSync(pwFile, 'first\n')
    const p = startSync([`--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link', '--username=testuser', `--password-file=${pwFile}`, '--period=100ms', '--max-failures=-1'])
    await waitForContent(c.link, 'password_file_reload', p)
    password = 'rotated'
    c.repo.commit('after rotation')
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(fileIn(c.link), 'password_file_reload', 'old password no longer works')
    writeFileSync(pwFile, 'rotated\n')
    await waitForContent(c.link, 'after rotation', p)
  })

  void conformance('auth_askpass_url_wrong_password', async () => {
    const c = await httpCase('askpass_wrong')
    const ask = await recordingServer(() => ({ status: 200, body: 'username=testuser\npassword=wrong\n' }))
    const p = await runSync(['--one-time', `--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link', `--askpass-url=${ask.url}/git_askpass`])
    assert.notEqual(p.exitCode, 0)
    assert.ok(!exists(join(c.link, 'file')))
    assert.equal(ask.hits.length, 1)
  })

  void conformance('auth_askpass_url_correct_password', async () => {
    const c = await httpCase('askpass_correct')
    const ask = await recordingServer(() => ({ status: 200, body: 'username=testuser\npassword=testpass\n' }))
    const p = await runSync(['--one-time', `--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link', `--askpass-url=${ask.url}/git_askpass`])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'askpass_correct')
  })

  for (const [name, respond] of [
    ['auth_askpass_url_sometimes_wrong', (n: number) => ({ status: 200, body: `username=testuser\npassword=${n % 2 === 0 ? 'testpass' : 'wrong'}\n` })],
    ['auth_askpass_url_flaky', (n: number) => n % 2 === 0 ? { status: 200, body: 'username=testuser\npassword=testpass\n' } : { status: 503 }]
  ] as const) {
    void conformance(name, async () => {
      const c = await httpCase(name)
      const ask = await recordingServer((_h, n) => respond(n))
      c.repo.commit(`${name} 1`)
      const p = startSync([`--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link', `--askpass-url=${ask.url}/git_askpass`, '--period=100ms', '--max-failures=2'])
      await waitForContent(c.link, `${name} 1`, p)
      c.repo.commit(`${name} 2`)
      await waitForContent(c.link, `${name} 2`, p)
      c.repo.resetBack()
      await waitForContent(c.link, `${name} 1`, p)
      assert.equal(p.exitCode, undefined)
    })
  }

  void conformance('auth_askpass_url_slow_start', async () => {
    const c = await httpCase('askpass_slow')
    let up = false
    const ask = await recordingServer(() => up ? { status: 200, body: 'username=testuser\npassword=testpass\n' } : { status: 503 })
    const p = startSync([`--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link', `--askpass-url=${ask.url}/git_askpass`, '--period=300ms', '--max-failures=-1'])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.ok(!exists(c.link))
    up = true
    await waitForContent(c.link, 'askpass_slow', p)
  })

  for (const [name, flag] of [['auth_github_app_application_id', 'application'], ['auth_github_app_client_id', 'client']] as const) {
    void conformance(name, async () => {
      const issuer = flag === 'application' ? '12345' : 'Iv1.testclient'
      const gh = await fakeGitHub(777, issuer)
      const c = await httpCase(name, () => Object.fromEntries(gh.tokensIssued.map((t) => ['x-access-token', t])))
      const keyFile = join(c.dir, 'app.pem')
      writeFileSync(keyFile, gh.privateKeyPem)
      const p = await runSync(['--one-time', `--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link',
        flag === 'application' ? `--github-app-application-id=${issuer}` : `--github-app-client-id=${issuer}`,
        '--github-app-installation-id=777', `--github-app-private-key-file=${keyFile}`, `--github-base-url=${gh.url}/`])
      assert.equal(p.exitCode, 0, p.output)
      assert.equal(fileIn(c.link), name)
      assert.equal(gh.tokensIssued.length, 1)
      assert.ok(!p.output.includes(gh.tokensIssued[0] as string), 'token never logged')
    })
  }

  void conformance('auth_github_app_token_refreshed_before_expiry', async () => {
    // Tokens that expire within the 5-minute refresh margin are replaced before the next sync.
    const gh = await fakeGitHub(9, '42', 60_000)
    const c = await httpCase('gh_refresh', () => Object.fromEntries(gh.tokensIssued.map((t) => ['x-access-token', t])))
    const keyFile = join(c.dir, 'app.pem')
    writeFileSync(keyFile, gh.privateKeyPem)
    const p = startSync([`--repo=${c.server.url('repo')}`, `--root=${c.root}`, '--link=link', '--period=200ms', '--max-failures=-1',
      '--github-app-application-id=42', '--github-app-installation-id=9', `--github-app-private-key-file=${keyFile}`, `--github-base-url=${gh.url}`])
    await waitForContent(c.link, 'gh_refresh', p)
    c.repo.commit('gh 2')
    await waitForContent(c.link, 'gh 2', p)
    assert.ok(gh.tokensIssued.length >= 2, `tokens issued: ${gh.tokensIssued.length}`)
  })

  void conformance('submodule_sync_over_http_different_passwords', async () => {
    const dir = tempDir('gs-sub-http-')
    const nested = new SourceRepo(join(dir, 's3/repo'), 'nested-submodule')
    const s3 = new GitHttpServer({ projectRoot: join(dir, 's3'), users: { test: 'test1' } }); await s3.start()
    const sub = new SourceRepo(join(dir, 's2/repo'), 'submodule')
    const s2 = new GitHttpServer({ projectRoot: join(dir, 's2'), users: { test: 'test2' } }); await s2.start()
    const top = new SourceRepo(join(dir, 's1/repo'), 'top')
    const s1 = new GitHttpServer({ projectRoot: join(dir, 's1'), users: { test: 'test3' } }); await s1.start()
    // Wire the submodules by file path, then point .gitmodules at the HTTP URLs.
    sub.git('submodule', 'add', '-q', nested.url, 'nested-sub')
    sub.git('config', '-f', '.gitmodules', 'submodule.nested-sub.url', s3.url('repo'))
    sub.git('commit', '-qam', 'add nested')
    top.git('submodule', 'add', '-q', sub.url, 'sub')
    top.git('config', '-f', '.gitmodules', 'submodule.sub.url', s2.url('repo'))
    top.git('commit', '-qam', 'add sub')
    const cred = (s: GitHttpServer, pw: string): string => `--credential={"url": "${s.url('repo')}", "username": "test", "password": "${pw}"}`
    const root = join(dir, 'root')
    const p = await runSync(['--one-time', `--repo=${s1.url('repo')}`, `--root=${root}`, '--link=link', cred(s3, 'test1'), cred(s2, 'test2'), cred(s1, 'test3')])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(root, 'link')), 'top')
    assert.equal(fileIn(join(root, 'link/sub')), 'submodule')
    assert.equal(fileIn(join(root, 'link/sub/nested-sub')), 'nested-submodule')
  })
})

void describe('conformance: auth over ssh', { concurrency: 2 }, () => {
  async function sshCase (name: string): Promise<{ dir: string, repo: SourceRepo, sshd: Sshd, keys: string[], root: string, link: string, home: string }> {
    const dir = tempDir(`gs-${name.slice(0, 16)}-`)
    const repo = new SourceRepo(join(dir, 'repo'), name)
    const keys = [1, 2, 3].map((i) => { const k = join(dir, `id_${i}`); keygen(k); return k })
    const sshd = new Sshd(join(dir, 'sshd'))
    const pub = (await import('node:fs')).readFileSync(`${keys[2] as string}.pub`, 'utf8')
    await sshd.start([pub.trim()]) // only key #3, to exercise several keys
    const home = join(dir, 'home')
    mkdirSync(join(home, '.ssh'), { recursive: true })
    writeFileSync(join(home, '.ssh/config'), `Host gitserver\n  HostName 127.0.0.1\n  Port ${sshd.port}\n`)
    return { dir, repo, sshd, keys, root: join(dir, 'root'), link: join(dir, 'root/link'), home }
  }

  for (const [name, scp] of [['auth_ssh', true], ['auth_ssh_url', false]] as const) {
    void conformance(name, async () => {
      const c = await sshCase(name)
      const url = scp ? `${c.sshd.user}@gitserver:${c.repo.dir}` : `ssh://${c.sshd.user}@127.0.0.1:${c.sshd.port}${c.repo.dir}`
      const base = ['--one-time', `--repo=${url}`, `--root=${c.root}`, '--link=link', '--ssh-known-hosts=false']
      const bad = await runSync([...base, `--ssh-key-file=${c.keys[1] as string}`], { env: { HOME: c.home } })
      assert.notEqual(bad.exitCode, 0)
      assert.ok(!exists(join(c.link, 'file')))
      const p = await runSync([...base, ...c.keys.map((k) => `--ssh-key-file=${k}`)], { env: { HOME: c.home } })
      assert.equal(p.exitCode, 0, p.output)
      assert.equal(fileIn(c.link), name)
    })
  }

  void conformance('auth_ssh_known_hosts_checked', async () => {
    const c = await sshCase('ssh_known_hosts')
    const kh = join(c.dir, 'known_hosts')
    const url = `ssh://${c.sshd.user}@127.0.0.1:${c.sshd.port}${c.repo.dir}`
    const base = ['--one-time', `--repo=${url}`, `--root=${c.root}`, '--link=link', `--ssh-key-file=${c.keys[2] as string}`, `--ssh-known-hosts-file=${kh}`]
    writeFileSync(kh, `[127.0.0.1]:${c.sshd.port} ${keygenPub(c.dir)}\n`)
    const bad = await runSync(base)
    assert.notEqual(bad.exitCode, 0)
    assert.match(bad.output, /host key|Host key/i)
    writeFileSync(kh, c.sshd.knownHostsLine() + '\n')
    const p = await runSync(base)
    assert.equal(p.exitCode, 0, p.output)
  })

  void conformance('submodule_sync_over_ssh_different_keys', async () => {
    const dir = tempDir('gs-sub-ssh-')
    const keys = [1, 2, 3].map((i) => { const k = join(dir, `id_${i}`); keygen(k); return k })
    const { readFileSync } = await import('node:fs')
    const pub = (i: number): string => readFileSync(`${keys[i] as string}.pub`, 'utf8').trim()
    const servers = await Promise.all([0, 1, 2].map(async (i) => { const s = new Sshd(join(dir, `sshd${i}`)); await s.start([pub(i)]); return s }))
    const user = servers[0]?.user ?? 'root'
    const nested = new SourceRepo(join(dir, 'nested'), 'nested-submodule')
    const sub = new SourceRepo(join(dir, 'sub'), 'submodule')
    const top = new SourceRepo(join(dir, 'top'), 'top')
    const url = (s: Sshd | undefined, path: string): string => `ssh://${user}@127.0.0.1:${s?.port ?? 0}${path}`
    sub.git('submodule', 'add', '-q', nested.url, 'nested-sub')
    sub.git('config', '-f', '.gitmodules', 'submodule.nested-sub.url', url(servers[0], nested.dir))
    sub.git('commit', '-qam', 'add nested')
    top.git('submodule', 'add', '-q', sub.url, 'sub')
    top.git('config', '-f', '.gitmodules', 'submodule.sub.url', url(servers[1], sub.dir))
    top.git('commit', '-qam', 'add sub')
    const root = join(dir, 'root')
    const p = await runSync(['--one-time', `--repo=${url(servers[2], top.dir)}`, `--root=${root}`, '--link=link', '--ssh-known-hosts=false', ...keys.map((k) => `--ssh-key-file=${k}`)])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(join(root, 'link/sub')), 'submodule')
    assert.equal(fileIn(join(root, 'link/sub/nested-sub')), 'nested-submodule')
    git(root, ['status']) // the root stays a valid repo
  })
})

function keygenPub (dir: string): string {
  const k = join(dir, `other_host_${Math.random().toString(36).slice(2)}`)
  return keygen(k)
}
