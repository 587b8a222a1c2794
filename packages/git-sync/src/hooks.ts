// The exec hook and webhook: run after a sync that changed the hash (and once at start-up),
// asynchronously, coalesced to the latest hash, retried with backoff until one succeeds. The
// pre-publish exec hook runs the same way, but before the link moves, which waits for its
// first run (sendAndWait).

import { spawn } from 'node:child_process'
import type { Logger } from '@pod-patterns/runtime'

export type HookName = 'exechook' | 'webhook' | 'pre-publish-exechook'

/** Why an aborted signal was aborted, as text. */
function reasonOf (signal: AbortSignal): string {
  return String((signal.reason as Error | undefined)?.message ?? signal.reason)
}

export interface Hook {
  readonly name: HookName
  /** Runs once for hash; throws on failure. Aborting signal stops the run, which then throws. */
  run: (hash: string, worktree: string, signal: AbortSignal) => Promise<void>
}

export function execHook (command: string, timeoutMs: number, logger: Logger, name: 'exechook' | 'pre-publish-exechook' = 'exechook'): Hook {
  return {
    name,
    async run (hash, worktree, signal) {
      signal.throwIfAborted()
      await new Promise<void>((resolve, reject) => {
        const child = spawn(command, [], {
          cwd: worktree,
          env: { ...process.env, GITSYNC_HASH: hash },
          stdio: ['ignore', 'pipe', 'pipe'],
          // Its own process group, so that stopping it stops what it started too (a script's
          // `sleep` would otherwise keep running, and keep its output open, after the script).
          detached: true
        })
        let out = ''
        const keep = (d: Buffer): void => { out = (out + d.toString()).slice(-4096) }
        child.stdout.on('data', keep)
        child.stderr.on('data', keep)
        const kill = (): void => {
          try { process.kill(-(child.pid as number), 'SIGKILL') } catch { child.kill('SIGKILL') }
        }
        const timer = setTimeout(kill, timeoutMs)
        signal.addEventListener('abort', kill, { once: true })
        child.on('error', (err) => { clearTimeout(timer); signal.removeEventListener('abort', kill); reject(err) })
        child.on('close', (code, sig) => {
          clearTimeout(timer)
          signal.removeEventListener('abort', kill)
          if (out.trim() !== '') logger.debug({ hook: name, output: out.trim() }, `${name} output`)
          if (code === 0) resolve()
          else if (signal.aborted) reject(new Error(`${name} stopped: ${reasonOf(signal)}`))
          else reject(new Error(sig !== null ? `${name} killed by ${sig}${sig === 'SIGKILL' ? ' (timeout)' : ''}` : `${name} exited ${String(code)}: ${out.trim().slice(-500)}`))
        })
      })
    }
  }
}

export function webHook (url: string, method: string, successStatus: number, timeoutMs: number): Hook {
  return {
    name: 'webhook',
    async run (hash, _worktree, signal) {
      const req = fetch(url, { method, headers: { 'Gitsync-Hash': hash }, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]) })
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
  /** Set when the waiting sync gave up before the first run ended: its commit was not published. */
  abandoned?: boolean
}

/** Runs one hook in the background, always for the newest hash it was given. */
export class HookRunner {
  private readonly hook: Hook
  private readonly backoffMs: number
  private readonly logger: Logger
  private readonly count: (status: 'success' | 'error') => void
  private pending: Job | undefined
  /** The run in progress, and how to stop it. */
  private current: { job: Job, stop: AbortController } | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private readonly stopping = new AbortController()
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
   * failed run is retried in the background, as with send. False also when the runner stops or
   * `signal` aborts first; an aborted signal stops that run and drops the hash (no retries).
   */
  async sendAndWait (hash: string, worktree: string, signal?: AbortSignal): Promise<boolean> {
    if (this.stopped || signal?.aborted === true) return false
    return await new Promise<boolean>((resolve) => {
      const job: Job = { hash, worktree }
      const giveUp = (): void => {
        job.abandoned = true
        if (this.pending === job) this.pending = undefined
        if (this.current?.job === job) this.current.stop.abort(signal?.reason)
        job.firstRun?.(false)
      }
      job.firstRun = (ok) => {
        job.firstRun = undefined
        signal?.removeEventListener('abort', giveUp)
        resolve(ok)
      }
      signal?.addEventListener('abort', giveUp, { once: true })
      this.queue(job)
    })
  }

  private queue (job: Job): void {
    // A job replaced before it ran never has a first run.
    this.pending?.firstRun?.(false)
    this.pending = job
    // A retry in progress gives way to a hash a sync is waiting for.
    if (job.firstRun !== undefined && this.current !== undefined && this.current.job.firstRun === undefined) {
      this.current.stop.abort(new Error(`a newer hash (${job.hash}) is waiting`))
    }
    this.wake?.()
    this.running ??= this.loop().finally(() => { this.running = undefined })
  }

  /**
   * Runs once in the foreground (for --one-time); true on success. The run stops when `signal`
   * aborts or the runner stops; a stopped run is logged but not counted.
   */
  async runOnce (hash: string, worktree: string, signal?: AbortSignal): Promise<boolean> {
    const stop = signal === undefined ? this.stopping.signal : AbortSignal.any([signal, this.stopping.signal])
    try {
      await this.hook.run(hash, worktree, stop)
      this.count('success')
      this.logger.info({ hook: this.hook.name, hash }, 'hook succeeded')
      return true
    } catch (err) {
      if (stop.aborted) {
        this.logger.info({ hook: this.hook.name, hash, reason: reasonOf(stop) }, 'hook run stopped')
        return false
      }
      this.count('error')
      this.logger.error({ hook: this.hook.name, hash, err }, 'hook failed')
      return false
    }
  }

  private async loop (): Promise<void> {
    while (!this.stopped && this.pending !== undefined) {
      const job = this.pending
      this.pending = undefined
      const stop = new AbortController()
      this.current = { job, stop }
      const ok = await this.runOnce(job.hash, job.worktree, stop.signal)
      this.current = undefined
      job.firstRun?.(ok)
      if (!ok && !this.stopped && job.abandoned !== true) {
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

  /** Stops: a run in progress is stopped (its child killed), nothing more runs. */
  async stop (): Promise<void> {
    this.stopped = true
    this.pending?.firstRun?.(false)
    this.stopping.abort(new Error('shutting down'))
    this.wake?.()
    await this.running
  }
}
