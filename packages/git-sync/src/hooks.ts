// The exec hook and webhook: run after a sync that changed the hash (and once at start-up),
// asynchronously, coalesced to the latest hash, retried with backoff until one succeeds. The
// pre-publish exec hook runs the same way, but before the link moves, which waits for its
// first run (sendAndWait).

import { spawn } from 'node:child_process'
import type { Logger } from '@pod-patterns/runtime'

export type HookName = 'exechook' | 'webhook' | 'pre-publish-exechook'

export interface Hook {
  readonly name: HookName
  /** Runs once for hash; throws on failure. */
  run: (hash: string, worktree: string) => Promise<void>
}

export function execHook (command: string, timeoutMs: number, logger: Logger, name: 'exechook' | 'pre-publish-exechook' = 'exechook'): Hook {
  return {
    name,
    async run (hash, worktree) {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(command, [], {
          cwd: worktree,
          env: { ...process.env, GITSYNC_HASH: hash },
          stdio: ['ignore', 'pipe', 'pipe']
        })
        let out = ''
        const keep = (d: Buffer): void => { out = (out + d.toString()).slice(-4096) }
        child.stdout.on('data', keep)
        child.stderr.on('data', keep)
        const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
        child.on('error', (err) => { clearTimeout(timer); reject(err) })
        child.on('close', (code, sig) => {
          clearTimeout(timer)
          if (out.trim() !== '') logger.debug({ hook: name, output: out.trim() }, `${name} output`)
          if (code === 0) resolve()
          else reject(new Error(sig !== null ? `${name} killed by ${sig}${sig === 'SIGKILL' ? ' (timeout)' : ''}` : `${name} exited ${String(code)}: ${out.trim().slice(-500)}`))
        })
      })
    }
  }
}

export function webHook (url: string, method: string, successStatus: number, timeoutMs: number): Hook {
  return {
    name: 'webhook',
    async run (hash) {
      const req = fetch(url, { method, headers: { 'Gitsync-Hash': hash }, signal: AbortSignal.timeout(timeoutMs) })
      // 0 or -1: fire and forget, the answer does not matter.
      if (successStatus <= 0) {
        req.then(async (r) => { await r.body?.cancel() }, () => undefined)
        return
      }
      const res = await req
      await res.body?.cancel()
      if (res.status !== successStatus) throw new Error(`webhook answered ${res.status}, want ${successStatus}`)
    }
  }
}

interface Job {
  hash: string
  worktree: string
  /** Told the outcome of the job's first run (sendAndWait). */
  firstRun?: (ok: boolean) => void
}

/** Runs one hook in the background, always for the newest hash it was given. */
export class HookRunner {
  private readonly hook: Hook
  private readonly backoffMs: number
  private readonly logger: Logger
  private readonly count: (status: 'success' | 'error') => void
  private pending: Job | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private wake: (() => void) | undefined

  constructor (hook: Hook, backoffMs: number, logger: Logger, count: (status: 'success' | 'error') => void) {
    this.hook = hook
    this.backoffMs = backoffMs
    this.logger = logger
    this.count = count
  }

  get name (): HookName { return this.hook.name }

  /** Queues hash; a hash queued while an older one is retrying replaces it. */
  send (hash: string, worktree: string): void {
    this.queue({ hash, worktree })
  }

  /**
   * Like send, and resolves when the first run for hash has ended: true if it succeeded. A
   * failed run is retried in the background, as with send; false also when stopped first.
   */
  async sendAndWait (hash: string, worktree: string): Promise<boolean> {
    if (this.stopped) return false
    return await new Promise<boolean>((resolve) => { this.queue({ hash, worktree, firstRun: resolve }) })
  }

  private queue (job: Job): void {
    // A job replaced before it ran never has a first run.
    this.pending?.firstRun?.(false)
    this.pending = job
    this.wake?.()
    this.running ??= this.loop().finally(() => { this.running = undefined })
  }

  /** Runs once in the foreground (for --one-time); true on success. */
  async runOnce (hash: string, worktree: string): Promise<boolean> {
    try {
      await this.hook.run(hash, worktree)
      this.count('success')
      this.logger.info({ hook: this.hook.name, hash }, 'hook succeeded')
      return true
    } catch (err) {
      this.count('error')
      this.logger.error({ hook: this.hook.name, hash, err }, 'hook failed')
      return false
    }
  }

  private async loop (): Promise<void> {
    while (!this.stopped && this.pending !== undefined) {
      const job = this.pending
      this.pending = undefined
      const ok = await this.runOnce(job.hash, job.worktree)
      job.firstRun?.(ok)
      job.firstRun = undefined
      if (!ok && !this.stopped) {
        // Retry the same hash unless a newer one arrived meanwhile. A newer one that a sync is
        // waiting for (sendAndWait) runs at once; otherwise the backoff comes first.
        this.pending ??= job
        if (this.pending.firstRun !== undefined) continue
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.backoffMs)
          this.wake = () => { clearTimeout(t); resolve() }
        })
        this.wake = undefined
      }
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.pending?.firstRun?.(false)
    this.wake?.()
    await this.running
  }
}
