// Public API of @pod-patterns/redis-ambassador: start and stop the proxy in-process.

import { OpsServer, createLogger, type Logger, type RunningService } from '@pod-patterns/runtime'
import { table, type AmbassadorConfig } from './config.js'

export { table, PACKAGE } from './config.js'
export type { AmbassadorConfig } from './config.js'

export interface Ambassador extends RunningService {
  readonly logger: Logger
}

export async function startAmbassador (config: Readonly<AmbassadorConfig>): Promise<Ambassador> {
  const logger = createLogger({ name: table.program, level: config.logLevel })
  const ops = config.httpBind === '' ? undefined : new OpsServer({ bind: config.httpBind, logger })
  await ops?.start()
  logger.info({ listen: config.listen }, 'redis-ambassador started')
  return {
    logger,
    async stop () { await ops?.stop() }
  }
}
