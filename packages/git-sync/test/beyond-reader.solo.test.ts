// Atomic swaps under a reader: git-sync publishes hundreds of commits one after another while a
// worker thread reads the tree through the link in a loop; no read may fail or mix two commits.
// A ".solo" file: scripts/run-tests.mjs runs it after the others, alone, so the swap count it
// asks for does not depend on what else the machine runs.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { after, describe } from 'node:test'
import { cleanupAll, fileIn, onCleanup, sleep, waitFor } from './helpers/fixture.js'
import { configFromArgs, startGitSync } from '../src/index.js'
import { createLogger } from '@pod-patterns/runtime'
import { conformance, newCase } from './helpers/case.js'

after(cleanupAll)
const quiet = createLogger({ name: 'git-sync-test', level: 'silent' })

void describe('robustness: a reader during swaps', () => {
  // Its own timeout: the swap budget below plus set-up, inside the runner's 300 s per test.
  void conformance('reader_never_sees_a_missing_or_partial_tree_during_swaps', async () => {
    const c = newCase('reader')
    const SWAPS = 300
    const MIN_SWAPS = 200
    const FILES = 20
    // SWAPS+1 commits made up front in one git process: in commit n every file holds n, so a
    // half-built or mixed tree would show mixed numbers.
    let stream = ''
    for (let n = 0; n <= SWAPS; n++) {
      stream += `commit refs/heads/all\nmark :${n + 1}\ncommitter t <t@example.com> ${1_700_000_000 + n} +0000\ndata 0\n`
      if (n > 0) stream += `from :${n}\n`
      for (let i = 0; i < FILES; i++) stream += `M 100644 inline f${i}\ndata ${String(n).length + 1}\n${n}\n`
      stream += '\n'
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: c.repo.dir, input: stream })
    const shas = c.repo.git('rev-list', '--reverse', 'all').trim().split('\n')
    assert.equal(shas.length, SWAPS + 1)
    // Moving the branch is a ref-file write (atomic rename), so the source costs no process.
    const refFile = join(c.repo.dir, '.git/refs/heads/e2e-branch')
    const point = (sha: string): void => { writeFileSync(refFile + '.tmp', sha + '\n'); renameSync(refFile + '.tmp', refFile) }
    point(shas[0] as string)
    // In-process, driven by syncNow: every sync publishes a new commit, nothing waits for a period.
    // Old trees outlive in-flight readers by 5 s, as a consumer would configure it.
    const config = configFromArgs(c.args('--ref=e2e-branch', '--depth=0', '--period=1h', '--git-gc=off', '--stale-worktree-timeout=5s'), {})
    const sync = await startGitSync(config, { logger: quiet })
    onCleanup(async () => { await sync.stop() })
    await waitFor(() => sync.status().hash === shas[0], 60_000, () => JSON.stringify(sync.status()))
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads')
      const fs = require('node:fs')
      let reads = 0, bad = [], stop = false
      parentPort.on('message', () => { stop = true })
      const loop = () => {
        for (let k = 0; k < 2 && !stop; k++) {
          try {
            // Through the link: it must always resolve to a complete tree.
            fs.readFileSync(workerData.link + '/f' + (workerData.files - 1), 'utf8')
            // One tree, resolved once: every file from the same commit.
            const dir = fs.realpathSync(workerData.link)
            const vals = new Set()
            for (let i = 0; i < workerData.files; i++) vals.add(fs.readFileSync(dir + '/f' + i, 'utf8').trim())
            if (vals.size !== 1) bad.push('mixed ' + [...vals].join(','))
          } catch (e) { bad.push(e.code || String(e)) }
          reads++
        }
        // A 1 ms breather per 2 tree reads leaves the cores to git (CI runs another test file
        // beside this one): still a hundred or more reads during every swap, which is what counts.
        if (stop) parentPort.postMessage({ reads, bad: bad.slice(0, 5), nbad: bad.length }); else setTimeout(loop, 1)
      }
      loop()
    `, { eval: true, workerData: { link: c.link, files: FILES } })
    const done = new Promise<{ reads: number, bad: string[], nbad: number }>((resolve) => worker.once('message', resolve))
    // If the test times out, end the reader and the swap loop too, so the file can exit.
    let ended = false
    onCleanup(async () => { ended = true; await worker.terminate() })
    let swaps = 0
    // Up to SWAPS swaps, within a time budget that leaves room on a slow, shared CI machine.
    const deadline = Date.now() + 250_000
    for (let n = 1; n < shas.length && Date.now() < deadline; n++) {
      const sha = shas[n] as string
      point(sha)
      sync.syncNow('test')
      while (sync.status().hash !== sha) {
        if (ended) throw new Error(`stopped after ${swaps} swaps`)
        assert.equal(sync.status().consecutiveFailures, 0, sync.status().lastError)
        await sleep(2)
      }
      swaps++
    }
    worker.postMessage('stop')
    const r = await done
    await worker.terminate()
    console.log(`reader: ${r.reads} tree reads during ${swaps} swaps`)
    assert.ok(swaps >= MIN_SWAPS, `only ${swaps} swaps in the time budget (want at least ${MIN_SWAPS})`)
    assert.equal(fileIn(c.link, 'f0'), String(swaps))
    assert.ok(r.reads > 10 * swaps, `reader only read ${r.reads} times during ${swaps} swaps`)
    assert.equal(r.nbad, 0, `reader saw: ${r.bad.join('; ')}`)
  }, 290_000)
})
