#!/usr/bin/env node
// CLI entry point: a thin shell over startGitSync.

import { runCli } from '@pod-patterns/runtime'
import { startGitSync, table, type GitSyncConfig } from './index.js'

await runCli<GitSyncConfig>({ table, start: startGitSync })
