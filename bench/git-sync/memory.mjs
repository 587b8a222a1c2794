#!/usr/bin/env node
// Memory part of the git-sync bench: a generated ~200 MB repo synced by git-sync inside a
// container with a hard memory limit (no swap), git children included. The repo is served from
// the host by `git daemon` on loopback, so only the client side (git-sync + its git children)
// runs in the container, as in a pod. Peak memory is sampled from the host through the
// container's memory cgroup (v1 or v2), so the sampler itself is not charged to the limit.
//
//   pnpm build && node bench/git-sync/memory.mjs [--size-mb 200] [--limit-mb 80] [--image localhost/pod-patterns/git-sync:dev]
//
// The image supplies Node and git; the code that runs is this checkout's build (mounted over the
// image's dist), so the numbers belong to the commit being benchmarked.

import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' }

async function freePort () {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

/**
 * A bare repo whose tip tree holds about sizeMb of incompressible files (so the pack is about that
 * big), plus families of large near-identical files stored as delta chains (what makes git's
 * delta-base cache grow when it indexes and checks them out), plus small text files.
 */
function makeBigRepo (dir, sizeMb) {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', dir], { env: gitEnv })
  const fileKb = 256
  const unique = Math.ceil(sizeMb * 0.95 * 1024 / fileKb)
  const child = spawn('git', ['fast-import', '--quiet'], { cwd: dir, env: gitEnv, stdio: ['pipe', 'ignore', 'inherit'] })
  const done = new Promise((resolve, reject) => child.on('exit', (code) => code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`))))
  const put = (path, data) => { child.stdin.write(`M 644 inline ${path}\ndata ${data.length}\n`); child.stdin.write(data); child.stdin.write('\n') }
  child.stdin.write('commit refs/heads/main\ncommitter b <b@x> 1700000000 +0000\ndata 4\nbig\n')
  for (let i = 0; i < unique; i++) put(`d${i % 20}/blob${i}.bin`, randomBytes(fileKb * 1024))
  // 20 families of 8 variants of a 512 KiB file, each a few patches away from the previous one:
  // fast-import stores each as a delta against the one before.
  let files = unique
  for (let f = 0; f < 20; f++) {
    const base = randomBytes(512 * 1024)
    for (let v = 0; v < 8; v++) {
      for (let k = 0; k < 4; k++) randomBytes(64).copy(base, Math.floor(Math.random() * (base.length - 64)))
      put(`family${f}/v${v}.dat`, base)
      files++
    }
  }
  for (let i = 0; i < 3000; i++) put(`src/m${i % 50}/f${i}.txt`, Buffer.from(`// file ${i}\n${'line of text\n'.repeat(20)}`))
  child.stdin.end()
  return done.then(() => files + 3000)
}

/** A second commit on main that changes a few files (the update the second run syncs). */
function pushUpdate (dir) {
  const stream = [
    'commit refs/heads/main\ncommitter b <b@x> 1700000100 +0000\ndata 7\nupdate\nfrom refs/heads/main^0\n',
    ...Array.from({ length: 5 }, (_, i) => { const t = `changed ${i}\n`; return `M 644 inline src/m0/f${i * 50}.txt\ndata ${t.length}\n${t}\n` })
  ].join('')
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env: gitEnv, input: stream })
}

function cgroupDirOf (pid) {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l))
  if (v1 !== undefined) return { dir: join('/sys/fs/cgroup/memory', v1.split(':')[2]), v: 1 }
  const v2 = lines.find((l) => l.startsWith('0::'))
  if (v2 !== undefined) return { dir: join('/sys/fs/cgroup', v2.slice(3)), v: 2 }
  throw new Error(`no memory cgroup for pid ${pid}`)
}

const readNum = (p) => { try { return Number(readFileSync(p, 'utf8').trim()) } catch { return NaN } }
function statOf (dir) {
  const out = {}
  try { for (const l of readFileSync(join(dir, 'memory.stat'), 'utf8').split('\n')) { const [k, v] = l.split(' '); if (k) out[k] = Number(v) } } catch { /* gone */ }
  return out
}
function rssSumKb (dir) {
  let pids = []
  try { pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean) } catch { return { kb: 0, n: 0 } }
  let kb = 0
  for (const p of pids) {
    try { const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8')); if (m) kb += Number(m[1]) } catch { /* exited */ }
  }
  return { kb, n: pids.length }
}

