import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  parseConfig, renderHelp, renderMarkdownTable, redact, envNames,
  UsageError, ConfigError, type ConfigTable
} from '../src/index.js'

const table: ConfigTable = {
  program: 'demo',
  version: '1.2.3',
  summary: 'A demo service.',
  envPrefix: 'DEMO_',
  legacyEnvPrefix: 'OLD_DEMO_',
  legacyEnvWins: true,
  options: [
    { name: 'repo', type: 'string', required: true, legacyEnv: true, help: 'Repository URL.' },
    { name: 'period', type: 'duration', default: 10_000, min: 10, help: 'Period.' },
    { name: 'one-time', type: 'bool', default: false, legacyEnv: true, help: 'Run once.' },
    { name: 'depth', type: 'int', default: 1, min: 0, help: 'Depth.' },
    { name: 'ratio', type: 'float', default: 0.5, help: 'Ratio.' },
    { name: 'gc', type: 'enum', choices: ['auto', 'always', 'off'], default: 'always', help: 'GC mode.' },
    { name: 'git-config-add', type: 'list', help: 'Extra config.' },
    { name: 'replicas', type: 'list', envSeparator: ',', flagSeparator: ',', help: 'Replicas.' },
    { name: 'verbose', short: 'v', aliases: ['v'], type: 'int', default: 0, min: 0, max: 9, help: 'Verbosity.' },
    { name: 'password', type: 'string', envOnly: true, secret: true, help: 'Password.' },
    { name: 'wait', type: 'float', deprecated: 'use --period', hidden: true, help: 'Seconds between syncs.' },
    { name: 'web.listen-address', key: 'webListenAddress', type: 'string', default: ':9102', help: 'Listen.' }
  ]
}

const base = ['--repo', 'file:///r']

test('accepts --flag=value, --flag value, bare booleans and --bool=false', () => {
  const { config } = parseConfig<Record<string, unknown>>(table, ['--repo=file:///x', '--depth', '0', '--one-time', '--gc=off'], {})
  assert.equal(config.repo, 'file:///x')
  assert.equal(config.depth, 0)
  assert.equal(config.oneTime, true)
  assert.equal(config.gc, 'off')
  const off = parseConfig<Record<string, unknown>>(table, [...base, '--one-time=false'], {}).config
  assert.equal(off.oneTime, false)
  const neg = parseConfig<Record<string, unknown>>(table, [...base, '--no-one-time'], { DEMO_ONE_TIME: 'true' }).config
  assert.equal(neg.oneTime, false)
})

test('reads Go durations, floats and dotted flag names', () => {
  const { config } = parseConfig<Record<string, unknown>>(table, [...base, '--period=1m30s', '--ratio', '0.25', '--web.listen-address', ':9999'], {})
  assert.equal(config.period, 90_000)
  assert.equal(config.ratio, 0.25)
  assert.equal(config.webListenAddress, ':9999')
})

test('repeated list flags accumulate; scalar flags: the last one wins', () => {
  const { config } = parseConfig<Record<string, unknown>>(table, [...base, '--git-config-add', 'a=1', '--git-config-add=b=2', '--depth=3', '--depth=4', '--replicas', 'r1:1,r2:2', '--replicas=r3:3'], {})
  assert.deepEqual(config.gitConfigAdd, ['a=1', 'b=2'])
  assert.deepEqual(config.replicas, ['r1:1', 'r2:2', 'r3:3'])
  assert.equal(config.depth, 4)
})

test('flags beat env vars, env vars beat defaults, and the source of each value is reported', () => {
  const parsed = parseConfig<Record<string, unknown>>(table, ['--depth=5'], { DEMO_REPO: 'file:///env', DEMO_DEPTH: '7', DEMO_PERIOD: '2s', DEMO_REPLICAS: 'a:1, b:2' })
  assert.equal(parsed.config.repo, 'file:///env')
  assert.equal(parsed.config.depth, 5)
  assert.equal(parsed.config.period, 2000)
  assert.deepEqual(parsed.config.replicas, ['a:1', 'b:2'])
  assert.equal(parsed.sources.depth, 'flag')
  assert.equal(parsed.sources.repo, 'env')
  assert.equal(parsed.sources.gc, 'default')
})

test('the legacy env var wins over the new one when the table says so', () => {
  const { config } = parseConfig<Record<string, unknown>>(table, [], { DEMO_REPO: 'new', OLD_DEMO_REPO: 'old' })
  assert.equal(config.repo, 'old')
  assert.deepEqual(envNames(table, table.options[0]!), ['OLD_DEMO_REPO', 'DEMO_REPO'])
  const other: ConfigTable = { ...table, legacyEnvWins: false }
  assert.equal(parseConfig<Record<string, unknown>>(other, [], { DEMO_REPO: 'new', OLD_DEMO_REPO: 'old' }).config.repo, 'new')
})

