// Public API of @pod-patterns/git-sync: start and stop the sidecar in-process. The sync loop
// lives here: timing, failure limits, error/touch files, hooks, metrics and the HTTP endpoints.

import { closeSync, mkdirSync, openSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'
import { createRequire } from 'node:module'
import type { Counter, Gauge, Summary } from 'prom-client'
import {
  OpsServer, createLogger, createRegistry, formatDuration, levelFromVerbosity, parseConfig, redact,
  type Env, type Logger, type RunningService
} from '@pod-patterns/runtime'
import { table, validateConfig, type GitSyncConfig } from './config.js'
import { Auth } from './auth.js'
import { GitRunner } from './git-runner.js'
import { HookRunner, execHook, webHook, type HookName } from './hooks.js'
import { RepoSync, isSha } from './repo-sync.js'
import { SignatureVerifier } from './signature.js'
import { triggerHandler, type TriggerResult } from './trigger.js'
import { pprofRoutes } from './pprof.js'
import { addPasswdEntry, DEFAULT_PASSWD_FILE } from './passwd.js'

export { table, PACKAGE, validateConfig, parseGitConfigs, parseSignal, defaultLinkName, configDefaults } from './config.js'
export type { GitSyncConfig, CredentialSpec, SubmoduleMode, GcMode } from './config.js'
export { GitCommandError } from './git-runner.js'
export { verifyPush, refMatches } from './trigger.js'
export { githubAppJwt, splitUrlCredentials } from './auth.js'
export { addPasswdEntry, type PasswdEntryOptions } from './passwd.js'

export interface SyncStatus {
  /** The published commit, if any. */
  hash: string | undefined
  /** Epoch ms of the last successful sync (changed or not). */
  lastSuccess: number | undefined
  consecutiveFailures: number
  lastError: string | undefined
}

export interface GitSync extends RunningService {
  readonly logger: Logger
  /** Resolves with the exit code when the loop ends on its own (--one-time, too many failures). */
  readonly done: Promise<number>
  /** Starts a sync now (coalesced with one already running). */
  syncNow: (reason?: string) => void
  status: () => SyncStatus
  /** The HTTP server's port when --http-bind is set (useful with :0). */
  readonly httpPort: number | undefined
}

export interface StartOptions {
  logger?: Logger
  /** The passwd file --add-user appends to (default /etc/passwd); tests point it at a copy. */
  passwdFile?: string
}

/** Parses argv/env into a validated config, as the CLI does. */
export function configFromArgs (argv: readonly string[], env: Env = process.env): Readonly<GitSyncConfig> {
  const parsed = parseConfig<GitSyncConfig>(table, argv, env)
  return validateConfig(parsed.config, parsed)
}

const require = createRequire(import.meta.url)

class Metrics {
  readonly registry = createRegistry()
  readonly duration: Summary<'status'>
  readonly count: Counter<'status'>
  readonly fetches: Counter
  readonly askpass: Counter<'status'>
  readonly hooks: Counter<'name' | 'status'>
  readonly lastSuccess: Gauge
  readonly hashInfo: Gauge<'hash'>
  readonly signatureFailures: Counter
  readonly triggers: Counter<'result'>

  constructor () {
    const { Counter, Gauge, Summary } = require('prom-client') as typeof import('prom-client')
    const registers = [this.registry]
    this.duration = new Summary({ name: 'git_sync_duration_seconds', help: 'Summary of git-sync durations', labelNames: ['status'], registers })
    this.count = new Counter({ name: 'git_sync_count_total', help: 'How many git syncs completed, partitioned by state (success, error, noop)', labelNames: ['status'], registers })
    this.fetches = new Counter({ name: 'git_fetch_count_total', help: 'How many git fetches brought a commit to publish', registers })
    this.askpass = new Counter({ name: 'git_sync_askpass_calls', help: 'How many git askpass calls completed, partitioned by state (success, error)', labelNames: ['status'], registers })
    this.hooks = new Counter({ name: 'git_sync_hook_run_count_total', help: 'How many hook runs completed, partitioned by name and state (success, error)', labelNames: ['name', 'status'], registers })
    this.lastSuccess = new Gauge({ name: 'git_sync_last_success_timestamp_seconds', help: 'Unix time of the last successful sync', registers })
    this.hashInfo = new Gauge({ name: 'git_sync_current_hash_info', help: 'The published commit (value 1, hash label)', labelNames: ['hash'], registers })
    this.signatureFailures = new Counter({ name: 'git_sync_signature_failures_total', help: 'Commits or tags refused because their signature did not verify', registers })
    this.triggers = new Counter({ name: 'git_sync_trigger_requests_total', help: 'Push-trigger requests, partitioned by result', labelNames: ['result'], registers })
    for (const s of ['success', 'error', 'noop']) this.count.inc({ status: s }, 0)
    this.fetches.inc(0)
  }
}

/** What the sync loop records into when nothing can read it. */
function noMetrics (): Metrics {
  const none = { inc: () => undefined, observe: () => undefined, set: () => undefined, remove: () => undefined }
  return {
    registry: undefined, duration: none, count: none, fetches: none, askpass: none, hooks: none,
    lastSuccess: none, hashInfo: none, signatureFailures: none, triggers: none
  } as unknown as Metrics
}

function gitEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    // Our own settings (passwords among them) are no business of git's.
    if (v === undefined || k.startsWith('GITSYNC_') || k.startsWith('GIT_SYNC_')) continue
    env[k] = v
  }
  return env
}

