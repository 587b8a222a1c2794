// Public API of @pod-patterns/metrics-adapter: start and stop the adapter in-process.

import { OpsServer, createLogger, type Logger, type RunningService } from '@pod-patterns/runtime'
import { table, type AdapterConfig } from './config.js'

export { table, PACKAGE } from './config.js'
export type { AdapterConfig } from './config.js'

export interface Adapter extends RunningService {
  readonly logger: Logger
}

export async function startAdapter (config: Readonly<AdapterConfig>): Promise<Adapter> {
  const logger = createLogger({ name: table.program, level: config.logLevel })
  const ops = new OpsServer({ bind: config.webListenAddress, logger, metricsPath: config.webTelemetryPath })
  await ops.start()
  return {
    logger,
    async stop () { await ops.stop() }
  }
}
