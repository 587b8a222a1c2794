// Public API of @pod-patterns/redis-ambassador: start and stop the proxy in-process, and the
// pieces people extending it build on (the RESP scanners and the command table).

import type { RunningService, Logger } from '@pod-patterns/runtime'
import { AmbassadorServer, type AmbassadorOptions } from './ambassador.js'
import type { AmbassadorConfig } from './config.js'

export { table, PACKAGE, validateConfig } from './config.js'
export type { AmbassadorConfig, ReadPolicy } from './config.js'
export { AmbassadorServer } from './ambassador.js'
export type { AmbassadorOptions } from './ambassador.js'
export { scanRequest, RequestFrame, ProtocolError } from './resp-request.js'
export type { ScanLimits } from './resp-request.js'
export { ReplyScanner, UpstreamProtocolError } from './resp-reply.js'
export type { ReplyHandler } from './resp-reply.js'
export { CommandTable } from './command-table.js'
export type { CommandInfo } from './command-table.js'
export { ClusterNotSupportedError } from './topology.js'

export interface Ambassador extends RunningService {
  readonly logger: Logger
  readonly server: AmbassadorServer
}

/** Starts the proxy: resolves once the topology is known and the listener is bound. */
export async function startAmbassador (config: Readonly<AmbassadorConfig>, options: AmbassadorOptions = {}): Promise<Ambassador> {
  const server = new AmbassadorServer(config, options)
  try {
    await server.start()
  } catch (err) {
    await server.stop().catch(() => undefined)
    throw err
  }
  return {
    logger: server.logger,
    server,
    async stop () { await server.stop() }
  }
}
