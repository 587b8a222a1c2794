// Structured logging: pino, JSON to stdout, default serialisers, no transports in-process.

import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger } from 'pino'

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export interface LoggerOptions {
  /** Service name, logged as `name` on every line. */
  name: string
  level?: string
  /** Where to write; defaults to stdout (fd 1). Tests pass a stream. */
  destination?: NodeJS.WritableStream
  /** Extra fields bound to every line. */
  base?: Record<string, unknown>
}

/** Normalises level spellings from the tools we replace (`warning`, `WARN`). */
export function normaliseLevel (level: string | undefined): LevelWithSilent {
  const l = (level ?? 'info').trim().toLowerCase()
  if (l === 'warning') return 'warn'
  if ((LOG_LEVELS as readonly string[]).includes(l)) return l as LevelWithSilent
  return 'info'
}

/** Maps a git-style verbosity number (0–9) to a pino level. */
export function levelFromVerbosity (v: number): LevelWithSilent {
  if (v <= 0) return 'info'
  if (v <= 5) return 'debug'
  return 'trace'
}

export function createLogger (options: LoggerOptions): Logger {
  const dest = options.destination ?? pino.destination({ fd: 1, sync: true })
  return pino({
    name: options.name,
    level: normaliseLevel(options.level),
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime
  }, dest as pino.DestinationStream)
}
