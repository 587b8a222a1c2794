// Error classes with stable codes, shared by every service. A code never changes once
// released: users match on it in logs and alerts.

export interface PodPatternsErrorOptions {
  cause?: unknown
}

/** Base class: every error the project throws on purpose carries a stable `code`. */
export class PodPatternsError extends Error {
  readonly code: string

  constructor (code: string, message: string, options: PodPatternsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
  }
}

/** The command line or environment could not be read (unknown flag, malformed value). */
export class UsageError extends PodPatternsError {
  readonly flag: string | undefined

  constructor (message: string, flag?: string, options: PodPatternsErrorOptions = {}) {
    super('PP_ERR_USAGE', message, options)
    this.flag = flag
  }
}

/** The values were read but do not form a valid configuration (required missing, out of range). */
export class ConfigError extends PodPatternsError {
  readonly flag: string | undefined

  constructor (message: string, flag?: string, options: PodPatternsErrorOptions = {}) {
    super('PP_ERR_CONFIG', message, options)
    this.flag = flag
  }
}

/** A shutdown deadline passed with work still in flight. */
export class ShutdownTimeoutError extends PodPatternsError {
  constructor (ms: number) {
    super('PP_ERR_SHUTDOWN_TIMEOUT', `shutdown did not finish within ${ms} ms`)
  }
}

export function isPodPatternsError (err: unknown): err is PodPatternsError {
  return err instanceof PodPatternsError
}
