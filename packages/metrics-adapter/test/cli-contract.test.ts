// The CLI contract every service keeps: --help, --version, unknown flags exit 2 naming the flag.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { runBin } from '@pod-patterns/runtime/testing'
import { table, PACKAGE } from '../src/index.js'

const bin = fileURLToPath(new URL('../src/main.js', import.meta.url))

test('--help lists every visible flag of the table and exits 0', async () => {
  const r = await runBin(bin, ['--help'])
  assert.equal(r.code, 0)
  assert.match(r.stdout, /^Usage: metrics-adapter \[flags\]/)
  for (const spec of table.options) {
    if (spec.hidden === true || spec.envOnly === true) continue
    assert.ok(r.stdout.includes(`--${spec.name}`), `--help mentions --${spec.name}`)
  }
})

test('--version prints the package version', async () => {
  const r = await runBin(bin, ['--version'])
  assert.equal(r.code, 0)
  assert.equal(r.stdout, `metrics-adapter ${PACKAGE.version}\n`)
})

test('an unknown flag exits 2 with one line naming it', async () => {
  const r = await runBin(bin, ['--no-such-flag=1'])
  assert.equal(r.code, 2)
  assert.equal(r.stderr.split('\n')[0], 'metrics-adapter: unknown flag: --no-such-flag')
})
