// The flag table against git-sync v4's command line: env names, legacy v3 names (which win),
// deprecated aliases, defaults and validation — plus the CLI's exit codes for bad input.

import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { ConfigError, UsageError, envNames } from '@pod-patterns/runtime'
import { configFromArgs, defaultLinkName, parseGitConfigs, parseSignal, table } from '../src/index.js'
import { cleanupAll, runSync, tempDir } from './helpers/fixture.js'

after(cleanupAll)
const base = ['--repo=file:///r', '--root=/tmp/x']

// Every flag of kubernetes/git-sync v4 (its README/--man and main.go), written out here rather
// than derived from our own table, so that a flag dropped or renamed there fails this test.
// [flag, default as parsed, every env var the anchor reads for it]
const ANCHOR_FLAGS: Array<[string, unknown, string[]]> = [
  ['repo', '', ['GITSYNC_REPO', 'GIT_SYNC_REPO']],
  ['ref', 'HEAD', ['GITSYNC_REF']],
  ['depth', 1, ['GITSYNC_DEPTH', 'GIT_SYNC_DEPTH']],
  ['filter', '', ['GITSYNC_FILTER']],
  ['submodules', 'recursive', ['GITSYNC_SUBMODULES', 'GIT_SYNC_SUBMODULES']],
  ['sparse-checkout-file', '', ['GITSYNC_SPARSE_CHECKOUT_FILE', 'GIT_SYNC_SPARSE_CHECKOUT_FILE']],
  ['root', '', ['GITSYNC_ROOT', 'GIT_SYNC_ROOT']],
  ['link', '', ['GITSYNC_LINK', 'GIT_SYNC_LINK']],
  ['error-file', '', ['GITSYNC_ERROR_FILE', 'GIT_SYNC_ERROR_FILE']],
  ['touch-file', '', ['GITSYNC_TOUCH_FILE', 'GIT_SYNC_TOUCH_FILE']],
  ['stale-worktree-timeout', 0, ['GITSYNC_STALE_WORKTREE_TIMEOUT']],
  ['group-write', false, ['GITSYNC_GROUP_WRITE', 'GIT_SYNC_GROUP_WRITE']],
  ['add-user', false, ['GITSYNC_ADD_USER', 'GIT_SYNC_ADD_USER']],
  ['period', 10_000, ['GITSYNC_PERIOD', 'GIT_SYNC_PERIOD']],
  ['init-period', 0, ['GITSYNC_INIT_PERIOD']],
  ['sync-timeout', 120_000, ['GITSYNC_SYNC_TIMEOUT', 'GIT_SYNC_SYNC_TIMEOUT']],
  ['one-time', false, ['GITSYNC_ONE_TIME', 'GIT_SYNC_ONE_TIME']],
  ['max-failures', 0, ['GITSYNC_MAX_FAILURES', 'GIT_SYNC_MAX_FAILURES']],
  ['init-max-failures', 0, ['GITSYNC_INIT_MAX_FAILURES']],
  ['sync-on-signal', '', ['GITSYNC_SYNC_ON_SIGNAL', 'GIT_SYNC_SYNC_ON_SIGNAL']],
  ['username', '', ['GITSYNC_USERNAME', 'GIT_SYNC_USERNAME']],
  ['password-file', '', ['GITSYNC_PASSWORD_FILE', 'GIT_SYNC_PASSWORD_FILE']],
  ['credential', [], ['GITSYNC_CREDENTIAL']],
  ['ssh-key-file', ['/etc/git-secret/ssh'], ['GITSYNC_SSH_KEY_FILE', 'GIT_SYNC_SSH_KEY_FILE', 'GIT_SSH_KEY_FILE']],
  ['ssh-known-hosts', true, ['GITSYNC_SSH_KNOWN_HOSTS', 'GIT_SYNC_KNOWN_HOSTS', 'GIT_KNOWN_HOSTS']],
  ['ssh-known-hosts-file', '/etc/git-secret/known_hosts', ['GITSYNC_SSH_KNOWN_HOSTS_FILE', 'GIT_SYNC_SSH_KNOWN_HOSTS_FILE', 'GIT_SSH_KNOWN_HOSTS_FILE']],
  ['cookie-file', false, ['GITSYNC_COOKIE_FILE', 'GIT_SYNC_COOKIE_FILE', 'GIT_COOKIE_FILE']],
  ['askpass-url', '', ['GITSYNC_ASKPASS_URL', 'GIT_SYNC_ASKPASS_URL', 'GIT_ASKPASS_URL']],
  ['github-base-url', 'https://api.github.com/', ['GITSYNC_GITHUB_BASE_URL']],
  ['github-app-application-id', 0, ['GITSYNC_GITHUB_APP_APPLICATION_ID']],
  ['github-app-client-id', '', ['GITSYNC_GITHUB_APP_CLIENT_ID']],
  ['github-app-installation-id', 0, ['GITSYNC_GITHUB_APP_INSTALLATION_ID']],
  ['github-app-private-key-file', '', ['GITSYNC_GITHUB_APP_PRIVATE_KEY_FILE']],
  ['webhook-url', '', ['GITSYNC_WEBHOOK_URL', 'GIT_SYNC_WEBHOOK_URL']],
  ['webhook-method', 'POST', ['GITSYNC_WEBHOOK_METHOD', 'GIT_SYNC_WEBHOOK_METHOD']],
  ['webhook-success-status', 200, ['GITSYNC_WEBHOOK_SUCCESS_STATUS', 'GIT_SYNC_WEBHOOK_SUCCESS_STATUS']],
  ['webhook-timeout', 1000, ['GITSYNC_WEBHOOK_TIMEOUT', 'GIT_SYNC_WEBHOOK_TIMEOUT']],
  ['webhook-backoff', 3000, ['GITSYNC_WEBHOOK_BACKOFF', 'GIT_SYNC_WEBHOOK_BACKOFF']],
  ['exechook-command', '', ['GITSYNC_EXECHOOK_COMMAND', 'GIT_SYNC_EXECHOOK_COMMAND']],
  ['exechook-timeout', 30_000, ['GITSYNC_EXECHOOK_TIMEOUT', 'GIT_SYNC_EXECHOOK_TIMEOUT']],
  ['exechook-backoff', 3000, ['GITSYNC_EXECHOOK_BACKOFF', 'GIT_SYNC_EXECHOOK_BACKOFF']],
  ['http-bind', '', ['GITSYNC_HTTP_BIND', 'GIT_SYNC_HTTP_BIND']],
  ['http-metrics', false, ['GITSYNC_HTTP_METRICS', 'GIT_SYNC_HTTP_METRICS']],
  ['http-pprof', false, ['GITSYNC_HTTP_PPROF', 'GIT_SYNC_HTTP_PPROF']],
  ['git', 'git', ['GITSYNC_GIT', 'GIT_SYNC_GIT']],
  ['git-config', '', ['GITSYNC_GIT_CONFIG', 'GIT_SYNC_GIT_CONFIG']],
  ['git-gc', 'always', ['GITSYNC_GIT_GC', 'GIT_SYNC_GIT_GC']],
  ['verbose', 0, ['GITSYNC_VERBOSE']],
  ['man', false, []],
  // Deprecated v3 names, accepted with a warning.
  ['branch', '', ['GIT_SYNC_BRANCH']],
  ['rev', '', ['GIT_SYNC_REV']],
  ['dest', '', ['GIT_SYNC_DEST']],
  ['wait', undefined, ['GIT_SYNC_WAIT']],
  ['timeout', undefined, ['GIT_SYNC_TIMEOUT']],
  ['max-sync-failures', undefined, ['GIT_SYNC_MAX_SYNC_FAILURES']],
  ['sync-hook-command', '', ['GIT_SYNC_HOOK_COMMAND']],
  ['password', undefined, []],
  ['ssh', false, ['GIT_SYNC_SSH']],
  ['v', undefined, []],
  ['change-permissions', 0, ['GIT_SYNC_PERMISSIONS']]
]

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
    assert.throws(() => configFromArgs([...base, '--checkout-workers=-1'], {}), ConfigError)
  })

  void test('hook timeouts and backoffs are at least 1s when the hook is set, as in the anchor', () => {
    for (const [hook, flag] of [['--exechook-command=/bin/true', '--exechook-timeout'], ['--exechook-command=/bin/true', '--exechook-backoff'],
      ['--webhook-url=http://127.0.0.1:1/', '--webhook-timeout'], ['--webhook-url=http://127.0.0.1:1/', '--webhook-backoff']] as const) {
      assert.throws(() => configFromArgs([...base, hook, `${flag}=999ms`], {}), (e: unknown) => e instanceof ConfigError && e.message === `${flag} must be at least 1s`, flag)
      assert.doesNotThrow(() => configFromArgs([...base, hook, `${flag}=1s`], {}), flag)
      // Without the hook the value is never used, so the anchor does not check it either.
      assert.doesNotThrow(() => configFromArgs([...base, `${flag}=10ms`], {}), flag)
    }
  })

  void test('checkout workers reach git as config, and the operator\'s --git-config wins', () => {
    assert.equal(configFromArgs(base, {}).checkoutWorkers, 4)
    assert.equal(configFromArgs(base, { GITSYNC_CHECKOUT_WORKERS: '1' }).checkoutWorkers, 1)
  })

  void test('default link is the last part of the repo', () => {
    assert.equal(defaultLinkName('https://github.com/kubernetes/git-sync'), 'git-sync')
    assert.equal(defaultLinkName('git@github.com:org/repo.git'), 'repo.git')
    assert.equal(defaultLinkName('file:///a/b//'), 'b')
  })

  void test('every flag of the anchor exists with its default and env vars', () => {
    for (const [name, def, envs] of ANCHOR_FLAGS) {
      // --password is both a deprecated flag and the env-only password: check the flag here.
      const spec = table.options.find((o) => o.name === name && (name !== 'password' || o.envOnly !== true))
      assert.ok(spec !== undefined, `--${name} is missing`)
      if (def !== undefined) assert.deepEqual(spec.default ?? '', def, `--${name} default`)
      const ours = envNames(table, spec)
      for (const e of envs) assert.ok(ours.includes(e), `--${name} does not read $${e} (reads ${ours.join(', ')})`)
    }
    for (const e of ['GITSYNC_PASSWORD', 'GIT_SYNC_PASSWORD', 'GITSYNC_GITHUB_APP_PRIVATE_KEY']) {
      assert.ok(table.options.some((o) => o.envOnly === true && envNames(table, o).includes(e)), `$${e} is not read`)
    }
  })

  void test('each env name of the anchor sets its flag, the oldest name winning', () => {
    for (const [name, , envs] of ANCHOR_FLAGS) {
      const spec = table.options.find((o) => o.name === name)
      if (envs.length < 2 || spec === undefined || spec.type !== 'string' || spec.hidden === true) continue
      const key = spec.key ?? name.replace(/-([a-z])/g, (_m, ch: string) => ch.toUpperCase())
      if (name === 'sync-on-signal') continue // a value must name a signal; parsed separately below
      const value = (e: string): string => name === 'repo' || name === 'root' ? `/${e}` : name === 'git-config' ? `a.b:${e}` : `v-${e}`
      // What validation needs beside the one under test (a username needs a password, ...).
      const needs: Record<string, string> = { GITSYNC_REPO: '/r', GITSYNC_ROOT: '/x', ...(name === 'username' ? { GITSYNC_PASSWORD: 'p' } : name === 'password-file' ? { GITSYNC_USERNAME: 'u' } : {}) }
      for (const e of envs) {
        const c = configFromArgs(base.filter((a) => !a.startsWith(`--${name}=`)), { ...needs, [e]: value(e) }) as unknown as Record<string, unknown>
        assert.equal(c[key], value(e), `$${e}`)
      }
      const all = Object.fromEntries(envs.map((e) => [e, value(e)]))
      const c = configFromArgs(base.filter((a) => !a.startsWith(`--${name}=`)), { ...needs, ...all }) as unknown as Record<string, unknown>
      assert.equal(c[key], value(envs[envs.length - 1] as string), `--${name}: the oldest env name wins`)
    }
  })

  void test('--http-metrics and --http-pprof need --http-bind, as in the anchor', () => {
    assert.throws(() => configFromArgs([...base, '--http-metrics'], {}), /--http-bind must be specified when --http-metrics is set/)
    assert.throws(() => configFromArgs([...base, '--http-pprof'], {}), /--http-bind must be specified when --http-pprof is set/)
    assert.equal(configFromArgs([...base, '--http-bind=:0'], {}).httpMetrics, false, 'metrics are off by default')
    assert.doesNotThrow(() => configFromArgs([...base, '--http-bind=:0', '--http-metrics', '--http-pprof'], {}))
  })

  void test('--change-permissions is refused with a pointer to --group-write', () => {
    assert.throws(() => configFromArgs([...base, '--change-permissions=0775'], {}), /--change-permissions is no longer supported: use --group-write/)
    assert.throws(() => configFromArgs(base, { GIT_SYNC_PERMISSIONS: '509' }), ConfigError)
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
    const p = await runSync(['--repo=file:///nonexistent/repo', `--root=${tempDir('gs-deprecated-')}/root`, '--branch=main', '--one-time'])
    assert.match(p.stdout, /--branch is deprecated: use --ref instead/)
  })
})