// The error and touch files are a few bytes each: written synchronously, like the sync's other
// small files (see repo-sync.ts).
function writeAtomic (path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`)
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}

function touch (path: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const now = new Date()
  try { utimesSync(path, now, now) } catch { closeSync(openSync(path, 'a')) }
}

export async function startGitSync (config: Readonly<GitSyncConfig>, options: StartOptions = {}): Promise<GitSync> {
  const logger = options.logger ?? createLogger({ name: table.program, level: levelFromVerbosity(config.verbose) })
  if (config.addUser) {
    const file = options.passwdFile ?? DEFAULT_PASSWD_FILE
    if (await addPasswdEntry({ file })) logger.info({ file, uid: process.getuid?.() }, 'added a passwd entry for this UID (--add-user)')
  }
  // Without an HTTP server nothing can read the metrics: they are not kept, and prom-client (about
  // 10 ms to load) is never loaded.
  const metrics = config.httpBind === '' ? noMetrics() : new Metrics()
  const auth = new Auth(config, logger, { askpass: (status) => metrics.askpass.inc({ status }) })
  const git = new GitRunner(config.git, gitEnv())
  const repo = new RepoSync(config, git, logger, auth.fetchUrl)
  repo.resolvePaths()
  const verifier = config.verifySignatures === '' ? undefined : new SignatureVerifier(config.verifySignatures === 'tag' ? 'tag' : 'commit', config.gpgKeyring, config.sshAllowedSigners)
  await verifier?.init()

  const hookCount = (name: HookName) => (status: 'success' | 'error') => metrics.hooks.inc({ name, status })
  const hooks: HookRunner[] = []
  if (config.exechookCommand !== '') hooks.push(new HookRunner(execHook(config.exechookCommand, config.exechookTimeout, logger), config.exechookBackoff, logger, hookCount('exechook')))
  if (config.webhookUrl !== '') hooks.push(new HookRunner(webHook(config.webhookUrl, config.webhookMethod, config.webhookSuccessStatus, config.webhookTimeout), config.webhookBackoff, logger, hookCount('webhook')))
  // Before the link moves, not after: its own runner, waited for by the sync (see beforePublish).
  const prePublish = config.prePublishExechookCommand === ''
    ? undefined
    : new HookRunner(execHook(config.prePublishExechookCommand, config.prePublishExechookTimeout, logger, 'pre-publish-exechook'), config.prePublishExechookBackoff, logger, hookCount('pre-publish-exechook'))
  const runners = prePublish === undefined ? hooks : [...hooks, prePublish]
  /** --one-time: a failed pre-publish hook run makes the exit code 1 (the commit is still published). */
  let prePublishFailed = false

  const state: SyncStatus = { hash: repo.currentHash(), lastSuccess: undefined, consecutiveFailures: 0, lastError: undefined }
  let everSucceeded = false
  let stopped = false
  let current: AbortController | undefined
  let wakeSleep: (() => void) | undefined
  let rerun = false
  let lastTriggered = 0
  let triggerTimer: NodeJS.Timeout | undefined

  const isReady = (): { ready: boolean, reason?: string } => {
    if (!everSucceeded) return { ready: false, reason: 'no successful sync yet' }
    if (config.readyMaxAge > 0 && state.lastSuccess !== undefined && Date.now() - state.lastSuccess > config.readyMaxAge) {
      return { ready: false, reason: `last successful sync was ${formatDuration(Date.now() - state.lastSuccess)} ago` }
    }
    return { ready: true }
  }

  const wake = (reason: string): void => {
    logger.debug({ reason }, 'sync requested')
    if (current !== undefined) rerun = true
    wakeSleep?.()
  }

  const requestTriggeredSync = (reason: string): void => {
    const wait = lastTriggered + config.triggerMinInterval - Date.now()
    if (config.triggerMinInterval > 0 && wait > 0) {
      // Rate-limited: one sync at the end of the interval covers every push until then.
      triggerTimer ??= setTimeout(() => { triggerTimer = undefined; lastTriggered = Date.now(); wake(reason) }, wait)
      return
    }
    lastTriggered = Date.now()
    wake(reason)
  }

  let ops: OpsServer | undefined
  if (config.httpBind !== '') {
    ops = new OpsServer({ bind: config.httpBind, logger, registry: metrics.registry, ready: isReady })
    ops.addRoute({
      path: '/',
      handler: (_req, res) => {
        const r = isReady()
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' })
        res.end(r.ready ? 'ok\n' : `not ready: ${r.reason ?? ''}\n`)
      }
    })
    // Like the anchor, metrics are served only when asked for (--http-metrics).
    if (!config.httpMetrics) {
      ops.addRoute({
        path: '/metrics',
        handler: (_req, res) => { res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are off (--http-metrics)\n') }
      })
    }
    if (config.httpPprof) for (const r of pprofRoutes()) ops.addRoute(r)
    if (config.triggerPath !== '') {
      ops.addRoute({
        path: config.triggerPath,
        handler: triggerHandler({
          secretFile: config.triggerSecretFile,
          ref: config.ref,
          logger,
          requestSync: requestTriggeredSync,
          count: (result: TriggerResult) => metrics.triggers.inc({ result })
        })
      })
    }
    await ops.start()
  }

  const signalHandler = (): void => { wake(`signal ${config.syncSignal}`) }
  if (config.syncSignal !== '') process.on(config.syncSignal, signalHandler)

  const errorFile = config.errorFile === '' ? undefined : repo.rootPath(config.errorFile)
  const touchFile = config.touchFile === '' ? undefined : repo.rootPath(config.touchFile)

  // Log what helps debugging, never a secret: credentials and git configs by name only.
  const shown = redact(table, { ...config, repo: auth.fetchUrl })
  shown.credential = config.credentials.map((cr) => ({ url: cr.url, username: cr.username }))
  delete shown.credentials
  shown.gitConfig = config.gitConfigPairs.map(([k]) => k)
  delete shown.gitConfigPairs
  delete shown.gitConfigAdd
  logger.info({ config: shown }, 'git-sync starting')

  /** One sync attempt; returns whether it succeeded and whether hooks should fire. */
  const syncOnce = async (first: boolean): Promise<{ ok: boolean, fire: boolean }> => {
    const ac = new AbortController()
    current = ac
    const timer = setTimeout(() => ac.abort(new Error(`sync timed out after ${formatDuration(config.syncTimeout)}`)), config.syncTimeout)
    const started = process.hrtime.bigint()
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9
    try {
      const a = await auth.prepare(ac.signal)
      git.setEnv({ ...gitEnv(), ...a.env })
      git.setSecrets(a.secrets)
      const result = await repo.sync(ac.signal, {
        onFetch: () => metrics.fetches.inc(),
        deferCleanup: () => rerun,
        ...(prePublish !== undefined
          ? {
              // The link moves once the hook's first run has ended, whatever its outcome: a failed
              // run is retried in the background (or, with --one-time, fails the exit code).
              beforePublish: async (sha: string, worktree: string, signal: AbortSignal) => {
                if (config.oneTime) prePublishFailed = !(await prePublish.runOnce(sha, worktree, signal)) || prePublishFailed
                else await prePublish.sendAndWait(sha, worktree, signal)
              }
            }
          : {}),
        ...(verifier !== undefined
          ? {
              verify: async (sha: string, obj: string, signal: AbortSignal) => {
                try { await verifier.verify(git, repo.root, sha, obj, signal) } catch (err) { metrics.signatureFailures.inc(); throw err }
              }
            }
          : {})
      })
      const status = result.changed ? 'success' : 'noop'
      metrics.count.inc({ status })
      metrics.duration.observe({ status }, seconds())
      if (state.hash !== result.hash) {
        if (state.hash !== undefined) metrics.hashInfo.remove({ hash: state.hash })
      }
      metrics.hashInfo.set({ hash: result.hash }, 1)
      state.hash = result.hash
      state.lastSuccess = Date.now()
      metrics.lastSuccess.set(state.lastSuccess / 1000)
      state.consecutiveFailures = 0
      state.lastError = undefined
      everSucceeded = true
      if (errorFile !== undefined) rmSync(errorFile, { force: true })
      if (!result.changed) await repo.expireStale(result.hash, ac.signal)
      if (result.changed) logger.info({ hash: result.hash, seconds: seconds() }, 'synced')
      else logger.debug({ hash: result.hash }, 'no update required')
      const fire = result.changed || first
      if (fire && touchFile !== undefined) touch(touchFile)
      return { ok: true, fire }
    } catch (err) {
      const aborted = ac.signal.aborted
      const message = git.scrub((err as Error).message)
      state.consecutiveFailures++
      state.lastError = message
      metrics.count.inc({ status: 'error' })
      metrics.duration.observe({ status: 'error' }, seconds())
      logger.error({ err: { message, code: (err as { code?: string }).code }, failCount: state.consecutiveFailures, timedOut: aborted }, 'error syncing repo, will retry')
      if (errorFile !== undefined) {
        const payload = { Msg: 'error syncing repo, will retry', Err: message, Args: { failCount: state.consecutiveFailures, repo: auth.fetchUrl, ref: config.ref } }
        try { writeAtomic(errorFile, JSON.stringify(payload) + '\n') } catch (e) { logger.error({ err: e }, 'cannot write --error-file') }
      }
      return { ok: false, fire: false }
    } finally {
      clearTimeout(timer)
      current = undefined
    }
  }

  const sendHooks = (): void => {
    if (state.hash === undefined) return
    for (const h of hooks) h.send(state.hash, repo.worktreePath(state.hash))
  }

  const loop = async (): Promise<number> => {
    let first = true
    let firstSuccessPending = true
    while (!stopped) {
      const { ok, fire } = await syncOnce(first)
      first = false
      if (stopped) break
      if (config.oneTime) {
        if (!ok) return 1
        let hooksOk = true
        if (state.hash !== undefined) {
          for (const h of hooks) hooksOk = (await h.runOnce(state.hash, repo.worktreePath(state.hash))) && hooksOk
        }
        return hooksOk && !prePublishFailed ? 0 : 1
      }
      if (ok && (fire || firstSuccessPending)) sendHooks()
      if (ok) firstSuccessPending = false
      if (!ok) {
        const limit = !everSucceeded && config.initMaxFailures !== 0 ? config.initMaxFailures : config.maxFailures
        if (limit !== -1 && state.consecutiveFailures >= Math.max(1, limit)) {
          logger.error({ failCount: state.consecutiveFailures, limit }, 'too many failures, exiting')
          return 1
        }
      }
      if (rerun) { rerun = false; continue }
      const period = !everSucceeded && config.initPeriod > 0 ? config.initPeriod : config.period
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, period)
        wakeSleep = () => { clearTimeout(t); resolve() }
      })
      wakeSleep = undefined
      rerun = false
    }
    return 0
  }

  const done = loop().catch((err: unknown) => {
    logger.fatal({ err }, 'sync loop crashed')
    return 1
  })

  // Closes the hooks, the server and the signature home, once, whoever ends the loop. `done`
  // settles as soon as the loop ends; `finished` (what the CLI exits on) waits for this too.
  let closing: Promise<void> | undefined
  const closeParts = async (): Promise<void> => {
    closing ??= (async () => {
      await Promise.all(runners.map(async (h) => { await h.stop() }))
      if (config.syncSignal !== '') process.off(config.syncSignal, signalHandler)
      await ops?.stop()
      await verifier?.close()
    })()
    await closing
  }
  const stop = async (): Promise<void> => {
    stopped = true
    if (triggerTimer !== undefined) clearTimeout(triggerTimer)
    wakeSleep?.()
    current?.abort(new Error('shutting down'))
    // Running hooks are stopped (their children killed) rather than waited for.
    await Promise.all(runners.map(async (h) => { await h.stop() }))
    await done
    await closeParts()
  }

  // Close the server and hooks when the loop ends by itself too.
  const finished = done.then(async (code) => {
    stopped = true
    await closeParts()
    return code
  })

  return {
    logger,
    done: finished,
    stop,
    syncNow: (reason = 'api') => { wake(reason) },
    status: () => ({ ...state }),
    get httpPort () { return ops?.port }
  }
}

export { isSha }
