// Graceful shutdown: the first SIGTERM/SIGINT stops intake and drains in-flight work within a
// deadline, then exits 0; a second signal exits at once with 130.

import type { Logger } from 'pino'

export interface ShutdownOptions {
  logger: Logger
  /** Stop accepting work, drain what is in flight, close. */
  stop: (signal: NodeJS.Signals) => Promise<void>
  /** Deadline for `stop` (ms); past it the process exits 1. Default 10 s. */
  timeoutMs?: number
  signals?: readonly NodeJS.Signals[]
  /** Injected for tests; defaults to process.exit. */
  exit?: (code: number) => void
}

/** Installs the signal handlers; returns a function that removes them. */
export function handleShutdown (options: ShutdownOptions): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  // eslint-disable-next-line n/no-process-exit -- the one place the runtime ends the process
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const timeoutMs = options.timeoutMs ?? 10_000
  let stopping = false

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting now')
      exit(130)
      return
    }
    stopping = true
    options.logger.info({ signal, timeoutMs }, 'shutting down')
    const timer = setTimeout(() => {
      options.logger.error({ timeoutMs }, 'shutdown deadline passed with work still in flight')
      exit(1)
    }, timeoutMs)
    timer.unref()
    options.stop(signal).then(() => {
      clearTimeout(timer)
      options.logger.info('shutdown complete')
      exit(0)
    }, (err: unknown) => {
      clearTimeout(timer)
      options.logger.error({ err }, 'shutdown failed')
      exit(1)
    })
  }
  for (const s of signals) process.on(s, onSignal)
  return () => { for (const s of signals) process.off(s, onSignal) }
}
