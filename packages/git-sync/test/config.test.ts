// The flag table against git-sync v4's command line: env names, legacy v3 names (which win),
// deprecated aliases, defaults and validation — plus the CLI's exit codes for bad input.

import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { ConfigError, UsageError } from '@pod-patterns/runtime'
import { configFromArgs, defaultLinkName, parseGitConfigs, parseSignal, table } from '../src/index.js'
import { cleanupAll, runSync } from './helpers/fixture.js'

after(cleanupAll)
const base = ['--repo=file:///r', '--root=/tmp/x']

void describe('flags and env', { concurrency: true }, () => {
  void test('defaults match git-sync v4', () => {
    const c = configFromArgs(base, {})
    assert.equal(c.ref, 'HEAD')
    assert.equal(c.depth, 1)
    assert.equal(c.submodules, 'recursive')
    assert.equal(c.period, 10_000)
    assert.equal(c.syncTimeout, 120_000)
    assert.equal(c.maxFailures, 0)
    assert.equal(c.gitGc, 'always')
    assert.equal(c.webhookMethod, 'POST')
    assert.equal(c.webhookSuccessStatus, 200)
    assert.equal(c.webhookTimeout, 1000)
    assert.equal(c.webhookBackoff, 3000)
    assert.equal(c.exechookTimeout, 30_000)
    assert.equal(c.exechookBackoff, 3000)
    assert.deepEqual(c.sshKeyFile, ['/etc/git-secret/ssh'])
    assert.equal(c.sshKnownHosts, true)
    assert.equal(c.sshKnownHostsFile, '/etc/git-secret/known_hosts')
    assert.equal(c.git, 'git')
    assert.equal(c.link, 'r')
  })

  void test('every flag has a GITSYNC_ env var', () => {
    for (const spec of table.options) {
      if (spec.hidden === true || spec.name === 'man') continue
      const env = spec.env === undefined ? [`GITSYNC_${spec.name.toUpperCase().replace(/-/g, '_')}`] : spec.env
      assert.ok(env !== false && env.some((e) => e.startsWith('GITSYNC_')), spec.name)
    }
  })

  void test('GITSYNC_ env vars set flags', () => {
    const c = configFromArgs([], { GITSYNC_REPO: 'https://h/x/repo.git/', GITSYNC_ROOT: '/git', GITSYNC_PERIOD: '3s', GITSYNC_DEPTH: '0', GITSYNC_ONE_TIME: 'true', GITSYNC_SSH_KEY_FILE: '/k' })
    assert.equal(c.period, 3000)
    assert.equal(c.depth, 0)
    assert.equal(c.oneTime, true)
    assert.deepEqual(c.sshKeyFile, ['/k'])
    assert.equal(c.link, 'repo.git', 'default link keeps .git and trims slashes')
  })

  void test('legacy GIT_SYNC_ vars work for v3 flags and win over GITSYNC_', () => {
    const c = configFromArgs([], { GIT_SYNC_REPO: 'file:///old', GITSYNC_REPO: 'file:///new', GIT_SYNC_ROOT: '/git', GIT_SYNC_PERIOD: '5s', GITSYNC_PERIOD: '7s' })
    assert.equal(c.repo, 'file:///old')
    assert.equal(c.period, 5000)
  })

  void test('flags new in v4 have no GIT_SYNC_ alias', () => {
    for (const name of ['ref', 'filter', 'init-period', 'init-max-failures', 'stale-worktree-timeout', 'verbose', 'credential', 'github-app-installation-id']) {
      const spec = table.options.find((o) => o.name === name)
      assert.ok(spec !== undefined && spec.legacyEnv !== true, name)
    }
    assert.equal(configFromArgs(base, { GIT_SYNC_REF: 'x' }).ref, 'HEAD')
  })

  void test('v3 ssh/askpass/cookie env names are read', () => {
    const c = configFromArgs(base, { GIT_SSH_KEY_FILE: '/a', GIT_KNOWN_HOSTS: 'false', GIT_SSH_KNOWN_HOSTS_FILE: '/kh', GIT_COOKIE_FILE: 'true', GIT_ASKPASS_URL: 'http://a' })
    assert.deepEqual(c.sshKeyFile, ['/a'])
    assert.equal(c.sshKnownHosts, false)
    assert.equal(c.sshKnownHostsFile, '/kh')
    assert.equal(c.cookieFile, true)
    assert.equal(c.askpassUrl, 'http://a')
  })

  void test('deprecated aliases map onto the v4 flags', () => {
    assert.equal(configFromArgs([...base, '--branch=b'], {}).ref, 'b')
    assert.equal(configFromArgs([...base, '--branch=b', '--rev=HEAD'], {}).ref, 'b')
    assert.equal(configFromArgs([...base, '--branch=b', '--rev=v1'], {}).ref, 'v1')
    assert.equal(configFromArgs(base, { GIT_SYNC_BRANCH: 'env-b' }).ref, 'env-b')
    assert.equal(configFromArgs([...base, '--dest=d'], {}).link, 'd')
    assert.equal(configFromArgs([...base, '--wait=0.5'], {}).period, 500)
    assert.equal(configFromArgs([...base, '--timeout=7'], {}).syncTimeout, 7000)
    assert.equal(configFromArgs([...base, '--max-sync-failures=3'], {}).maxFailures, 3)
    assert.equal(configFromArgs([...base, '--sync-hook-command=/h'], {}).exechookCommand, '/h')
    assert.equal(configFromArgs([...base, '--v=5'], {}).verbose, 5)
    assert.equal(configFromArgs([...base, '-v', '6'], {}).verbose, 6)
    assert.equal(configFromArgs([...base, '--username=u', '--password=p'], {}).password, 'p')
    assert.equal(configFromArgs([...base, '--ref=r', '--branch=b'], {}).ref, 'r', 'an explicit --ref wins')
  })

  void test('repeatable flags accumulate', () => {
    const c = configFromArgs([...base, '--ssh-key-file=/1', '--ssh-key-file=/2', '--git-config-add=a.b:1', '--git-config-add=c.d:2'], {})
    assert.deepEqual(c.sshKeyFile, ['/1', '/2'])
    assert.deepEqual(c.gitConfigPairs, [['a.b', '1'], ['c.d', '2']])
  })

  void test('--git-config parses quoted values and commas', () => {
    assert.deepEqual(parseGitConfigs('http.postBuffer:10485760,sect.k1:"a val",sect.k2:another val'), [['http.postBuffer', '10485760'], ['sect.k1', 'a val'], ['sect.k2', 'another val']])
    assert.deepEqual(parseGitConfigs('a.b:"x,y\\"z"'), [['a.b', 'x,y"z']])
    assert.throws(() => parseGitConfigs('nocolon'), ConfigError)
    assert.throws(() => parseGitConfigs('a.b:"open'), ConfigError)
  })

  void test('--sync-on-signal accepts SIGHUP, HUP and 1', () => {
    assert.equal(parseSignal('SIGHUP'), 'SIGHUP')
    assert.equal(parseSignal('HUP'), 'SIGHUP')
    assert.equal(parseSignal('1'), 'SIGHUP')
    assert.throws(() => parseSignal('NOPE'), ConfigError)
    assert.throws(() => configFromArgs([...base, '--sync-on-signal=KILL'], {}), ConfigError)
  })

  void test('--credential JSON is validated', () => {
    const c = configFromArgs([...base, '--credential={"url":"http://h/r","username":"u","password-file":"/p"}'], {})
    assert.deepEqual(c.credentials, [{ url: 'http://h/r', username: 'u', passwordFile: '/p' }])
    for (const bad of ['{', '[]', '{"url":"x"}', '{"url":"x","username":"u"}', '{"url":"x","username":"u","password":"a","password-file":"b"}', '{"url":"x","username":"u","password":"a","extra":1}']) {
      assert.throws(() => configFromArgs([...base, `--credential=${bad}`], {}), ConfigError, bad)
    }
  })

  void test('auth combinations are validated', () => {
    assert.throws(() => configFromArgs([...base, '--username=u'], {}), ConfigError)
    assert.throws(() => configFromArgs(base, { GITSYNC_PASSWORD: 'p' }), ConfigError)
    assert.throws(() => configFromArgs([...base, '--username=u', '--password-file=/f'], { GITSYNC_PASSWORD: 'p' }), ConfigError)
    assert.throws(() => configFromArgs([...base, '--github-app-installation-id=1'], {}), ConfigError)
    assert.throws(() => configFromArgs([...base, '--github-app-application-id=1', '--github-app-client-id=c', '--github-app-installation-id=1', '--github-app-private-key-file=/k'], {}), ConfigError)
    assert.doesNotThrow(() => configFromArgs([...base, '--github-app-client-id=c', '--github-app-installation-id=1'], { GITSYNC_GITHUB_APP_PRIVATE_KEY: 'pem' }))
  })

  void test('ranges and enums are validated', () => {
    assert.throws(() => configFromArgs([...base, '--period=5ms'], {}), ConfigError)
    assert.throws(() => configFromArgs([...base, '--depth=-1'], {}), ConfigError)
    assert.throws(() => configFromArgs([...base, '--max-failures=-2'], {}), ConfigError)
    assert.throws(() => configFromArgs([...base, '--submodules=some'], {}), UsageError)
    assert.throws(() => configFromArgs([...base, '--git-gc=sometimes'], {}), UsageError)
    assert.throws(() => configFromArgs([...base, '--period=soon'], {}), UsageError)
    assert.throws(() => configFromArgs([...base, '-v', '10'], {}), ConfigError)
    assert.throws(() => configFromArgs([...base, '--trigger-path=/hook'], {}), ConfigError)
    assert.throws(() => configFromArgs([...base, '--verify-signatures=commit'], {}), ConfigError)
  })

  void test('default link is the last part of the repo', () => {
    assert.equal(defaultLinkName('https://github.com/kubernetes/git-sync'), 'git-sync')
    assert.equal(defaultLinkName('git@github.com:org/repo.git'), 'repo.git')
    assert.equal(defaultLinkName('file:///a/b//'), 'b')
  })

  void test('unknown env vars are ignored', () => {
    assert.doesNotThrow(() => configFromArgs(base, { GITSYNC_NOT_A_FLAG: 'x', GIT_SYNC_BOGUS: 'y' }))
  })
})

