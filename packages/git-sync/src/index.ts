// Public API of @pod-patterns/git-sync: start and stop the sidecar in-process.

import { OpsServer, createLogger, levelFromVerbosity, type Logger, type RunningService } from '@pod-patterns/runtime'
import { table, type GitSyncConfig } from './config.js'

export { table, PACKAGE } from './config.js'
export type { GitSyncConfig } from './config.js'

export interface GitSync extends RunningService {
  readonly logger: Logger
}

export async function startGitSync (config: Readonly<GitSyncConfig>): Promise<GitSync> {
  const logger = createLogger({ name: table.program, level: levelFromVerbosity(config.verbose) })
  const ops = config.httpBind === '' ? undefined : new OpsServer({ bind: config.httpBind, logger })
  await ops?.start()
  logger.info({ repo: config.repo, root: config.root }, 'git-sync started')
  return {
    logger,
    async stop () { await ops?.stop() }
  }
}
