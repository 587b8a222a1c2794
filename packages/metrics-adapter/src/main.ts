#!/usr/bin/env node
// CLI entry point: a thin shell over startAdapter.

import { runCli } from '@pod-patterns/runtime'
import { startAdapter, table, validateConfig, type AdapterConfig } from './index.js'

await runCli<AdapterConfig>({ table, validate: validateConfig, start: async (config) => await startAdapter(config) })