void describe('CLI exit codes', { concurrency: true }, () => {
  void test('unknown flag: one line plus usage, exit 2', async () => {
    const p = await runSync(['--not-a-flag'])
    assert.equal(p.exitCode, 2)
    assert.match(p.stderr, /^git-sync: unknown flag: --not-a-flag\n/)
    assert.equal(p.stderr.trim().split('\n').length, 2)
  })

  void test('missing --root: message and usage, exit 1', async () => {
    const p = await runSync(['--repo=file:///x'])
    assert.equal(p.exitCode, 1)
    assert.match(p.stderr, /--root must be specified/)
    assert.match(p.stderr, /Usage: git-sync/)
  })

  void test('invalid value: clear error, non-zero exit', async () => {
    const p = await runSync(['--repo=file:///x', '--root=/tmp/x', '--depth=abc'])
    assert.equal(p.exitCode, 2)
    assert.match(p.stderr, /invalid integer "abc" for --depth/)
  })

  void test('--help, --man and --version exit 0', async () => {
    for (const flag of ['--help', '--man']) {
      const p = await runSync([flag])
      assert.equal(p.exitCode, 0)
      assert.match(p.stdout, /--repo URL/)
    }
    const v = await runSync(['--version'])
    assert.equal(v.exitCode, 0)
    assert.match(v.stdout, /^git-sync \d+\.\d+\.\d+/)
  })

  void test('deprecated flags log a warning', async () => {
    const p = await runSync(['--repo=file:///nonexistent/repo', '--root=/tmp/gs-deprecated-x', '--branch=main', '--one-time'])
    assert.match(p.stdout, /--branch is deprecated: use --ref instead/)
  })
})
