// The shell every service's `main.ts` uses: parse the table, answer --help/--version, map
// usage and config errors to their exit codes, start the service and wire shutdown.

import { ConfigError, UsageError } from './errors.js'
import { parseConfig, renderHelp, renderUsageLine, type ConfigTable, type Env, type ParsedConfig } from './config.js'
import { handleShutdown } from './shutdown.js'
import type { Logger } from 'pino'

export interface RunningService {
  readonly logger: Logger
  /** Stop intake, drain, close. */
  stop: () => Promise<void>
  /** Resolves when the service ends on its own (e.g. git-sync --one-time); value is the exit code. */
  readonly done?: Promise<number>
}

export interface CliOptions<C> {
  table: ConfigTable
  argv?: readonly string[]
  env?: Env
  /** Checks and derives after parsing; throw ConfigError or UsageError. */
  validate?: (config: Readonly<C>, parsed: ParsedConfig<C>) => Readonly<C>
  start: (config: Readonly<C>, parsed: ParsedConfig<C>) => Promise<RunningService>
  /** Exit code for a usage error (default 2). */
  usageExitCode?: number
  /** Exit code for an invalid configuration (default 1). */
  configExitCode?: number
  shutdownTimeoutMs?: number | ((config: Readonly<C>) => number)
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream
  exit?: (code: number) => void
}

export async function runCli<C> (options: CliOptions<C>): Promise<void> {
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  // eslint-disable-next-line n/no-process-exit -- the CLI shell decides the exit code
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const { table } = options
  let parsed: ParsedConfig<C>
  let config: Readonly<C>
  try {
    parsed = parseConfig<C>(table, options.argv ?? process.argv.slice(2), options.env ?? process.env)
    if (parsed.action === 'help') {
      stdout.write(renderHelp(table))
      exit(0)
      return
    }
    if (parsed.action === 'version') {
      stdout.write(`${table.program} ${table.version}\n`)
      exit(0)
      return
    }
    config = options.validate !== undefined ? options.validate(parsed.config, parsed) : parsed.config
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`${table.program}: ${err.message}\n${renderUsageLine(table)}\n`)
      exit(options.usageExitCode ?? 2)
      return
    }
    if (err instanceof ConfigError) {
      stderr.write(`${table.program}: ERROR: ${err.message}\n\n${renderHelp(table)}`)
      exit(options.configExitCode ?? 1)
      return
    }
    throw err
  }

  let service: RunningService
  try {
    service = await options.start(config, parsed)
  } catch (err) {
    stderr.write(`${table.program}: failed to start: ${(err as Error).message}\n`)
    exit(1)
    return
  }
  for (const w of parsed.warnings) service.logger.warn(w)
  const timeout = typeof options.shutdownTimeoutMs === 'function' ? options.shutdownTimeoutMs(config) : options.shutdownTimeoutMs
  const uninstall = handleShutdown({
    logger: service.logger,
    stop: async () => { await service.stop() },
    ...(timeout === undefined ? {} : { timeoutMs: timeout }),
    exit
  })
  if (service.done !== undefined) {
    const code = await service.done
    uninstall()
    exit(code)
  }
}
