// What both Redis ambassador benchmarks need: numeric options, free ports, a scratch directory
// and child processes that are killed (and the directory removed) however the script ends.

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const args = process.argv.slice(2)
export const opt = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? def : Number(args[i + 1])
}
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

export async function freePort () {
  return await new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
  })
}

/** A scratch directory; `launch` starts children in it; all go away when the process exits. */
export function scratch (prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const procs = []
  const launch = (cmd, argv) => {
    const p = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
    procs.push(p)
    return p
  }
  const cleanup = () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', cleanup)
  process.on('SIGINT', () => { cleanup(); process.exit(130) })
  return { dir, launch, cleanup }
}
