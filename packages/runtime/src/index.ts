// Public API of @pod-patterns/runtime: what the services (and people extending them) build on.

export { PodPatternsError, UsageError, ConfigError, ShutdownTimeoutError, isPodPatternsError } from './errors.js'
export type { PodPatternsErrorOptions } from './errors.js'
export { parseDuration, formatDuration } from './duration.js'
export {
  parseConfig, parseBool, renderHelp, renderUsageLine, renderMarkdownTable, redact,
  envNames, optionKey, toCamel, toUpperSnake, defaultText, deepFreeze
} from './config.js'
export type { OptionSpec, OptionType, ConfigTable, ParsedConfig, ValueSource, Env } from './config.js'
export { createLogger, normaliseLevel, levelFromVerbosity, LOG_LEVELS } from './logger.js'
export type { Logger, LoggerOptions } from './logger.js'
export { parseAddress, formatAddress } from './address.js'
export type { Address } from './address.js'
export { OpsServer, createRegistry } from './ops-server.js'
export type { OpsServerOptions, ReadyState, Route, RouteHandler } from './ops-server.js'
export { handleShutdown } from './shutdown.js'
export type { ShutdownOptions } from './shutdown.js'
export { runCli } from './cli.js'
export type { CliOptions, RunningService } from './cli.js'
export { readPackageInfo } from './package-info.js'
export type { PackageInfo } from './package-info.js'