test('short flags and aliases map to the same option', () => {
  assert.equal(parseConfig<Record<string, unknown>>(table, [...base, '-v', '3'], {}).config.verbose, 3)
  assert.equal(parseConfig<Record<string, unknown>>(table, [...base, '--v=4'], {}).config.verbose, 4)
  assert.equal(parseConfig<Record<string, unknown>>(table, [...base, '-v=5'], {}).config.verbose, 5)
})

test('env-only options are read from the environment and are not flags', () => {
  assert.equal(parseConfig<Record<string, unknown>>(table, base, { DEMO_PASSWORD: 's3cret' }).config.password, 's3cret')
  assert.throws(() => parseConfig(table, [...base, '--password=x'], {}), UsageError)
})

test('deprecated options still work and produce a warning', () => {
  const parsed = parseConfig<Record<string, unknown>>(table, [...base, '--wait=2.5'], {})
  assert.equal(parsed.config.wait, 2.5)
  assert.deepEqual(parsed.warnings, ['--wait is deprecated: use --period'])
  const fromEnv = parseConfig(table, base, { DEMO_WAIT: '1' })
  assert.match(fromEnv.warnings[0] ?? '', /\$DEMO_WAIT is deprecated/)
})

test('usage errors name the flag: unknown flag, missing argument, malformed values', () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [[...base, '--bogus'], {}, /unknown flag: --bogus/],
    [[...base, '--bogus=1'], {}, /unknown flag: --bogus$/],
    [[...base, '-x'], {}, /unknown flag: -x/],
    [[...base, '--depth'], {}, /flag needs an argument: --depth/],
    [[...base, '--depth=abc'], {}, /invalid integer "abc" for --depth/],
    [[...base, '--depth=1.5'], {}, /invalid integer/],
    [[...base, '--ratio=x'], {}, /invalid number "x" for --ratio/],
    [[...base, '--one-time=maybe'], {}, /invalid boolean "maybe" for --one-time/],
    [[...base, '--period=10'], {}, /invalid duration "10" for --period/],
    [[...base, '--gc=sometimes'], {}, /expected one of auto, always, off/],
    [[...base, 'stray'], {}, /unexpected argument: stray/],
    [base, { DEMO_DEPTH: 'deep' }, /invalid integer "deep" for \$DEMO_DEPTH/],
    [base, { DEMO_ONE_TIME: 'perhaps', OLD_DEMO_ONE_TIME: '' }, /\$DEMO_ONE_TIME/]
  ]
  for (const [argv, env, re] of cases) {
    assert.throws(() => parseConfig(table, argv, env), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${argv.join(' ')}: ${String(err)}`)
      assert.match(err.message, re)
      return true
    })
  }
})

test('config errors: required options missing and values out of range', () => {
  assert.throws(() => parseConfig(table, [], {}), (err: unknown) => err instanceof ConfigError && err.message === '--repo must be specified')
  assert.throws(() => parseConfig(table, [...base, '--period=1ms'], {}), (err: unknown) => err instanceof ConfigError && /--period must be at least 10ms, got 1ms/.test(err.message))
  assert.throws(() => parseConfig(table, [...base, '--verbose=10'], {}), (err: unknown) => err instanceof ConfigError && /at most 9/.test(err.message))
  assert.throws(() => parseConfig(table, [...base, '--depth=-1'], {}), ConfigError)
})

test('--help and --version are recognised anywhere and skip required checks', () => {
  assert.equal(parseConfig(table, ['--help'], {}).action, 'help')
  assert.equal(parseConfig(table, ['-h'], {}).action, 'help')
  assert.equal(parseConfig(table, ['--version'], {}).action, 'version')
  assert.equal(parseConfig(table, ['--version', '--help'], {}).action, 'help')
})

test('the parsed configuration is deeply frozen', () => {
  const { config } = parseConfig<Record<string, unknown>>(table, [...base, '--git-config-add=a'], {})
  assert.ok(Object.isFrozen(config))
  assert.ok(Object.isFrozen(config.gitConfigAdd))
  assert.throws(() => { (config as Record<string, unknown>).repo = 'x' }, TypeError)
})

test('help and the Markdown table list every visible flag with env vars and defaults', () => {
  const help = renderHelp(table)
  assert.match(help, /^Usage: demo \[flags\]/)
  assert.match(help, /--period duration\n\s+Period\. \(default 10s; env \$DEMO_PERIOD\)/)
  assert.match(help, /-v, --verbose int/)
  assert.match(help, /\$OLD_DEMO_REPO, \$DEMO_REPO/)
  assert.doesNotMatch(help, /--wait/)
  const md = renderMarkdownTable(table)
  assert.match(md, /\| `--gc` \| `DEMO_GC` \| `always` \| GC mode\. \|/)
  assert.match(md, /\| \(env only\) \| `DEMO_PASSWORD` \| +\| Password\. \|/)
})

test('redact hides secret values', () => {
  const { config } = parseConfig<Record<string, unknown>>(table, base, { DEMO_PASSWORD: 'hunter2' })
  const safe = redact(table, config)
  assert.equal(safe.password, '[redacted]')
  assert.equal(safe.repo, 'file:///r')
  assert.doesNotMatch(JSON.stringify(safe), /hunter2/)
})
