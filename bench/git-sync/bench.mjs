#!/usr/bin/env node
// git-sync vs bare git doing the same steps (init, fetch with the same depth, worktree add,
// checkout, atomic link swap), in the same run, interleaved, >= 3 rounds; medians and ratios.
// Writes the git-sync section of docs/benchmarks.md.
//
//   pnpm build && node bench/git-sync/bench.mjs [--rounds 3] [--files 10000] [--updates 100]

import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeSection } from '../write-section.mjs'

const args = process.argv.slice(2)
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i === -1 ? dflt : Number(args[i + 1]) }
const ROUNDS = opt('rounds', 3)
const FILES = opt('files', 10_000)
const UPDATES = opt('updates', 100)
const UPDATE_FILES = opt('update-files', 1000)
const PUSHES = opt('pushes', 30)
const BIN = fileURLToPath(new URL('../../packages/git-sync/dist/src/main.js', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'gs-bench-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' }
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 }).trim()
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
const now = () => Number(process.hrtime.bigint()) / 1e6
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// A source repo with FILES small files in 100 directories, built with fast-import.
function makeRepo (dir, files = FILES) {
  git(work, 'init', '-q', '-b', 'main', dir)
  let stream = 'commit refs/heads/main\ncommitter b <b@x> 1700000000 +0000\ndata 4\ngen\n'
  for (let i = 0; i < files; i++) {
    const content = `file ${i}\n${'x'.repeat(200)}\n`
    stream += `M 644 inline d${i % 100}/f${i}.txt\ndata ${Buffer.byteLength(content)}\n${content}`
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env, input: stream })
  git(dir, 'reset', '-q', '--hard', 'main')
}

// Bare git: the same steps git-sync takes, as one shell script per sync.
const BARE = `
set -e
ROOT="$1"; URL="$2"; LINK="$ROOT/link"
[ -d "$ROOT/.git" ] || git init -q -b git-sync "$ROOT"
cd "$ROOT"
git fetch "$URL" HEAD --depth 1 --no-progress --prune --no-auto-gc -q
SHA=$(git rev-parse 'FETCH_HEAD^{commit}')
OLD=$(basename "$(readlink "$LINK" 2>/dev/null || echo none)")
[ "$SHA" = "$OLD" ] && exit 0
git worktree add -q --force --detach --no-checkout ".worktrees/$SHA" "$SHA"
git -C ".worktrees/$SHA" reset -q --hard "$SHA"
ln -s ".worktrees/$SHA" ".link.tmp"
mv -T ".link.tmp" "$LINK"
[ "$OLD" != none ] && rm -rf ".worktrees/$OLD" && git worktree prune
exit 0
`
const bareScript = join(work, 'bare.sh')
writeFileSync(bareScript, BARE)

function runBare (root, url) { execFileSync('bash', [bareScript, root, url], { env }) }
function runGitSyncOnce (root, url) {
  execFileSync(process.execPath, [BIN, '--one-time', `--repo=${url}`, `--root=${root}`, '--link=link', '--git-gc=off'], { env, stdio: 'ignore' })
}

// 1. First sync of a FILES-file repo.
const src = join(work, 'src')
console.error(`generating a ${FILES}-file repo...`)
makeRepo(src)
const url = `file://${src}`
const first = { 'git-sync': [], git: [] }
for (let r = 0; r < ROUNDS; r++) {
  for (const tool of r % 2 === 0 ? ['git-sync', 'git'] : ['git', 'git-sync']) {
    const root = join(work, `first-${tool}-${r}`)
    const t = now()
    if (tool === 'git') runBare(root, url); else runGitSyncOnce(root, url)
    first[tool].push(now() - t)
    rmSync(root, { recursive: true, force: true })
  }
  console.error(`first sync round ${r + 1}: git-sync ${first['git-sync'][r].toFixed(0)} ms, git ${first.git[r].toFixed(0)} ms`)
}

