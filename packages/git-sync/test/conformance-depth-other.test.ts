// Conformance with kubernetes/git-sync v4's e2e cases: depth and partial clones, sparse
// checkout, extra git configs, error/touch files and gc modes.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomFillSync } from 'node:crypto'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { cleanupAll, exists, fileIn, git, runSync, script, sleep, startSync, waitFor, waitForContent } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'

after(cleanupAll)
const depthOf = (dir: string): number => git(dir, ['rev-list', 'HEAD']).trim().split('\n').length


void describe('conformance: depth and partial clone', { concurrency: 2 }, () => {
  void conformance('sync_depth_default_shallow', async () => {
    const c = newCase('depth_default')
    c.repo.commit('1'); c.repo.commit('2'); c.repo.commit('3')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    assert.equal(depthOf(c.link), 1)
  })

  void conformance('sync_depth_across_updates', async () => {
    const c = newCase('depth_updates')
    c.repo.commit('depth 1')
    const p = startSync(c.args('--period=100ms', '--depth=1'))
    await waitForContent(c.link, 'depth 1', p)
    assert.equal(depthOf(c.link), 1)
    c.repo.commit('depth 2')
    await waitForContent(c.link, 'depth 2', p)
    assert.equal(depthOf(c.link), 1)
    c.repo.resetBack()
    await waitForContent(c.link, 'depth 1', p)
    assert.equal(depthOf(c.link), 1)
  })

  void conformance('sync_depth_change_on_restart', async () => {
    const c = newCase('depth_restart')
    c.repo.commit('1'); c.repo.commit('2'); c.repo.commit('3')
    for (const [depth, want] of [[1, 1], [2, 2], [1, 1], [0, 4]] as const) {
      const p = await runSync(c.args('--one-time', `--depth=${depth}`))
      assert.equal(p.exitCode, 0, p.output)
      assert.equal(depthOf(c.link), want, `depth=${depth}`)
    }
  })

  void conformance('sync_partial_clone_filter', async () => {
    const c = newCase('filter')
    c.repo.git('config', 'uploadpack.allowFilter', 'true')
    c.repo.commit('filter 1')
    const p = startSync(c.args('--period=100ms', '--filter=blob:none'))
    await waitForContent(c.link, 'filter 1', p)
    assert.equal(git(c.root, ['config', 'remote.origin.promisor']).trim(), 'true')
    c.repo.commit('filter 2')
    await waitForContent(c.link, 'filter 2', p)
  })

  void conformance('sync_partial_clone_filter_with_sparse_checkout', async () => {
    const c = newCase('filter_sparse')
    c.repo.git('config', 'uploadpack.allowFilter', 'true')
    c.repo.commit('keep', 'file2')
    c.repo.commit('drop', 'dir/file3')
    writeFileSync(join(c.dir, 'sparse'), '/file2\n')
    const p = await runSync(c.args('--one-time', '--filter=blob:none', `--sparse-checkout-file=${join(c.dir, 'sparse')}`))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link, 'file2'), 'keep')
    assert.ok(!exists(join(c.link, 'dir')))
    // Only the blob checked out was fetched: the other two are still missing locally.
    const missing = git(c.root, ['rev-list', '--objects', '--missing=print', c.repo.head()]).split('\n').filter((l) => l.startsWith('?'))
    assert.ok(missing.length >= 2, `expected missing blobs, got ${missing.join(',')}`)
  })

  void conformance('sparse_checkout', async () => {
    const c = newCase('sparse_checkout')
    writeFileSync(join(c.dir, 'sparseconfig'), '!/*\n!/*/\nfile2\n')
    c.repo.commit('sparse_checkout', 'file2')
    c.repo.commit('sparse_checkout', 'dir/file3')
    const p = await runSync(c.args('--one-time', `--sparse-checkout-file=${join(c.dir, 'sparseconfig')}`))
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link, 'file2'), 'sparse_checkout')
    assert.ok(!exists(join(c.link, 'file')))
    assert.ok(!exists(join(c.link, 'dir')))
  })
})

