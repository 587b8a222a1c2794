// Conformance with kubernetes/git-sync v4's e2e cases: timing and signals, depth and partial
// clones, sparse checkout, extra git configs, error/touch files and gc modes.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe } from 'node:test'
import { cleanupAll, exists, fileIn, runSync, script, sleep, startSync, waitForContent, waitMetric } from './helpers/fixture.js'
import { conformance, newCase } from './helpers/case.js'

after(cleanupAll)
const GOOD = 'git_sync_count_total{status="success"}'

function slowGit (dir: string, seconds: number): string {
  return script(dir, 'slow-git.sh', `if [ "$1" = fetch ]; then sleep ${seconds}; fi\nexec git "$@"`)
}

void describe('conformance: timing', { concurrency: 2 }, () => {
  void conformance('error_slow_git_short_timeout', async () => {
    const c = newCase('slow_short')
    const p = await runSync(c.args('--one-time', `--git=${slowGit(c.dir, 5)}`, '--sync-timeout=1s'))
    assert.notEqual(p.exitCode, 0)
    assert.ok(!exists(join(c.link, 'file')))
    assert.match(p.output, /timed out after 1s/)
  })

  void conformance('sync_slow_git_long_timeout', async () => {
    const c = newCase('slow_long')
    c.repo.commit('slow_long 1')
    const p = startSync(c.httpArgs(`--git=${slowGit(c.dir, 1)}`, '--period=100ms', '--sync-timeout=16s'))
    const port = await p.httpPort()
    await waitForContent(c.link, 'slow_long 1', p)
    await waitMetric(port, GOOD, 1)
    c.repo.commit('slow_long 2')
    await waitForContent(c.link, 'slow_long 2', p)
    await waitMetric(port, GOOD, 2)
  })

  for (const [name, value] of [['sync_on_signal_sighup', 'SIGHUP'], ['sync_on_signal_hup', 'HUP'], ['sync_on_signal_1', '1']] as const) {
    void conformance(name, async () => {
      const c = newCase(name)
      c.repo.commit(`${name} 1`)
      const p = startSync(c.args('--period=100s', `--sync-on-signal=${value}`))
      await waitForContent(c.link, `${name} 1`, p)
      c.repo.commit(`${name} 2`)
      await sleep(300)
      assert.equal(fileIn(c.link), `${name} 1`, 'no sync before the signal (period is 100s)')
      p.signal('SIGHUP')
      await waitForContent(c.link, `${name} 2`, p, 60_000) // the period is 100 s: only the signal can do this
      assert.equal(p.exitCode, undefined, 'SIGHUP did not kill it')
    })
  }

  void conformance('init_period_first_sync_retried_faster', async () => {
    const c = newCase('init_period')
    const p = startSync(c.args('--period=100s', '--init-period=100ms', '--init-max-failures=-1', '--ref=later'))
    await sleep(500)
    assert.ok(!exists(c.link))
    c.repo.git('branch', 'later')
    await waitForContent(c.link, 'init_period', p, 60_000) // the period is 100 s: only --init-period retries this soon
  })

  void conformance('init_max_failures_exceeded_exits', async () => {
    const c = newCase('init_max_failures')
    const started = Date.now()
    // --max-failures=-1 would retry forever: before the first success, --init-max-failures rules.
    const p = await runSync(c.args('--period=100ms', '--init-max-failures=3', '--max-failures=-1', '--ref=nope'))
    assert.equal(p.exitCode, 1)
    const failures = p.stdout.split('\n').filter((l) => l.includes('error syncing repo')).length
    assert.equal(failures, 3, p.output)
    assert.ok(Date.now() - started < 60_000)
  })

  void conformance('max_failures_retries_then_exits', async () => {
    const c = newCase('max_failures')
    assert.equal((await runSync(c.args('--one-time'))).exitCode, 0)
    const p = await runSync(c.args('--period=100ms', '--max-failures=2', '--ref=nope'))
    assert.equal(p.exitCode, 1)
    assert.equal(p.stdout.split('\n').filter((l) => l.includes('error syncing repo')).length, 2)
    assert.equal(fileIn(c.link), 'max_failures', 'last good tree still published')
  })
})