// 2. UPDATES successive small updates: commit, then sync until the link moves.
// git-sync runs as the long-lived sidecar, woken by its trigger endpoint; bare git runs the script.
async function startSidecar (root, secretFile) {
  const child = spawn(process.execPath, [BIN, `--repo=${url2}`, `--root=${root}`, '--link=link', '--period=1h', '--git-gc=off',
    '--http-bind=127.0.0.1:0', '--trigger-path=/hook', `--trigger-secret-file=${secretFile}`], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  let port = 0
  while (port === 0) {
    const m = /"port":(\d+)/.exec(out)
    if (m) port = Number(m[1]); else await sleep(10)
  }
  while (true) { try { readlinkSync(join(root, 'link')); break } catch { await sleep(10) } }
  return { child, port }
}
const secretFile = join(work, 'secret')
writeFileSync(secretFile, 'bench-secret')
const trigger = (port) => fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', headers: { authorization: 'Bearer bench-secret', connection: 'close' }, body: '' }).then((r) => r.text())
async function waitLink (link, sha) { while (true) { try { if (basename(readlinkSync(link)) === sha) return } catch { /* not there yet */ } await sleep(1) } }

// Each update checks out a whole new worktree, so on a loaded 2-core machine the update phase
// uses a smaller repo (UPDATE_FILES files) to finish in minutes; the first sync uses FILES.
const src2 = join(work, 'src2')
makeRepo(src2, UPDATE_FILES)
const url2 = `file://${src2}`
const updates = { 'git-sync': [], git: [] }
const latency = { 'git-sync': [], git: [] }
let counter = 0
function smallCommit () {
  counter++
  writeFileSync(join(src2, 'd0', 'f0.txt'), `update ${counter}\n`)
  git(src2, 'commit', '-qam', `u${counter}`)
  return git(src2, 'rev-parse', 'HEAD')
}
for (let r = 0; r < ROUNDS; r++) {
  for (const tool of r % 2 === 0 ? ['git-sync', 'git'] : ['git', 'git-sync']) {
    const root = join(work, `upd-${tool}-${r}`)
    let side
    if (tool === 'git-sync') side = await startSidecar(root, secretFile); else runBare(root, url2)
    const lat = []
    const t0 = now()
    for (let i = 0; i < UPDATES; i++) {
      const sha = smallCommit()
      const t = now()
      if (tool === 'git-sync') { await trigger(side.port); await waitLink(join(root, 'link'), sha) } else runBare(root, url2)
      lat.push(now() - t)
    }
    updates[tool].push(now() - t0)
    latency[tool].push(...lat)
    if (side) { side.child.kill('SIGTERM'); await new Promise((resolve) => side.child.once('exit', resolve)) }
    rmSync(root, { recursive: true, force: true })
    console.error(`updates round ${r + 1} ${tool}: ${(updates[tool][r]).toFixed(0)} ms for ${UPDATES}`)
  }
}

// 3. push -> link swapped, via the trigger: a push to a bare repo, the forge's webhook POST,
// timed from the push's exit until an outside reader sees the new link target.
const bare = join(work, 'push-target.git')
git(work, 'clone', '-q', '--bare', src2, bare)
const clone = join(work, 'clone')
git(work, 'clone', '-q', bare, clone)
const pushRoot = join(work, 'push-root')
const pushSecret = join(work, 'push-secret'); writeFileSync(pushSecret, 'bench-secret')
const push = []
{
  const child = spawn(process.execPath, [BIN, `--repo=file://${bare}`, `--root=${pushRoot}`, '--link=link', '--period=1h', '--git-gc=off',
    '--http-bind=127.0.0.1:0', '--trigger-path=/hook', `--trigger-secret-file=${pushSecret}`], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  let port = 0
  while (port === 0) { const m = /"port":(\d+)/.exec(out); if (m) port = Number(m[1]); else await sleep(10) }
  while (true) { try { readlinkSync(join(pushRoot, 'link')); break } catch { await sleep(10) } }
  for (let i = 0; i < PUSHES; i++) {
    mkdirSync(join(clone, 'd0'), { recursive: true })
    writeFileSync(join(clone, 'd0', 'f0.txt'), `push ${i}\n`)
    git(clone, 'commit', '-qam', `p${i}`)
    const sha = git(clone, 'rev-parse', 'HEAD')
    git(clone, 'push', '-q', 'origin', 'HEAD:main')
    const t = now()
    await trigger(port)
    await waitLink(join(pushRoot, 'link'), sha)
    push.push(now() - t)
  }
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
}

const load = (await import('node:os')).loadavg()[0].toFixed(1)
const f = (ms) => `${(ms / 1000).toFixed(2)} s`
const firstRatio = median(first['git-sync']) / median(first.git)
const updRatio = median(updates['git-sync']) / median(updates.git)
const md = `
### git-sync vs bare git

Command: \`pnpm build && node bench/git-sync/bench.mjs --rounds ${ROUNDS} --files ${FILES} --updates ${UPDATES} --update-files ${UPDATE_FILES} --pushes ${PUSHES}\`
(${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim()}, 1-minute load average at the end: ${load} on 2 cores —
other sessions were using the same machine, so absolute numbers are noisy; the two tools ran interleaved in the same rounds).

Bare git runs the same steps git-sync takes (init, \`fetch --depth 1\`, \`worktree add --no-checkout\`, \`reset --hard\`, symlink + rename, drop the old worktree) as one bash script per sync.
git-sync runs with \`--git-gc=off\` so both do the same work (its default \`--git-gc=always\` adds a \`git gc\` after each change).

| scenario | git-sync (median) | bare git (median) | ratio | target |
| --- | --- | --- | --- | --- |
| first sync, ${FILES.toLocaleString('en')} files (\`--one-time\`, includes Node start-up) | ${f(median(first['git-sync']))} | ${f(median(first.git))} | ${firstRatio.toFixed(2)}× | ≤ 1.15× |
| ${UPDATES} successive small updates of a ${UPDATE_FILES.toLocaleString('en')}-file repo (sidecar woken by its trigger; bare git script per update) | ${f(median(updates['git-sync']))} | ${f(median(updates.git))} | ${updRatio.toFixed(2)}× | ≤ 1.15× |

Per-update latency (commit → link swapped): git-sync p50 ${median(latency['git-sync']).toFixed(0)} ms, p90 ${pct(latency['git-sync'], 0.9).toFixed(0)} ms; bare git p50 ${median(latency.git).toFixed(0)} ms, p90 ${pct(latency.git, 0.9).toFixed(0)} ms.

Push → link swapped with the trigger endpoint (${UPDATE_FILES.toLocaleString('en')}-file repo; timed from \`git push\`'s exit, webhook POST, until a reader sees the new link target), ${push.length} pushes:
p50 **${median(push).toFixed(0)} ms**, p90 ${pct(push, 0.9).toFixed(0)} ms, max ${Math.max(...push).toFixed(0)} ms (target: p50 ≤ 300 ms; the anchor has no trigger and waits up to \`--period\`, 10 s by default).

Rounds: first sync ${first['git-sync'].map((x) => x.toFixed(0)).join('/')} ms vs ${first.git.map((x) => x.toFixed(0)).join('/')} ms; updates ${updates['git-sync'].map((x) => x.toFixed(0)).join('/')} ms vs ${updates.git.map((x) => x.toFixed(0)).join('/')} ms.

Not measured yet: the 200 MB repo under an 80 MiB container memory limit.
`
writeSection('git-sync', md)
console.log(md)
