import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger, normaliseLevel, levelFromVerbosity } from '../src/index.js'

test('logs one JSON object per line with name, level, time and serialised errors', () => {
  const lines: string[] = []
  const logger = createLogger({ name: 'svc', level: 'debug', destination: new Writable({ write (c, _e, cb) { lines.push(String(c)); cb() } }) })
  logger.child({ component: 'sync' }).error({ err: new Error('nope') }, 'sync failed')
  logger.trace('hidden')
  assert.equal(lines.length, 1)
  const rec = JSON.parse(lines[0] ?? '') as Record<string, unknown>
  assert.equal(rec.name, 'svc')
  assert.equal(rec.level, 50)
  assert.equal(rec.component, 'sync')
  assert.equal(rec.msg, 'sync failed')
  assert.equal((rec.err as { message: string }).message, 'nope')
  assert.match(String(rec.time), /^\d{4}-\d\d-\d\dT/)
})

test('level names from other tools are normalised; verbosity maps to levels', () => {
  assert.equal(normaliseLevel('WARNING'), 'warn')
  assert.equal(normaliseLevel('Debug'), 'debug')
  assert.equal(normaliseLevel(undefined), 'info')
  assert.equal(levelFromVerbosity(0), 'info')
  assert.equal(levelFromVerbosity(2), 'debug')
  assert.equal(levelFromVerbosity(9), 'trace')
})
