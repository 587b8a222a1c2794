// Test support for service packages (subpath `@pod-patterns/runtime/testing`): run a CLI
// to completion and capture what it printed.

import { spawn } from 'node:child_process'

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