void describe('conformance: other', { concurrency: 2 }, () => {
  void conformance('additional_git_configs', async () => {
    const c = newCase('additional_git_configs')
    const log = join(c.dir, 'configs.log')
    const wrapper = script(c.dir, 'git-wrapper.sh', `git config sect.k1 >> ${log}; git config sect.k2 >> ${log}; git config http.postBuffer >> ${log}\nexec git "$@"`)
    const p = await runSync([...c.args('--one-time', `--git=${wrapper}`), '--git-config=protocol.file.allow:always,http.postBuffer:10485760,sect.k1:"a val",sect.k2:another val'])
    assert.equal(p.exitCode, 0, p.output)
    assert.equal(fileIn(c.link), 'additional_git_configs')
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').slice(0, 3), ['a val', 'another val', '10485760'])
  })

  void conformance('export_error', async () => {
    const c = newCase('export_error')
    const p = await runSync(c.args('--ref=does-not-exist', '--error-file=error.json'))
    assert.notEqual(p.exitCode, 0)
    assert.ok(!exists(c.link))
    const e = JSON.parse(readFileSync(join(c.root, 'error.json'), 'utf8')) as { Msg: string, Err: string, Args: unknown }
    assert.match(e.Err, /couldn't find remote ref/)
    assert.equal(typeof e.Msg, 'string')
    assert.ok(e.Args !== undefined)
    const ok = await runSync(c.args('--one-time', '--error-file=error.json'))
    assert.equal(ok.exitCode, 0, ok.output)
    assert.equal(fileIn(c.link), 'export_error')
    assert.ok(!exists(join(c.root, 'error.json')))
  })

  void conformance('export_error_abs_path', async () => {
    const c = newCase('export_error_abs')
    const p = await runSync(c.args('--ref=does-not-exist', `--error-file=${c.root}/dir/error.json`))
    assert.notEqual(p.exitCode, 0)
    assert.match(readFileSync(join(c.root, 'dir/error.json'), 'utf8'), /couldn't find remote ref/)
  })

  for (const [name, rel] of [['touch_file', 'touch.file'], ['touch_file_abs_path', null]] as const) {
    void conformance(name, async () => {
      const c = newCase(name)
      const touch = rel ?? join(c.root, 'dir/touch.file')
      const touchPath = rel === null ? touch : join(c.root, rel)
      c.repo.commit(`${name} 1`)
      const p = startSync(c.args('--period=100ms', `--touch-file=${touch}`))
      for (const [i, step] of [[1, () => undefined], [2, () => c.repo.commit(`${name} 2`)], [1, () => c.repo.resetBack()]] as const) {
        step()
        await waitFor(() => exists(touchPath), 60_000, () => p.output)
        await waitForContent(c.link, `${name} ${i}`, p)
        rmSync(touchPath)
        await sleep(700)
        assert.ok(!exists(touchPath), 'not touched again without a change')
      }
    })
  }

  void conformance('gc_default', async () => {
    const c = newCase('gc_default')
    const sha1 = c.repo.head()
    const big = (name: string): void => { const b = Buffer.alloc(2 * 1024 * 1024); randomFillSync(b); writeFileSync(join(c.repo.dir, name), b) }
    big('big1'); c.repo.git('add', '.'); c.repo.git('commit', '-qm', 'big1')
    big('big2'); c.repo.git('add', '.'); c.repo.git('commit', '-qm', 'big2')
    const sha3 = c.repo.head()
    const du = (): number => Number(execFileSync('du', ['-sk', c.root], { encoding: 'utf8' }).split('\t')[0])
    assert.equal((await runSync(c.args('--one-time', `--ref=${sha3}`, '--depth=0'))).exitCode, 0)
    const full = du()
    assert.ok(full > 7000, `repo impossibly small: ${full}`)
    assert.equal((await runSync(c.args('--one-time', `--ref=${sha1}`, '--depth=1'))).exitCode, 0)
    assert.ok(!exists(join(c.link, 'big1')))
    const small = du()
    assert.ok(small < 1500, `gc should have dropped the big blobs: ${small} KiB`)
  })

  for (const mode of ['auto', 'always', 'aggressive', 'off']) {
    void conformance(`gc_${mode}`, async () => {
      const c = newCase(`gc_${mode}`)
      const p = await runSync(c.args('--one-time', `--git-gc=${mode}`))
      assert.equal(p.exitCode, 0, p.output)
      assert.equal(fileIn(c.link), `gc_${mode}`)
    })
  }
})
