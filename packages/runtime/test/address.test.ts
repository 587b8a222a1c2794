import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseAddress, formatAddress, UsageError } from '../src/index.js'

test('reads host:port, :port, bracketed IPv6 and unix paths', () => {
  assert.deepEqual(parseAddress('127.0.0.1:6379'), { kind: 'tcp', host: '127.0.0.1', port: 6379 })
  assert.deepEqual(parseAddress(':9102'), { kind: 'tcp', host: '0.0.0.0', port: 9102 })
  assert.deepEqual(parseAddress(':9102', 'x', '127.0.0.1'), { kind: 'tcp', host: '127.0.0.1', port: 9102 })
  assert.deepEqual(parseAddress('[::1]:8080'), { kind: 'tcp', host: '::1', port: 8080 })
  assert.deepEqual(parseAddress('unix:/tmp/x.sock'), { kind: 'unix', path: '/tmp/x.sock' })
  assert.deepEqual(parseAddress('redis-primary:6379'), { kind: 'tcp', host: 'redis-primary', port: 6379 })
  assert.equal(formatAddress({ kind: 'tcp', host: '::1', port: 1 }), '[::1]:1')
})

test('rejects malformed addresses with the flag in the message', () => {
  for (const bad of ['localhost', 'host:port', 'host:99999', '::1:80', 'unix:', 'host:-1']) {
    assert.throws(() => parseAddress(bad, '--listen'), (err: unknown) => err instanceof UsageError && /--listen/.test(err.message), bad)
  }
})
