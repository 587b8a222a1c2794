#!/usr/bin/env node
// Runs every compiled test file with node:test, once per Node binary asked for, and ends with
// one closing line covering all of them: `N passed, N failed, N skipped`.
//
//   node scripts/run-tests.mjs                      # all tests on this Node
//   node scripts/run-tests.mjs --unit               # package tests only (no images/pods)
//   node scripts/run-tests.mjs --node /path/node24  # also run the package tests on another Node
//                                                   # (git-sync's CLI conformance suites run on the last one)
//   node scripts/run-tests.mjs --only git-sync      # files whose path contains this
//   TEST_NAME_PATTERN='sync_branch' node scripts/run-tests.mjs

import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const nodes = [process.execPath]
let unit = false
const only = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--unit') unit = true
  else if (args[i] === '--node') { const p = args[++i]; nodes.push(p.includes('/') ? resolve(p) : p) } // tests spawn it from other directories
  else if (args[i] === '--only') only.push(args[++i])
  else {
    console.error(`run-tests: unknown argument ${args[i]}`)
    process.exit(2)
  }
}

function findTests (dir) {
  const out = []
  let entries
  try { entries = readdirSync(dir) } catch { return out }
  for (const e of entries) {
    if (e === 'node_modules') continue
    const p = join(dir, e)
    if (statSync(p).isDirectory()) out.push(...findTests(p))
    else if (e.endsWith('.test.js')) out.push(p)
  }
  return out
}

const select = (list) => (only.length > 0 ? list.filter((f) => only.some((o) => f.includes(o))) : list).sort()
const unitFiles = []
for (const pkg of readdirSync(join(root, 'packages'))) unitFiles.push(...findTests(join(root, 'packages', pkg, 'dist', 'test')))
// End-to-end tests build images and play pods: they do not depend on the host's Node, so they
// run once, under the first Node; the package tests run under every Node asked for.
const e2eFiles = unit ? [] : findTests(join(root, 'test', 'dist'))
// git-sync's conformance suites drive the CLI as a child process against real git servers; what
// they check is the CLI, so they run once, under the last Node asked for (the image's runtime,
// Node 24), and the library-level package tests run under every Node.
const cliOnce = (f) => /[\\/]packages[\\/]git-sync[\\/]dist[\\/]test[\\/](conformance-[^\\/]+|beyond[^\\/]*)\.test\.js$/.test(f) && !f.endsWith('conformance-map.test.js')
// A `.solo.test.js` file asks for the machine to itself (a throughput floor, not a timing test
// of our code against itself): it runs after the others, one file at a time.
const solo = (f) => f.endsWith('.solo.test.js')
const allFiles = select([...unitFiles, ...e2eFiles])
if (allFiles.length === 0) {
  console.error('run-tests: no test files found; run `pnpm build` first')
  process.exit(1)
}

const totals = { pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 }
let failedRuns = 0
// Each run's "failing tests" section, shown again just above the closing line: a long run's
// failures are otherwise far up in the output, where a log kept only by its tail loses them.
const failures = []
const FAILING_HEADING = '\u2716 failing tests:'

for (const [n, node] of nodes.entries()) {
  const last = n === nodes.length - 1
  const files = (n === 0 ? allFiles : select(unitFiles)).filter((f) => last || !cliOnce(f))
  if (files.length === 0) continue
  const version = await new Promise((resolve) => {
    const p = spawn(node, ['--version'])
    let s = ''
    p.stdout.on('data', (d) => { s += d })
    p.on('close', () => resolve(s.trim()))
    p.on('error', () => resolve('unavailable'))
  })
  if (version === 'unavailable') {
    console.error(`run-tests: cannot run ${node}; run bash scripts/setup.sh`)
    failedRuns++
    totals.fail++
    continue
  }
  console.log(`\n=== node ${version}: ${files.length} test files ===`)
  for (const [group, concurrency] of [[files.filter((f) => !solo(f)), 2], [files.filter(solo), 1]]) {
    if (group.length === 0) continue
    if (concurrency === 1) console.log(`\n=== node ${version}: ${group.length} file(s) run alone ===`)
    await runGroup(node, group, concurrency)
  }
}

async function runGroup (node, group, concurrency) {
  const nodeArgs = ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=300000']
  if (process.env.TEST_NAME_PATTERN) nodeArgs.push(`--test-name-pattern=${process.env.TEST_NAME_PATTERN}`)
  nodeArgs.push(...group.map((f) => relative(root, f)))
  const counts = await new Promise((resolve) => {
    const child = spawn(node, nodeArgs, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, POD_PATTERNS_NODE: node } })
    const found = {}
    let tail = ''
    let failing = ''
    // Decoded as a stream: a character cut between two chunks (the heading's ✖ is 3 bytes) stays whole.
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (text) => {
      process.stdout.write(text)
      tail = (tail + text).slice(-65536)
      // The reporter prints the section last, after the counts; keep it from its heading on. Only
      // the new text (and a heading cut across chunks) needs searching.
      if (failing === '') {
        const at = tail.indexOf(FAILING_HEADING, Math.max(0, tail.length - text.length - FAILING_HEADING.length))
        if (at >= 0) failing = tail.slice(at)
      } else failing += text
    })
    child.on('close', (code) => {
      for (const key of Object.keys(totals)) {
        const m = new RegExp(`^ℹ ${key} (\\d+)$`, 'm').exec(tail)
        found[key] = m ? Number(m[1]) : 0
      }
      found.code = code
      if (failing !== '') failures.push({ node, text: failing })
      resolve(found)
    })
  })
  for (const key of Object.keys(totals)) totals[key] += counts[key]
  if (counts.code !== 0) failedRuns++
  if (counts.code !== 0 && counts.fail === 0) totals.fail++ // the runner itself failed
}

const failed = totals.fail + totals.cancelled
if (failures.length > 0) {
  console.log('\n=== the failures again (each test\'s message and its own lines; the full trace is above) ===')
  for (const f of failures) console.log(`\n--- under ${f.node}\n${briefFailures(f.text)}`)
}
console.log(`\n${totals.pass} passed, ${failed} failed, ${totals.skipped + totals.todo} skipped`)
process.exit(failedRuns > 0 || failed > 0 ? 1 : 0)

/**
 * A failing-tests section without stack frames, each test's block cut to 80 lines and the whole
 * to 400: enough for the assertion and the logs a test attaches to it.
 */
function briefFailures (text) {
  const lines = text.split('\n').filter((l) => !/^\s+at (?:.* \()?node:/.test(l)) // Node's own frames
  const out = []
  let block = 0
  for (const l of lines) {
    if (/^\u2716 /.test(l) || /^test at /.test(l)) block = 0
    if (++block === 81) out.push('  \u2026 (cut; see above)')
    if (block > 80) continue
    out.push(l)
    if (out.length >= 400) { out.push('\u2026 (more above)'); break }
  }
  return out.join('\n').trimEnd()
}
