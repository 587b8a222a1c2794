// Test fixtures: temp dirs, source repos driven by real git, and the real git-sync CLI run as a
// child process (with its logs captured) — everything cleaned up even when a test fails.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Readable } from 'node:stream'

// The package's bin, as users and the image run it: the bundled CLI (dist/src/main.js when unbundled).
export const BIN = fileURLToPath(new URL('../../src/launch.cjs', import.meta.url))
export const NODE = process.env.POD_PATTERNS_NODE ?? process.execPath

const cleanups: Array<() => void | Promise<void>> = []
const children = new Set<ChildProcess>()
// If the test file is torn down (timeout, ^C), never leave a git-sync running behind it.
function killChildren (): void { for (const c of children) { try { c.kill('SIGKILL') } catch { /* gone */ } } }
process.on('exit', killChildren)
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => { killChildren(); process.kill(process.pid, sig) })
/** Registers cleanup run by `cleanupAll` (call it in an `after` hook). */
export function onCleanup (fn: () => void | Promise<void>): void { cleanups.push(fn) }
export async function cleanupAll (): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop() as () => void | Promise<void>
    try { await fn() } catch { /* keep cleaning */ }
  }
}

export function tempDir (prefix = 'gs-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  onCleanup(() => { rmSync(d, { recursive: true, force: true }) })
  return d
}

/** Env for git run by tests: no user/system config, a fixed identity. */
export function testGitEnv (home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
    GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com'
  }
}

export function git (cwd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync('git', ['-c', 'protocol.file.allow=always', ...args], { cwd, env: env ?? testGitEnv(cwd), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** A source repository on disk (branch e2e-branch). */
export class SourceRepo {
  readonly dir: string
  constructor (dir: string, content = 'init') {
    this.dir = dir
    mkdirSync(dir, { recursive: true })
    git(dir, ['init', '-q', '-b', 'e2e-branch'])
    writeFileSync(join(dir, 'file'), content + '\n')
    git(dir, ['add', 'file'])
    git(dir, ['commit', '-qm', 'init'])
  }

  get url (): string { return `file://${this.dir}` }
  git (...args: string[]): string { return git(this.dir, args) }
  head (): string { return this.git('rev-parse', 'HEAD').trim() }

  /** Writes file=content, commits, returns the new SHA. */
  commit (content: string, file = 'file'): string {
    mkdirSync(dirname(join(this.dir, file)), { recursive: true })
    writeFileSync(join(this.dir, file), content + '\n')
    this.git('add', file)
    this.git('commit', '-qm', content)
    return this.head()
  }

  resetBack (): string { this.git('reset', '-q', '--hard', 'HEAD^'); return this.head() }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** A running git-sync CLI. */
export class GitSyncProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<number>
  exitCode: number | undefined
  readonly args: readonly string[]

  constructor (args: readonly string[], opts: RunOptions = {}) {
    this.args = args
    this.child = spawn(NODE, [BIN, ...args], {
      cwd: opts.cwd ?? tmpdir(),
      env: { ...testGitEnv(opts.env?.HOME ?? tmpdir()), ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    children.add(this.child)
    this.child.on('exit', () => children.delete(this.child))
    this.child.stdout?.on('data', (d: Buffer) => { this.stdout += d.toString() })
    this.child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString() })
    // 'exit' can come before the last output is read from the pipes: wait for both streams to
    // end too (at most 2 s, in case a grandchild still holds a pipe), so `output` is complete.
    const ended = (s: Readable | null): Promise<void> => new Promise((resolve) => {
      if (s === null || s.readableEnded) { resolve(); return }
      s.once('end', resolve)
      s.once('close', resolve)
    })
    const drained = Promise.all([ended(this.child.stdout), ended(this.child.stderr)])
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, sig) => {
        this.exitCode = code ?? (sig !== null ? 128 : 1)
        const code2 = this.exitCode
        const cap = setTimeout(() => { resolve(code2) }, 2000)
        void drained.then(() => { clearTimeout(cap); resolve(code2) })
      })
    })
    onCleanup(async () => { await this.kill() })
  }

  get output (): string { return this.stdout + this.stderr }

  /** The HTTP port from the "ops server listening" log line. */
  async httpPort (timeoutMs = 60_000): Promise<number> {
    let port = 0
    await waitFor(() => {
      const m = /"address":\{"address":"[^"]*","family":"[^"]*","port":(\d+)\}/.exec(this.stdout)
      if (m !== null) port = Number(m[1])
      return port !== 0
    }, timeoutMs, () => `no HTTP port in output:\n${this.output}`)
    return port
  }

  signal (sig: NodeJS.Signals): void { this.child.kill(sig) }

  async kill (): Promise<void> {
    if (this.exitCode !== undefined) return
    this.child.kill('SIGTERM')
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await this.exited
    clearTimeout(t)
  }
}

export function startSync (args: readonly string[], opts: RunOptions = {}): GitSyncProcess {
  return new GitSyncProcess(args, opts)
}

/** Runs git-sync to completion (e.g. --one-time) and returns it. */
export async function runSync (args: readonly string[], opts: RunOptions = {}, timeoutMs = 60_000): Promise<GitSyncProcess> {
  const p = new GitSyncProcess(args, opts)
  const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs)
  await p.exited
  clearTimeout(t)
  return p
}

export async function sleep (ms: number): Promise<void> { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Polls cond until true or throws after timeoutMs. */
export async function waitFor (cond: () => boolean | Promise<boolean>, timeoutMs = 60_000, what: string | (() => string) = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`)
    await sleep(25)
  }
}

export function readIf (path: string): string | undefined {
  try { return readFileSync(path, 'utf8') } catch { return undefined }
}

/** The trimmed content of link/file, or undefined. */
export function fileIn (link: string, file = 'file'): string | undefined {
  return readIf(join(link, file))?.trim()
}

export function linkSha (link: string): string | undefined {
  try { return basename(readlinkSync(link)) } catch { return undefined }
}

/** Waits until link/file reads content. */
export async function waitForContent (link: string, content: string, p?: GitSyncProcess, timeoutMs = 60_000, file = 'file'): Promise<void> {
  await waitFor(() => fileIn(link, file) === content, timeoutMs, () => `${link}/${file} == ${JSON.stringify(content)} (is ${JSON.stringify(fileIn(link, file))})${p !== undefined ? '\n--- git-sync output ---\n' + p.output.slice(-4000) : ''}`)
}

export async function metrics (port: number): Promise<string> {
  // A fresh connection each time: a reused keep-alive socket can be reset under load.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } })
      return await res.text()
    } catch (err) {
      if (attempt >= 3) throw err
      await sleep(100)
    }
  }
}

/** The value of one exposition line, e.g. `git_sync_count_total{status="success"}`. */
export async function metric (port: number, series: string): Promise<number | undefined> {
  const text = await metrics(port)
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return undefined
}

/** Waits until a metric series has the value. */
export async function waitMetric (port: number, series: string, value: number, timeoutMs = 60_000): Promise<void> {
  let last: number | undefined
  await waitFor(async () => { last = await metric(port, series); return last === value }, timeoutMs, () => `${series} == ${value} (is ${String(last)})`)
}

export function exists (p: string): boolean { return existsSync(p) }

/** An executable shell script in dir. */
export function script (dir: string, name: string, body: string): string {
  const p = join(dir, name)
  writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return p
}