/** Starts a detached container and samples its memory cgroup from the host until it exits. */
async function runSampled (args) {
  const t0 = Date.now()
  const id = execFileSync('podman', args, { encoding: 'utf8' }).trim()
  let cg
  const peak = { anon: 0, usage: 0, rssSum: 0, procs: 0 }
  for (;;) {
    const state = execFileSync('podman', ['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', id], { encoding: 'utf8' }).trim().split(' ')
    if (state[0] !== 'true') break
    if (cg === undefined && Number(state[1]) > 0) {
      try { cg = cgroupDirOf(Number(state[1])) } catch { /* not yet */ }
    }
    if (cg === undefined) { await sleep(20); continue }
    // Sample tightly between the (slow) podman inspect calls.
    for (let k = 0; k < 20; k++) {
      const st = statOf(cg.dir)
      const anon = cg.v === 1 ? (st.total_rss ?? st.rss ?? 0) : (st.anon ?? 0)
      const usage = readNum(join(cg.dir, cg.v === 1 ? 'memory.usage_in_bytes' : 'memory.current'))
      const r = rssSumKb(cg.dir)
      if (anon > peak.anon) peak.anon = anon
      if (usage > peak.usage) peak.usage = usage
      if (r.kb * 1024 > peak.rssSum) { peak.rssSum = r.kb * 1024; peak.procs = r.n }
      await sleep(10)
    }
  }
  const seconds = (Date.now() - t0) / 1000
  const [oom, exitCode] = execFileSync('podman', ['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', id], { encoding: 'utf8' }).trim().split(' ')
  const logs = execFileSync('podman', ['logs', id], { encoding: 'utf8' }).slice(-2000)
  return { seconds, oomKilled: oom === 'true', exitCode: Number(exitCode), peak, cgroupVersion: cg?.v, logs }
}

/**
 * Runs the measurement; returns a result object, or { skipped: reason } when podman or the image
 * is missing.
 */
