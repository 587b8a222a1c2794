// What git-sync v4 does not do, tested against real git: the push-to-deploy trigger, readiness
// that expires, signature verification, secrets never leaking, and failures that keep the last
// good tree published. (Atomic swaps under a reader: beyond-reader.solo.test.ts.)

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { BIN, cleanupAll, exists, fileIn, git, metric, readIf, runSync, script, sleep, startSync, tempDir, waitFor, waitForContent, waitMetric } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'
import { GitHttpServer } from './helpers/git-http-server.js'
import { SourceRepo } from './helpers/fixture.js'

after(cleanupAll)
const SECRET = 's3cr3t-trigger'

async function post (port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number, json: { result: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', connection: 'close', ...headers } })
  return { status: res.status, json: await res.json() as { result: string } }
}
const sign = (body: string, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('hex')

void describe('push-to-deploy trigger', { concurrency: 2 }, () => {
  void conformance('trigger_github_push_syncs_at_once', async () => {
    const c = newCase('trigger_github')
    writeFileSync(join(c.dir, 'secret'), SECRET + '\n')
    const p = startSync(c.httpArgs('--period=100s', '--ref=e2e-branch', '--trigger-path=/hook', `--trigger-secret-file=${join(c.dir, 'secret')}`))
    const port = await p.httpPort()
    await waitForContent(c.link, 'trigger_github', p)
    c.repo.commit('pushed')
    const body = JSON.stringify({ ref: 'refs/heads/e2e-branch', after: c.repo.head() })
    const r = await post(port, '/hook', body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(body)}` })
    assert.equal(r.status, 202)
    assert.equal(r.json.result, 'accepted')
    await waitForContent(c.link, 'pushed', p, 10_000)
    await waitMetric(port, 'git_sync_trigger_requests_total{result="accepted"}', 1)
  })

  void conformance('trigger_gitlab_and_gitea_and_token_verify', async () => {
    const c = newCase('trigger_providers')
    writeFileSync(join(c.dir, 'secret'), SECRET)
    const p = startSync(c.httpArgs('--period=100s', '--ref=e2e-branch', '--trigger-path=/hook', `--trigger-secret-file=${join(c.dir, 'secret')}`))
    const port = await p.httpPort()
    await waitForContent(c.link, 'trigger_providers', p)
    const body = JSON.stringify({ ref: 'refs/heads/e2e-branch' })
    c.repo.commit('gitlab')
    assert.equal((await post(port, '/hook', body, { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Push Hook' })).status, 202)
    await waitForContent(c.link, 'gitlab', p, 10_000)
    c.repo.commit('gitea')
    assert.equal((await post(port, '/hook', body, { 'x-gitea-signature': sign(body), 'x-gitea-event': 'push' })).status, 202)
    await waitForContent(c.link, 'gitea', p, 10_000)
    c.repo.commit('token')
    assert.equal((await post(port, '/hook', body, { authorization: `Bearer ${SECRET}` })).status, 202)
    await waitForContent(c.link, 'token', p, 10_000)
  })

  void conformance('trigger_rejects_bad_signatures_and_other_refs', async () => {
    const c = newCase('trigger_rejects')
    writeFileSync(join(c.dir, 'secret'), SECRET)
    const p = startSync(c.httpArgs('--period=100s', '--ref=e2e-branch', '--trigger-path=/hook', `--trigger-secret-file=${join(c.dir, 'secret')}`))
    const port = await p.httpPort()
    await waitForContent(c.link, 'trigger_rejects', p)
    c.repo.commit('should not sync')
    const body = JSON.stringify({ ref: 'refs/heads/e2e-branch' })
    assert.equal((await post(port, '/hook', body, { 'x-hub-signature-256': `sha256=${sign(body, 'wrong')}` })).status, 401)
    assert.equal((await post(port, '/hook', body, { 'x-gitlab-token': 'wrong' })).status, 401)
    assert.equal((await post(port, '/hook', body, {})).status, 401)
    const tampered = JSON.stringify({ ref: 'refs/heads/e2e-branch', x: 1 })
    assert.equal((await post(port, '/hook', tampered, { 'x-hub-signature-256': `sha256=${sign(body)}` })).status, 401)
    const other = JSON.stringify({ ref: 'refs/heads/other' })
    const r = await post(port, '/hook', other, { 'x-hub-signature-256': `sha256=${sign(other)}` })
    assert.equal(r.status, 202)
    assert.equal(r.json.result, 'ignored')
    const notJson = 'not json'
    assert.equal((await post(port, '/hook', notJson, { 'x-hub-signature-256': `sha256=${sign(notJson)}` })).status, 400)
    assert.equal((await fetch(`http://127.0.0.1:${port}/hook`)).status, 405)
    await sleep(500)
    assert.equal(fileIn(c.link), 'trigger_rejects', 'nothing synced')
    await waitMetric(port, 'git_sync_trigger_requests_total{result="unauthorized"}', 4)
  })

  void conformance('trigger_bursts_coalesce_and_rate_limit', async () => {
    const c = newCase('trigger_burst')
    writeFileSync(join(c.dir, 'secret'), SECRET)
    const p = startSync(c.httpArgs('--period=100s', '--trigger-path=/hook', `--trigger-secret-file=${join(c.dir, 'secret')}`, '--trigger-min-interval=1s'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'trigger_burst', p)
    await waitMetric(port, 'git_sync_count_total{status="success"}', 1)
    // Every sync run counts as success (published) or noop (nothing new): their sum is the
    // number of syncs the burst caused.
    const syncs = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      return ['success', 'noop'].reduce((n, s) => n + Number(new RegExp(`^git_sync_count_total\\{status="${s}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN), 0)
    }
    const syncsBefore = await syncs()
    c.repo.commit('burst')
    const body = JSON.stringify({ ref: 'refs/heads/e2e-branch' })
    const results = await Promise.all(Array.from({ length: 20 }, async () => await post(port, '/hook', body, { 'x-hub-signature-256': `sha256=${sign(body)}` })))
    assert.ok(results.every((r) => r.status === 202))
    await waitForContent(c.link, 'burst', p, 10_000)
    await sleep(2500)
    const syncsAfter = await syncs()
    assert.ok(syncsAfter - syncsBefore >= 1 && syncsAfter - syncsBefore <= 3, `20 pushes caused ${syncsAfter - syncsBefore} syncs`)
  })
})

void describe('health, signatures, secrets', { concurrency: 2 }, () => {
  void conformance('readyz_goes_unready_when_last_success_is_too_old', async () => {
    const c = newCase('ready_max_age')
    const p = startSync(c.httpArgs('--period=300ms', '--ready-max-age=2s', '--max-failures=-1'))
    const port = await p.httpPort()
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60_000, () => p.output)
    rmSync(c.repo.dir, { recursive: true, force: true }) // the source becomes unreachable
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 503, 60_000, () => p.output)
    const text = await (await fetch(`http://127.0.0.1:${port}/readyz`)).text()
    assert.match(text, /last successful sync was/)
    assert.equal(fileIn(c.link), 'ready_max_age', 'last good tree still published')
  })

  void conformance('verify_signatures_gpg_publishes_only_signed_commits', async () => {
    const c = newCase('verify_gpg')
    const gnupg = join(c.dir, 'gnupg')
    mkdirSync(gnupg, { mode: 0o700 })
    const env = { ...process.env, GNUPGHOME: gnupg }
    execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'signer <signer@example.com>', 'ed25519', 'sign', 'never'], { env, stdio: 'ignore' })
    const pub = join(c.dir, 'trusted.asc')
    writeFileSync(pub, execFileSync('gpg', ['--batch', '--armor', '--export', 'signer@example.com'], { env }))
    const gitEnv = { ...env, HOME: c.repo.dir, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 'signer@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 'signer@example.com' }
    writeFileSync(join(c.repo.dir, 'file'), 'signed 1\n')
    git(c.repo.dir, ['-c', 'user.signingkey=signer@example.com', 'commit', '-qS', '-am', 'signed 1'], gitEnv)
    const p = startSync(c.httpArgs('--period=100ms', '--verify-signatures=commit', `--gpg-keyring=${pub}`, '--max-failures=-1'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'signed 1', p)
    c.repo.commit('unsigned 2')
    // Every loop refuses it again, so the counter keeps rising; one refusal is enough here.
    await waitFor(async () => (await metric(port, 'git_sync_signature_failures_total') ?? 0) >= 1, 60_000, () => p.output)
    assert.equal(fileIn(c.link), 'signed 1', 'the unsigned commit is not published')
    writeFileSync(join(c.repo.dir, 'file'), 'signed 3\n')
    git(c.repo.dir, ['-c', 'user.signingkey=signer@example.com', 'commit', '-qS', '-am', 'signed 3'], gitEnv)
    await waitForContent(c.link, 'signed 3', p)
  })

  void conformance('verify_signatures_ssh_allowed_signers', async () => {
    const c = newCase('verify_ssh')
    const key = join(c.dir, 'signing_key')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
    const allowed = join(c.dir, 'allowed_signers')
    writeFileSync(allowed, `test@example.com ${readFileSync(key + '.pub', 'utf8')}`)
    c.repo.git('config', 'gpg.format', 'ssh')
    c.repo.git('config', 'user.signingkey', key)
    writeFileSync(join(c.repo.dir, 'file'), 'ssh signed\n')
    c.repo.git('commit', '-qS', '-am', 'ssh signed')
    const good = await runSync(c.args('--one-time', '--verify-signatures=commit', `--ssh-allowed-signers=${allowed}`))
    assert.equal(good.exitCode, 0, good.output)
    assert.equal(fileIn(c.link), 'ssh signed')
    c.repo.commit('not signed')
    const bad = await runSync(c.args('--one-time', '--verify-signatures=commit', `--ssh-allowed-signers=${allowed}`, '--error-file=err.json'))
    assert.notEqual(bad.exitCode, 0)
    assert.match(readFileSync(join(c.root, 'err.json'), 'utf8'), /signature verification of commit/)
    assert.equal(fileIn(c.link), 'ssh signed')
  })

  void conformance('secrets_never_leak_to_logs_error_file_or_ps', async () => {
    const dir = tempDir('gs-leak-')
    const password = 'pw-Leak-9f8e7d'
    const urlPassword = 'urlpw-Leak-1a2b3c'
    const credPassword = 'credpw-Leak-4d5e6f'
    const repo = new SourceRepo(join(dir, 'srv/repo'), 'leak')
    const server = new GitHttpServer({ projectRoot: join(dir, 'srv'), users: { u: password, v: urlPassword } })
    await server.start()
    const slow = script(dir, 'slow.sh', 'if [ "$1" = fetch ]; then sleep 1; fi\nexec git "$@"')
    const root = join(dir, 'root')
    const seen: string[] = []
    const sample = (): void => {
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        const cmd = readIf(`/proc/${pid}/cmdline`)
        if (cmd !== undefined && cmd !== '') seen.push(cmd.replace(/\0/g, ' '))
      }
    }
    const runs = [
      { args: [`--repo=${server.url('repo')}`, '--username=u', '--ref=nope', '--error-file=e1.json'], env: { GITSYNC_PASSWORD: password } },
      { args: [`--repo=${server.url('repo')}`, '--username=u'], env: { GITSYNC_PASSWORD: password } },
      { args: [`--repo=http://v:${urlPassword}@127.0.0.1:${server.port}/repo`, '--ref=nope', '--error-file=e2.json'], env: {} },
      { args: [`--repo=${server.url('repo')}`, `--credential={"url":"${server.url('repo')}","username":"x","password":"${credPassword}"}`, '--error-file=e3.json'], env: {} }
    ]
    let output = ''
    for (const r of runs) {
      const p = startSync(['--one-time', `--root=${root}`, '--link=link', `--git=${slow}`, '-v', '9', ...r.args], { env: r.env })
      while (p.exitCode === undefined) { sample(); await sleep(50) }
      output += p.output
    }
    const files = ['e1.json', 'e2.json', 'e3.json'].map((f) => readIf(join(root, f)) ?? '').join('\n')
    assert.match(files, /couldn't find remote ref|Authentication failed|401/)
    for (const secret of [password, urlPassword, credPassword]) {
      assert.ok(!output.includes(secret), `${secret} in logs`)
      assert.ok(!files.includes(secret), `${secret} in an error file`)
      // git-sync's own argv holds what the user put there (a URL with a password); git's must not.
      assert.ok(!seen.some((cmd) => !cmd.includes(BIN) && cmd.includes(secret)), `${secret} on a command line`)
      assert.ok(!(readIf(join(root, '.git/config')) ?? '').includes(secret), `${secret} in the root's git config`)
    }
    assert.ok(seen.some((cmd) => cmd.includes('fetch')), 'the sampler saw git fetch running')
    assert.ok(exists(join(root, 'link/file')), 'the good run synced')
    void repo
  })
})

void describe('robustness', { concurrency: 2 }, () => {
  void conformance('unreachable_repo_keeps_last_good_tree', async () => {
    const c = newCase('unreachable')
    const p = startSync(c.args('--period=100ms', '--max-failures=-1', '--error-file=err.json'))
    await waitForContent(c.link, 'unreachable', p)
    renameAway(c.repo.dir)
    await waitFor(() => exists(join(c.root, 'err.json')), 60_000, () => p.output)
    const e = JSON.parse(readFileSync(join(c.root, 'err.json'), 'utf8')) as { Err: string }
    assert.match(e.Err, /does not appear to be a git repository|not found|No such file/i)
    assert.equal(fileIn(c.link), 'unreachable')
    assert.equal(p.exitCode, undefined)
  })

  void conformance('bad_ref_while_running_keeps_last_good_tree', async () => {
    const c = newCase('bad_ref_running')
    c.repo.git('checkout', '-q', '-b', 'feature')
    c.repo.commit('feature 1')
    const p = startSync(c.args('--period=100ms', '--ref=feature', '--max-failures=-1', '--error-file=err.json'))
    await waitForContent(c.link, 'feature 1', p)
    c.repo.git('checkout', '-q', 'e2e-branch')
    c.repo.git('branch', '-D', 'feature')
    await waitFor(() => /couldn't find remote ref feature/.test(readIf(join(c.root, 'err.json')) ?? ''), 60_000, () => p.output)
    assert.equal(fileIn(c.link), 'feature 1')
  })

  void conformance('bad_credentials_keep_last_good_tree', async () => {
    const dir = tempDir('gs-badcred-')
    let pw = 'good'
    new SourceRepo(join(dir, 'srv/repo'), 'badcred')
    const server = new GitHttpServer({ projectRoot: join(dir, 'srv'), users: () => ({ u: pw }) })
    await server.start()
    const root = join(dir, 'root')
    const p = startSync([`--repo=${server.url('repo')}`, `--root=${root}`, '--link=link', '--username=u', '--period=100ms', '--max-failures=-1', '--error-file=err.json'], { env: { GITSYNC_PASSWORD: 'good' } })
    await waitForContent(join(root, 'link'), 'badcred', p)
    pw = 'changed'
    await waitFor(() => /Authentication failed|401|could not read/i.test(readIf(join(root, 'err.json')) ?? ''), 60_000, () => p.output)
    assert.equal(fileIn(join(root, 'link')), 'badcred')
  })

  void conformance('corrupt_root_is_rebuilt_on_restart', async () => {
    const c = newCase('corrupt_root')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    // Corrupt the object store: every loose object and pack gone.
    rmSync(join(c.root, '.git/objects'), { recursive: true, force: true })
    mkdirSync(join(c.root, '.git/objects'))
    writeFileSync(join(c.root, '.git/shallow.lock'), '')
    c.repo.commit('after corruption')
    const p = await runSync(c.args('--one-time'))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'after corruption')
    assert.match(p.output, /wiping its contents/)
  })
})

function renameAway (dir: string): void {
  execFileSync('mv', [dir, dir + '.gone'])
}
