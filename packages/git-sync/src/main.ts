#!/usr/bin/env node
// CLI entry point: a thin shell over startGitSync.

import { renderHelp, runCli } from '@pod-patterns/runtime'
import { startGitSync, table, validateConfig, type GitSyncConfig } from './index.js'

if (process.argv.slice(2).some((a) => a === '--man' || a === '-man' || a === '--man=true')) {
  process.stdout.write(renderHelp(table))
  process.exit(0)
}

// No top-level await: the bundle the bin loads is CommonJS (see scripts/bundle.mjs).
runCli<GitSyncConfig>({
  table,
  validate: validateConfig,
  start: async (config) => await startGitSync(config),
  // A sync may be in flight: give it (and its git children) time to stop.
  shutdownTimeoutMs: 10_000
}).catch((err: unknown) => {
  process.stderr.write(`git-sync: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
