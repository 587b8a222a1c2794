// Runs git as a child process through simple-git: one place that sets the binary, the
// environment (credentials travel here, never in argv), the sync deadline, and error text.

import { simpleGit, type SimpleGit } from 'simple-git'
import { PodPatternsError } from '@pod-patterns/runtime'

/** A git command that failed: `args` is safe to show, `stderr` is git's own words. */
export class GitCommandError extends PodPatternsError {
  readonly args: readonly string[]
  readonly stderr: string
  constructor (args: readonly string[], stderr: string, cause?: unknown) {
    super('GIT_COMMAND_FAILED', `git ${args.join(' ')} failed: ${stderr.trim() === '' ? String((cause as Error | undefined)?.message ?? 'unknown error') : stderr.trim()}`, { cause })
    this.args = args
    this.stderr = stderr
  }
}

export interface GitRunOptions {
  /** Working directory (must exist). */
  cwd: string
  /** Aborts the command (the sync deadline or shutdown). */
  signal?: AbortSignal
  /** Extra env on top of the runner's. */
  env?: Readonly<Record<string, string>>
}

export class GitRunner {
  readonly binary: string
  private env: Record<string, string>
  /** Strings that must never appear in an error message or log (passwords, tokens). */
  private secrets: string[] = []

  constructor (binary: string, env: Readonly<Record<string, string>>) {
    this.binary = binary
    this.env = { ...env }
  }

  setEnv (env: Readonly<Record<string, string>>): void { this.env = { ...env } }
  setSecrets (secrets: readonly string[]): void { this.secrets = secrets.filter((s) => s.length >= 3) }

  /** Replaces any known secret in text with [redacted]. */
  scrub (text: string): string {
    let out = text
    for (const s of this.secrets) out = out.split(s).join('[redacted]')
    return out
  }

  private client (opts: GitRunOptions): SimpleGit {
    return simpleGit({
      baseDir: opts.cwd,
      binary: this.binary,
      maxConcurrentProcesses: 4,
      trimmed: false,
      // simple-git only fails a command that exits non-zero AND wrote to stderr; some git
      // commands (verify-commit on an unsigned commit) fail silently, and that is a failure too.
      errors: (error, result) => {
        if (error !== undefined) return error
        if (result.exitCode !== 0) {
          const text = Buffer.concat([...result.stdErr, ...result.stdOut]).toString().trim()
          return new Error(text === '' ? `exit code ${result.exitCode}` : text)
        }
        return undefined
      },
      ...(opts.signal !== undefined ? { abort: opts.signal } : {}),
      // The operator owns this configuration (--git-config, ssh command, credential helpers,
      // askpass): git-sync v4 passes it to git as given, so none of it is "unsafe" here.
      unsafe: {
        allowUnsafeCustomBinary: true,
        allowUnsafeAskPass: true,
        allowUnsafeSshCommand: true,
        allowUnsafeCredentialHelper: true,
        allowUnsafeConfigEnvCount: true,
        allowUnsafeConfigPaths: true,
        allowUnsafeProtocolOverride: true,
        allowUnsafeGitProxy: true,
        allowUnsafePack: true,
        allowUnsafeHooksPath: true,
        allowUnsafeFsMonitor: true,
        allowUnsafeFilter: true,
        allowUnsafeGpgProgram: true,
        allowUnsafeTemplateDir: true,
        allowUnsafeAlias: true,
        allowUnsafeEditor: true,
        allowUnsafePager: true,
        allowUnsafeDiffExternal: true,
        allowUnsafeDiffTextConv: true,
        allowUnsafeMergeDriver: true
      }
    }).env({ ...this.env, ...(opts.env ?? {}) })
  }

  /** Runs `git <args>` and returns stdout; throws GitCommandError with git's stderr. */
  async run (args: readonly string[], opts: GitRunOptions): Promise<string> {
    try {
      return await this.client(opts).raw([...args])
    } catch (err) {
      const e = err as Error & { message: string }
      const aborted = opts.signal?.aborted === true
      const stderr = aborted ? `aborted: ${String((opts.signal?.reason as Error | undefined)?.message ?? 'sync timed out')}` : e.message
      throw new GitCommandError(args.map((a) => this.scrub(a)), this.scrub(stderr), err)
    }
  }

  /** Like run, but returns undefined instead of throwing. */
  async tryRun (args: readonly string[], opts: GitRunOptions): Promise<string | undefined> {
    try { return await this.run(args, opts) } catch { return undefined }
  }
}
