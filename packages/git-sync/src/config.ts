// The git-sync flag table: every flag with its env vars, default and help, in one place.

import { readPackageInfo, type ConfigTable } from '@pod-patterns/runtime'

export const PACKAGE = readPackageInfo(import.meta.url)

export interface GitSyncConfig {
  repo: string
  ref: string
  root: string
  link: string
  period: number
  oneTime: boolean
  httpBind: string
  verbose: number
}

export const table: ConfigTable = {
  program: 'git-sync',
  version: PACKAGE.version,
  summary: 'Keeps a git repository checked out into a directory shared with other containers.',
  envPrefix: 'GITSYNC_',
  legacyEnvPrefix: 'GIT_SYNC_',
  legacyEnvWins: true,
  options: [
    { name: 'repo', type: 'string', legacyEnv: true, help: 'The git repository to sync.', required: true, placeholder: 'URL' },
    { name: 'ref', type: 'string', default: 'HEAD', help: 'The git revision (branch, tag, or hash) to sync.' },
    { name: 'root', type: 'string', legacyEnv: true, help: 'The root directory for git-sync operations.', required: true, placeholder: 'DIR' },
    { name: 'link', type: 'string', legacyEnv: true, default: '', help: 'The path (absolute or relative to --root) of the symlink to the current worktree; defaults to the last part of --repo.' },
    { name: 'period', type: 'duration', legacyEnv: true, default: 10_000, min: 10, help: 'How long to wait between sync attempts.' },
    { name: 'one-time', type: 'bool', legacyEnv: true, default: false, help: 'Exit after the first sync.' },
    { name: 'http-bind', type: 'string', legacyEnv: true, default: '', help: 'The bind address (including port) for the HTTP server; empty: no server.', placeholder: 'ADDR' },
    { name: 'verbose', type: 'int', short: 'v', default: 0, min: 0, max: 9, help: 'Logs at this verbosity (0-9); higher is more.' }
  ]
}
