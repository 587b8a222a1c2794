// The container scripts' own contracts: podman-setup.sh writes its config only when it is
// absent or its own, and is idempotent; build-images.sh explains itself and rejects unknowns.

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot, run } from '../src/pods.js'

async function setup (conf: string): Promise<{ code: number, out: string }> {
  const r = await run('bash', ['-c', `PODMAN_SETUP_CONF='${conf}' PODMAN_SETUP_FORCE=1 bash scripts/podman-setup.sh`])
  return { code: r.code, out: r.stdout + r.stderr }
}

describe('scripts/podman-setup.sh', () => {
  it('writes runc and ulimits within the host\'s limits when no config exists, then leaves it unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-setup-'))
    try {
      const conf = join(dir, 'containers.conf')
      const first = await setup(conf)
      assert.equal(first.code, 0, first.out)
      const text = readFileSync(conf, 'utf8')
      assert.match(text, /^runtime = "runc"$/m)
      const nproc = Number(/nproc=(\d+):/.exec(text)?.[1])
      const hard = (await run('bash', ['-c', 'ulimit -Hu'])).stdout.trim()
      assert.ok(nproc > 0 && (hard === 'unlimited' || nproc <= Number(hard)), `nproc ${nproc} within ${hard}`)
      const mtime = statSync(conf).mtimeMs
      const second = await setup(conf)
      assert.equal(second.code, 0)
      assert.equal(second.out, '', 'nothing to do the second time')
      assert.equal(statSync(conf).mtimeMs, mtime)
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })

  it('never overwrites a config the user wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-setup-'))
    try {
      const conf = join(dir, 'containers.conf')
      writeFileSync(conf, '[engine]\nruntime = "crun"\n')
      const r = await setup(conf)
      assert.equal(r.code, 0)
      assert.equal(readFileSync(conf, 'utf8'), '[engine]\nruntime = "crun"\n')
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })
})

describe('scripts/build-images.sh', () => {
  it('prints its usage with --help and rejects an unknown image before building anything', async () => {
    const help = await run('bash', ['scripts/build-images.sh', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /STANDIN=auto\|always\|never/)
    const bad = await run('bash', ['-c', 'ENGINE=podman bash scripts/build-images.sh no-such-image'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /unknown image no-such-image/)
  })
})

describe('examples/kind/run.sh, the steps that need no cluster', () => {
  it('check renders every kind overlay, validates it against the API schemas and lists the images to load', async () => {
    const r = await run('bash', ['examples/kind/run.sh', 'check', 'all'], { timeoutMs: 120_000 })
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const valid = [...r.stdout.matchAll(/(\d+) of (\d+) objects valid/g)]
    assert.equal(valid.length, 4, r.stdout)
    for (const m of valid) assert.ok(Number(m[1]) > 0 && m[1] === m[2], m[0])
    const images = /images: (.*)/.exec(r.stdout)?.[1]?.split(' ').sort()
    assert.deepEqual(images, ['examples', 'git-sync', 'metrics-adapter', 'metrics-adapter-jmx', 'redis-ambassador'])
  })

  it('check of one example lists only the images it uses', async () => {
    const r = await run('bash', ['examples/kind/run.sh', 'check', '1-sidecar'], { timeoutMs: 60_000 })
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(/images: (.*)/.exec(r.stdout)?.[1], 'examples git-sync')
  })

  it('rejects an unknown example with its usage and exit 2, touching no cluster', async () => {
    const r = await run('bash', ['examples/kind/run.sh', '5-nope'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^usage: .*1-sidecar\|2-ambassador/)
  })
})

describe('scripts/run-tests.mjs', () => {
  // A copy of the runner in a scratch tree finds that tree's test files (it looks beside itself).
  async function runner (files: Record<string, string>): Promise<{ code: number, lines: string[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'pp-runner-'))
    try {
      mkdirSync(join(dir, 'scripts'))
      copyFileSync(join(repoRoot, 'scripts', 'run-tests.mjs'), join(dir, 'scripts', 'run-tests.mjs'))
      mkdirSync(join(dir, 'packages', 'demo', 'dist', 'test'), { recursive: true })
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'packages', 'demo', 'dist', 'test', name), text)
      // Not as a child of this test run: without its name filter and its reporting channel.
      const r = await run('env', ['-u', 'TEST_NAME_PATTERN', '-u', 'NODE_TEST_CONTEXT', process.execPath, join(dir, 'scripts', 'run-tests.mjs'), '--unit'], { cwd: dir, timeoutMs: 60_000 })
      return { code: r.code, lines: r.stdout.trimEnd().split('\n') }
    } finally { rmSync(dir, { recursive: true, force: true }) }
  }
  const pass = "import { test } from 'node:test'\ntest('fine', () => {})\n"
  const fail = "import { test } from 'node:test'\nimport assert from 'node:assert/strict'\ntest('broken', () => { assert.equal(1, 2, 'the reason it broke') })\n"

  it('repeats the failing tests, without Node\'s own stack frames, just above the closing line', async () => {
    const r = await runner({ 'a.test.js': pass, 'b.test.js': fail })
    assert.equal(r.code, 1)
    assert.equal(r.lines.at(-1), '1 passed, 1 failed, 0 skipped')
    const again = r.lines.findIndex((l) => l.startsWith('=== the failures again'))
    assert.ok(again > r.lines.findLastIndex((l) => l.startsWith('\u2139 duration_ms')), 'after the reporter\'s own counts')
    const repeated = r.lines.slice(again)
    assert.ok(repeated.some((l) => l.includes('broken')) && repeated.some((l) => l.includes('the reason it broke')), repeated.join('\n'))
    assert.ok(!repeated.some((l) => l.includes('node:internal')), repeated.join('\n'))
    assert.ok(r.lines.slice(0, again).some((l) => l.includes('node:internal')), 'the full trace stays above')
  })

  it('adds nothing when every test passes', async () => {
    const r = await runner({ 'a.test.js': pass })
    assert.equal(r.code, 0)
    assert.equal(r.lines.at(-1), '1 passed, 0 failed, 0 skipped')
    assert.ok(!r.lines.some((l) => l.includes('failures again')))
  })
})
