#!/usr/bin/env node
// CLI entry point: a thin shell over startAmbassador.

import { runCli } from '@pod-patterns/runtime'
import { startAmbassador, table, validateConfig, type AmbassadorConfig } from './index.js'

await runCli<AmbassadorConfig>({
  table,
  validate: validateConfig,
  start: async (config) => await startAmbassador(config),
  shutdownTimeoutMs: (config) => config.drainTimeout + 5000
})
