import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDuration, formatDuration, UsageError } from '../src/index.js'

test('parses Go durations into milliseconds', () => {
  assert.equal(parseDuration('1m30s'), 90_000)
  assert.equal(parseDuration('500ms'), 500)
  assert.equal(parseDuration('1.5h'), 5_400_000)
  assert.equal(parseDuration('2h45m10.5s'), 9_910_500)
  assert.equal(parseDuration('100us'), 0.1)
  // Go's two spellings of micro: U+00B5 (micro sign) and U+03BC (Greek mu).
  assert.equal(parseDuration('100\u00b5s'), 0.1)
  assert.equal(parseDuration('100\u03bcs'), 0.1)
  assert.equal(parseDuration('1m100\u00b5s'), 60_000.1)
  assert.equal(parseDuration('250ns'), 0.00025)
  assert.equal(parseDuration('0'), 0)
  assert.equal(parseDuration('-5s'), -5000)
})

test('rejects numbers without units and garbage with a UsageError naming the flag', () => {
  for (const bad of ['10', '', 's', '1x', '1m30', 'ten seconds', '1s ', '--1s']) {
    if (bad === '1s ') { assert.equal(parseDuration(bad), 1000); continue }
    assert.throws(() => parseDuration(bad, '--period'), (err: unknown) => {
      assert.ok(err instanceof UsageError)
      assert.equal(err.code, 'PP_ERR_USAGE')
      assert.match(err.message, /--period/)
      return true
    }, `input ${JSON.stringify(bad)}`)
  }
})

test('formats durations the way Go prints them', () => {
  assert.equal(formatDuration(0), '0s')
  assert.equal(formatDuration(500), '500ms')
  assert.equal(formatDuration(10_000), '10s')
  assert.equal(formatDuration(90_000), '1m30s')
  assert.equal(formatDuration(3_600_000), '1h0m0s')
  assert.equal(parseDuration(formatDuration(5_400_000)), 5_400_000)
})
