// The CLI: --help, --version, usage and configuration errors with their exit codes.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../src/main.js', import.meta.url))
const cli = (args: string[], env: Record<string, string> = {}): { code: number | null, out: string, err: string } => {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

void test('--help lists every flag with its env var', () => {
  const r = cli(['--help'])
  assert.equal(r.code, 0)
  for (const f of ['--listen', '--primary', '--replicas', '--sentinels', '--master-name', '--read-policy', '--read-your-writes', '--max-replica-lag', '--deny-commands', '--http-bind']) assert.ok(r.out.includes(f), f)
  assert.ok(r.out.includes('REDIS_AMBASSADOR_LISTEN'))
})

void test('--version prints the version', () => {
  const r = cli(['--version'])
  assert.equal(r.code, 0)
  assert.match(r.out, /^redis-ambassador \d+\.\d+\.\d+/)
})

void test('an unknown flag is a usage error (exit 2)', () => {
  const r = cli(['--no-such-flag'])
  assert.equal(r.code, 2)
  assert.match(r.err, /no-such-flag/)
})

void test('no topology, or both kinds, is a configuration error (exit 1) naming the flags', () => {
  const none = cli([])
  assert.equal(none.code, 1)
  assert.match(none.err, /no topology/)
  const both = cli(['--primary', '127.0.0.1:1', '--sentinels', '127.0.0.1:2'])
  assert.equal(both.code, 1)
  assert.match(both.err, /exclude each other/)
  const badPolicy = cli(['--primary', '127.0.0.1:1', '--read-policy', 'random'])
  assert.equal(badPolicy.code, 2)
})

void test('env vars configure it: a bad address from the environment is reported', () => {
  const r = cli([], { REDIS_AMBASSADOR_PRIMARY: 'nohostport' })
  assert.equal(r.code, 1)
  assert.match(r.err, /nohostport/)
})

void test('TLS flags: an unreadable CA file, a certificate without its key, or TLS files without TLS are configuration errors (exit 1)', () => {
  const missing = cli(['--primary', '127.0.0.1:1', '--upstream-tls', '--tls-ca-file', '/nonexistent/ca.crt'])
  assert.equal(missing.code, 1)
  assert.match(missing.err, /--tls-ca-file \/nonexistent\/ca\.crt: ENOENT/)
  const noKey = cli(['--primary', '127.0.0.1:1', '--upstream-tls', '--tls-cert-file', '/etc/hostname'])
  assert.equal(noKey.code, 1)
  assert.match(noKey.err, /--tls-cert-file and --tls-key-file go together/)
  const noTls = cli(['--primary', '127.0.0.1:1', '--tls-ca-file', '/etc/hostname'])
  assert.equal(noTls.code, 1)
  assert.match(noTls.err, /--tls-ca-file needs --upstream-tls or --sentinel-tls/)
})

void test('--max-client-pipeline: a value below 1 or not a number is refused, naming the flag or its env var', () => {
  const zero = cli(['--primary', '127.0.0.1:1', '--max-client-pipeline', '0'])
  assert.equal(zero.code, 1)
  assert.match(zero.err, /--max-client-pipeline must be at least 1, got 0/)
  const word = cli(['--primary', '127.0.0.1:1', '--max-client-pipeline', 'lots'])
  assert.equal(word.code, 2)
  assert.match(word.err, /--max-client-pipeline/)
  const env = cli(['--primary', '127.0.0.1:1'], { REDIS_AMBASSADOR_MAX_CLIENT_PIPELINE: '-5' })
  assert.equal(env.code, 1)
  assert.match(env.err, /--max-client-pipeline must be at least 1, got -5/)
})
