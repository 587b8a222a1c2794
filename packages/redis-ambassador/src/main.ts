#!/usr/bin/env node
// CLI entry point: a thin shell over startAmbassador.

import { runCli } from '@pod-patterns/runtime'
import { startAmbassador, table, type AmbassadorConfig } from './index.js'

await runCli<AmbassadorConfig>({ table, start: startAmbassador })