export async function measureMemory ({ sizeMb = 200, limitMb = 80, image = 'localhost/pod-patterns/git-sync:dev', log = console.error } = {}) {
  try { execFileSync('podman', ['image', 'exists', image]) } catch { return { skipped: `podman or the image ${image} is not available (build it with scripts/build-images.sh)` } }
  const dist = join(REPO_ROOT, 'packages/git-sync/dist/src')
  const runtimeDist = join(REPO_ROOT, 'packages/runtime/dist/src')
  // The bin loads the bundled CLI (dist/cli): mount it too, or the image's own build would run.
  const cliDist = join(REPO_ROOT, 'packages/git-sync/dist/cli')
  if (!existsSync(join(dist, 'main.js')) || !existsSync(join(cliDist, 'git-sync.cjs'))) return { skipped: 'packages/git-sync is not built (pnpm build)' }
  const work = mkdtempSync(join(tmpdir(), 'gs-mem-'))
  const name = `gs-mem-${process.pid}-${Date.now()}`
  const names = []
  let daemon
  try {
    const repo = join(work, 'srv', 'big.git')
    mkdirSync(join(work, 'srv'))
    log(`memory: generating a ${sizeMb} MB repo...`)
    const files = await makeBigRepo(repo, sizeMb)
    const packBytes = readdirSync(join(repo, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).reduce((n, f) => n + Number(execFileSync('stat', ['-c', '%s', join(repo, 'objects', 'pack', f)], { encoding: 'utf8' })), 0)
    const port = await freePort()
    daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${join(work, 'srv')}`, '--listen=127.0.0.1', `--port=${port}`, join(work, 'srv')], { env: gitEnv, stdio: 'ignore' })
    for (let i = 0; i < 100; i++) { try { execFileSync('git', ['ls-remote', `git://127.0.0.1:${port}/big.git`], { env: gitEnv, stdio: 'ignore' }); break } catch { await sleep(50) } }
    const vol = join(work, 'vol')
    mkdirSync(vol)
    chmodSync(vol, 0o777)
    const runtimeMount = '/opt/pod-patterns/git-sync/node_modules/@pod-patterns/runtime/dist/src'
    const phases = []
    // First sync, then an update: the second run fetches the new commit, checks out a second
    // worktree, removes the first and runs `git gc` (the default --git-gc=always) on the repo.
    for (const phase of ['first sync', 'update + gc']) {
      if (phase !== 'first sync') pushUpdate(repo)
      const cname = `${name}-${phases.length}`
      names.push(cname)
      const args = ['run', '-d', '--name', cname, '--network', 'host', '--memory', `${limitMb}m`, '--memory-swap', `${limitMb}m`,
        '-v', `${dist}:/opt/pod-patterns/git-sync/dist/src:ro`, '-v', `${cliDist}:/opt/pod-patterns/git-sync/dist/cli:ro`, '-v', `${runtimeDist}:${runtimeMount}:ro`, '-v', `${vol}:/git`,
        image, `--repo=git://127.0.0.1:${port}/big.git`, '--root=/git', '--link=link', '--one-time', '-v', '1']
      log(`memory (${phase}): podman ${args.join(' ')}`)
      phases.push({ phase, ...await runSampled(args) })
    }
    let linked = false
    try { linked = readdirSync(join(vol, 'link')).length > 0 } catch { /* no link */ }
    return { sizeMb, limitMb, packMb: packBytes / 1048576, files, linked, phases }
  } finally {
    for (const n of names) { try { execFileSync('podman', ['rm', '-f', n], { stdio: 'ignore' }) } catch { /* not created */ } }
    daemon?.kill('SIGTERM')
    rmSync(work, { recursive: true, force: true })
  }
}

export function memoryMarkdown (r) {
  if (r.skipped !== undefined) return `Memory (200 MB repo under an 80 MiB limit): not measured in this run — ${r.skipped}.\n`
  const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`
  const ok = r.linked && r.phases.every((p) => !p.oomKilled && p.exitCode === 0)
  const rows = r.phases.map((p) => `| ${p.phase} | ${!p.oomKilled && p.exitCode === 0 ? 'ok' : `**failed** (exit ${p.exitCode}${p.oomKilled ? ', OOM-killed' : ''})`} | ${p.seconds.toFixed(1)} s | ${mb(p.peak.anon)} | ${mb(p.peak.rssSum)} (${p.peak.procs} procs) | ${mb(p.peak.usage)} |`).join('\n')
  return `Memory: a generated repo of ${r.files.toLocaleString('en')} files, ${r.packMb.toFixed(0)} MiB packed (incompressible blobs, plus families of large near-identical files
stored as delta chains, plus small text files), synced by git-sync with its default flags (\`--depth=1\`, \`--git-gc=always\`, \`--one-time\`) in a container
limited to ${r.limitMb} MiB with no swap (cgroup v${String(r.phases[0]?.cgroupVersion)}; the limit is enforced: a process over it is OOM-killed). \`git daemon\` on the host serves the repo, so only
git-sync and its git children run in the container. Result: **${ok ? `synced under the ${r.limitMb} MiB limit` : 'FAILED'}**.
Peaks are sampled every ~10 ms from the host through the container's memory cgroup: anonymous memory (what the limit cannot reclaim), summed RSS of the
processes (file pages such as the node binary and git's mapped packs counted once per process, so it can exceed the limit), and cgroup usage with page cache.

| run | result | time | peak anonymous | peak summed RSS | peak usage incl. cache |
| --- | --- | --- | --- | --- | --- |
${rows}
`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const opt = (n, d) => { const i = args.indexOf(`--${n}`); return i === -1 ? d : args[i + 1] }
  const r = await measureMemory({ sizeMb: Number(opt('size-mb', 200)), limitMb: Number(opt('limit-mb', 80)), image: opt('image', 'localhost/pod-patterns/git-sync:dev') })
  for (const p of r.phases ?? []) { console.log(p.phase, JSON.stringify({ ...p, logs: undefined })); if (p.oomKilled || p.exitCode !== 0) console.log(p.logs) }
  console.log(memoryMarkdown(r))
}
