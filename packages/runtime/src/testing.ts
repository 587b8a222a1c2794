// Test support for service packages (subpath `@pod-patterns/runtime/testing`): run a CLI
// to completion and capture what it printed.

import { spawn } from 'node:child_process'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ConfigTable } from './config.js'

export interface BinResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunBinOptions {
  env?: Record<string, string | undefined>
  /** Kill the process after this many ms (default 30 s). */
  timeoutMs?: number
  cwd?: string
  /** Node binary; defaults to the one running the tests. */
  node?: string
}

/** Runs `node <script> ...args` and resolves when it exits. */
export function runBin (script: string, args: readonly string[], options: RunBinOptions = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? process.execPath, [script, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }) })
  })
}

export interface CliContract {
  /** Path of the compiled CLI entry point. */
  bin: string
  table: ConfigTable
}

/**
 * Registers the tests of the CLI contract every service keeps: --help lists every visible
 * flag and exits 0, --version prints the version, an unknown flag exits 2 naming it.
 */
export async function registerCliContractTests ({ bin, table }: CliContract): Promise<void> {
  const program = table.program
  await Promise.all([
    test(`${program}: --help lists every visible flag of the table and exits 0`, async () => {
      const r = await runBin(bin, ['--help'])
      assert.equal(r.code, 0)
      assert.ok(r.stdout.startsWith(`Usage: ${program} [flags]`))
      for (const spec of table.options) {
        if (spec.hidden === true || spec.envOnly === true) continue
        assert.ok(r.stdout.includes(`--${spec.name}`), `--help mentions --${spec.name}`)
      }
    }),
    test(`${program}: --version prints the package version`, async () => {
      const r = await runBin(bin, ['--version'])
      assert.equal(r.code, 0)
      assert.equal(r.stdout, `${program} ${table.version}\n`)
    }),
    test(`${program}: an unknown flag exits 2 with one line naming it`, async () => {
      const r = await runBin(bin, ['--no-such-flag=1'])
      assert.equal(r.code, 2)
      assert.equal(r.stderr.split('\n')[0], `${program}: unknown flag: --no-such-flag`)
    })
  ])
}
