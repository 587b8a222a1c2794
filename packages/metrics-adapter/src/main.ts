#!/usr/bin/env node
// CLI entry point: a thin shell over startAdapter.

import { runCli } from '@pod-patterns/runtime'
import { startAdapter, table, type AdapterConfig } from './index.js'

await runCli<AdapterConfig>({ table, start: startAdapter })
