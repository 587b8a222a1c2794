// The git-sync flag table (every flag of kubernetes/git-sync v4 plus ours, with env vars,
// legacy v3 names and deprecated aliases) and the validation that turns it into GitSyncConfig.

import { constants as osConstants } from 'node:os'
import { ConfigError, readPackageInfo, type ConfigTable, type OptionSpec, type ParsedConfig } from '@pod-patterns/runtime'

export const PACKAGE = readPackageInfo(import.meta.url)

export type SubmoduleMode = 'recursive' | 'shallow' | 'off'
export type GcMode = 'auto' | 'always' | 'aggressive' | 'off'

/** One `--credential` entry: credentials git uses for URLs under `url`. */
export interface CredentialSpec {
  url: string
  username: string
  password?: string
  passwordFile?: string
}

export interface GitSyncConfig {
  repo: string
  ref: string
  depth: number
  filter: string
  submodules: SubmoduleMode
  sparseCheckoutFile: string
  root: string
  link: string
  errorFile: string
  touchFile: string
  staleWorktreeTimeout: number
  groupWrite: boolean
  addUser: boolean
  period: number
  initPeriod: number
  syncTimeout: number
  oneTime: boolean
  maxFailures: number
  initMaxFailures: number
  syncOnSignal: string
  username: string
  password: string
  passwordFile: string
  credential: readonly string[]
  sshKeyFile: readonly string[]
  sshKnownHosts: boolean
  sshKnownHostsFile: string
  cookieFile: boolean
  askpassUrl: string
  githubBaseUrl: string
  githubAppApplicationId: number
  githubAppClientId: string
  githubAppInstallationId: number
  githubAppPrivateKeyFile: string
  githubAppPrivateKey: string
  webhookUrl: string
  webhookMethod: string
  webhookSuccessStatus: number
  webhookTimeout: number
  webhookBackoff: number
  exechookCommand: string
  exechookTimeout: number
  exechookBackoff: number
  prePublishExechookCommand: string
  prePublishExechookTimeout: number
  prePublishExechookBackoff: number
  httpBind: string
  httpMetrics: boolean
  httpPprof: boolean
  git: string
  gitConfig: string
  gitConfigAdd: readonly string[]
  gitGc: GcMode
  verbose: number
  man: boolean
  // Beyond the anchor.
  triggerPath: string
  triggerSecretFile: string
  triggerMinInterval: number
  readyMaxAge: number
  checkoutWorkers: number
  reuseUnchangedFiles: boolean
  verifySignatures: string
  gpgKeyring: string
  sshAllowedSigners: string
  // Deprecated v3 aliases, folded into the fields above by validateConfig.
  branch: string
  rev: string
  dest: string
  wait: number
  timeout: number
  maxSyncFailures: number
  syncHookCommand: string
  passwordFlag: string
  ssh: boolean
  v: number
  changePermissions: number
  // Derived by validateConfig.
  /** Parsed --credential entries. */
  credentials: readonly CredentialSpec[]
  /** --git-config plus --git-config-add as key/value pairs, in order. */
  gitConfigPairs: ReadonlyArray<readonly [string, string]>
  /** Signal number for --sync-on-signal, 0 when off. */
  syncSignal: NodeJS.Signals | ''
}

const S = 'source'
const L = 'layout'
const LOOP = 'loop'
const A = 'auth'
const H = 'hooks'
const HTTP = 'http'
const G = 'git'
const X = 'push-to-deploy, health and signatures (not in the anchor)'
const M = 'misc'

function deprecatedAlias (name: string, type: OptionSpec['type'], env: string[] | false, use: string, extra: Partial<OptionSpec> = {}): OptionSpec {
  return { name, type, env, hidden: true, help: `Deprecated: use ${use}.`, deprecated: `use ${use} instead`, ...extra }
}

export const table: ConfigTable = {
  program: 'git-sync',
  version: PACKAGE.version,
  summary: 'Keeps a git repository checked out into a directory shared with other containers\n(a drop-in for kubernetes/git-sync v4, plus push-to-deploy).',
  envPrefix: 'GITSYNC_',
  legacyEnvPrefix: 'GIT_SYNC_',
  legacyEnvWins: true,
  options: [
    { group: S, name: 'repo', type: 'string', legacyEnv: true, help: 'The git repository to sync.', required: true, placeholder: 'URL' },
    { group: S, name: 'ref', type: 'string', default: 'HEAD', help: 'The git revision (branch, tag, or full SHA) to sync.' },
    { group: S, name: 'depth', type: 'int', legacyEnv: true, default: 1, min: 0, help: 'Create a shallow clone with history truncated to this many commits; 0 syncs the full history.' },
    { group: S, name: 'filter', type: 'string', default: '', help: 'The filter for a partial clone (e.g. blob:none); see git fetch --filter.' },
    { group: S, name: 'submodules', type: 'enum', legacyEnv: true, choices: ['recursive', 'shallow', 'off'], default: 'recursive', help: 'How to handle submodules: recursive, shallow (top level only) or off.' },
    { group: S, name: 'sparse-checkout-file', type: 'string', legacyEnv: true, default: '', help: 'A sparse-checkout file (git sparse-checkout syntax) limiting what is checked out.', placeholder: 'FILE' },

    { group: L, name: 'root', type: 'string', legacyEnv: true, help: 'The root directory for git-sync operations (the image uses /git).', required: true, placeholder: 'DIR' },
    { group: L, name: 'link', type: 'string', legacyEnv: true, default: '', help: 'The path (absolute or relative to --root) of the symlink to the current worktree; default: the last part of --repo.' },
    { group: L, name: 'error-file', type: 'string', legacyEnv: true, default: '', help: 'The path (absolute or relative to --root) of a JSON file written on a failed sync and removed on success.', placeholder: 'FILE' },
    { group: L, name: 'touch-file', type: 'string', legacyEnv: true, default: '', help: 'The path (absolute or relative to --root) of a file touched after each successful sync.', placeholder: 'FILE' },
    { group: L, name: 'stale-worktree-timeout', type: 'duration', default: 0, min: 0, help: 'How long to keep a worktree after it stops being current; 0 removes it at once.' },
    { group: L, name: 'group-write', type: 'bool', legacyEnv: true, default: false, help: 'Make the synced files group-writable.' },
    { group: L, name: 'add-user', type: 'bool', legacyEnv: true, default: false, help: 'Add a passwd entry for the running UID (ssh needs one) unless it has one; fails if /etc/passwd is not writable.' },

    { group: LOOP, name: 'period', type: 'duration', legacyEnv: true, default: 10_000, min: 10, help: 'How long to wait between sync attempts (at least 10ms).' },
    { group: LOOP, name: 'init-period', type: 'duration', default: 0, min: 0, help: 'How long to wait between attempts until the first success; 0 means --period.' },
    { group: LOOP, name: 'sync-timeout', type: 'duration', legacyEnv: true, default: 120_000, min: 10, help: 'The total time allowed for one complete sync.' },
    { group: LOOP, name: 'one-time', type: 'bool', legacyEnv: true, default: false, help: 'Exit after one sync (non-zero if it or a hook failed).' },
    { group: LOOP, name: 'max-failures', type: 'int', legacyEnv: true, default: 0, min: -1, help: 'The number of consecutive failures allowed before exiting (0 or 1: exit on the first; -1: retry forever).' },
    { group: LOOP, name: 'init-max-failures', type: 'int', default: 0, min: -1, help: 'Consecutive failures allowed before the first success; 0 means --max-failures.' },
    { group: LOOP, name: 'sync-on-signal', type: 'string', legacyEnv: true, default: '', help: 'A signal (e.g. SIGHUP, HUP or 1) that starts a sync at once.', placeholder: 'SIGNAL' },

    { group: A, name: 'username', type: 'string', legacyEnv: true, default: '', help: 'The username for http(s) authentication.' },
    { group: A, name: 'password', key: 'password', type: 'string', envOnly: true, placeholder: '', secret: true, legacyEnv: true, default: '', help: 'The password or token for http(s) authentication (environment only).' },
    { group: A, name: 'password-file', type: 'string', legacyEnv: true, default: '', help: 'A file holding the password; re-read before every sync.', placeholder: 'FILE' },
    { group: A, name: 'credential', type: 'list', default: [], help: 'JSON {"url", "username", "password" or "password-file"}: credentials for URLs under url (repeatable; for submodules on other hosts).', placeholder: 'JSON' },
    { group: A, name: 'ssh-key-file', type: 'list', env: ['GIT_SSH_KEY_FILE', 'GIT_SYNC_SSH_KEY_FILE', 'GITSYNC_SSH_KEY_FILE'], default: ['/etc/git-secret/ssh'], help: 'An ssh private key (repeatable).', placeholder: 'FILE' },
    { group: A, name: 'ssh-known-hosts', type: 'bool', env: ['GIT_KNOWN_HOSTS', 'GIT_SYNC_KNOWN_HOSTS', 'GITSYNC_SSH_KNOWN_HOSTS'], default: true, help: 'Check ssh host keys against --ssh-known-hosts-file.' },
    { group: A, name: 'ssh-known-hosts-file', type: 'string', env: ['GIT_SSH_KNOWN_HOSTS_FILE', 'GIT_SYNC_SSH_KNOWN_HOSTS_FILE', 'GITSYNC_SSH_KNOWN_HOSTS_FILE'], default: '/etc/git-secret/known_hosts', help: 'The known_hosts file for ssh.', placeholder: 'FILE' },
    { group: A, name: 'cookie-file', type: 'bool', env: ['GIT_COOKIE_FILE', 'GIT_SYNC_COOKIE_FILE', 'GITSYNC_COOKIE_FILE'], default: false, help: 'Use the git cookie file at /etc/git-secret/cookie_file.' },
    { group: A, name: 'askpass-url', type: 'string', env: ['GIT_ASKPASS_URL', 'GIT_SYNC_ASKPASS_URL', 'GITSYNC_ASKPASS_URL'], default: '', help: 'A URL answering GET with username=/password= lines; asked before every sync.', placeholder: 'URL' },
    { group: A, name: 'github-base-url', type: 'string', default: 'https://api.github.com/', help: 'The GitHub API base URL for GitHub App authentication.', placeholder: 'URL' },
    { group: A, name: 'github-app-application-id', type: 'int', default: 0, min: 0, help: 'The GitHub App application ID (or use --github-app-client-id).' },
    { group: A, name: 'github-app-client-id', type: 'string', default: '', help: 'The GitHub App client ID (or use --github-app-application-id).' },
    { group: A, name: 'github-app-installation-id', type: 'int', default: 0, min: 0, help: 'The GitHub App installation ID.' },
    { group: A, name: 'github-app-private-key-file', type: 'string', default: '', help: 'The GitHub App private key (PEM); or set $GITSYNC_GITHUB_APP_PRIVATE_KEY.', placeholder: 'FILE' },
    { group: A, name: 'github-app-private-key', type: 'string', envOnly: true, placeholder: '', secret: true, default: '', help: 'The GitHub App private key itself (environment only).' },

    { group: H, name: 'webhook-url', type: 'string', legacyEnv: true, default: '', help: 'A URL called after each sync that changed the hash (and once at start-up).', placeholder: 'URL' },
    { group: H, name: 'webhook-method', type: 'string', legacyEnv: true, default: 'POST', help: 'The HTTP method of the webhook.' },
    { group: H, name: 'webhook-success-status', type: 'int', legacyEnv: true, default: 200, min: -1, help: 'The status that means success; 0 or -1: fire and forget.' },
    { group: H, name: 'webhook-timeout', type: 'duration', legacyEnv: true, default: 1000, min: 1, help: 'How long to wait for the webhook to answer.' },
    { group: H, name: 'webhook-backoff', type: 'duration', legacyEnv: true, default: 3000, min: 1, help: 'How long to wait before retrying a failed webhook.' },
    { group: H, name: 'exechook-command', type: 'string', legacyEnv: true, default: '', help: 'A command run in the new worktree after each sync that changed the hash (and once at start-up), with $GITSYNC_HASH set.', placeholder: 'CMD' },
    { group: H, name: 'exechook-timeout', type: 'duration', legacyEnv: true, default: 30_000, min: 1, help: 'How long the exec hook may run.' },
    { group: H, name: 'exechook-backoff', type: 'duration', legacyEnv: true, default: 3000, min: 1, help: 'How long to wait before retrying a failed exec hook.' },
    { group: H, name: 'pre-publish-exechook-command', type: 'string', default: '', help: 'A command run in the new worktree, with $GITSYNC_HASH set, before the link moves to it; the link moves when its first run ends. A failed run does not stop the publish: it is retried, and a --one-time run exits 1.', placeholder: 'CMD' },
    { group: H, name: 'pre-publish-exechook-timeout', type: 'duration', default: 30_000, min: 1, help: 'How long the pre-publish exec hook may run.' },
    { group: H, name: 'pre-publish-exechook-backoff', type: 'duration', default: 3000, min: 1, help: 'How long to wait before retrying a failed pre-publish exec hook.' },

    { group: HTTP, name: 'http-bind', type: 'string', legacyEnv: true, default: '', help: 'The address (host:port or :port) of the HTTP server; empty: no server.', placeholder: 'ADDR' },
    { group: HTTP, name: 'http-metrics', type: 'bool', legacyEnv: true, default: false, help: 'Serve Prometheus metrics on /metrics (needs --http-bind; off by default, as in the anchor).' },
    { group: HTTP, name: 'http-pprof', type: 'bool', legacyEnv: true, default: false, help: 'Serve diagnostics under /debug/pprof/ (Node heap snapshot and CPU profile; needs --http-bind).' },

    { group: G, name: 'git', type: 'string', legacyEnv: true, default: 'git', help: 'The git command to run.', placeholder: 'PATH' },
    { group: G, name: 'git-config', type: 'string', legacyEnv: true, default: '', help: 'Extra git configs as key:value pairs, comma-separated; values may be double-quoted.', placeholder: 'K:V,...' },
    { group: G, name: 'git-config-add', type: 'list', default: [], help: 'One more key:value git config (repeatable).', placeholder: 'K:V' },
    { group: G, name: 'git-gc', type: 'enum', legacyEnv: true, choices: ['auto', 'always', 'aggressive', 'off'], default: 'always', help: 'Garbage collection after each sync: auto, always, aggressive or off.' },

    { group: X, name: 'trigger-path', type: 'string', default: '', help: 'Serve a push-webhook endpoint (GitHub, GitLab, Gitea) at this path on --http-bind that starts a sync at once.', placeholder: 'PATH' },
    { group: X, name: 'trigger-secret-file', type: 'string', default: '', help: 'The shared secret for the trigger endpoint (HMAC key / token); required with --trigger-path.', placeholder: 'FILE' },
    { group: X, name: 'trigger-min-interval', type: 'duration', default: 0, min: 0, help: 'At most one triggered sync per this interval; pushes in between are coalesced.' },
    { group: X, name: 'ready-max-age', type: 'duration', default: 0, min: 0, help: '/readyz and / go unready when the last successful sync is older than this; 0: never.' },
    { group: X, name: 'checkout-workers', type: 'int', default: 4, min: 0, max: 64, help: 'Processes git uses to write a new worktree of 2000 files or more (git\'s checkout.workers; 0: one per CPU, 1: serial). Writing files is mostly waiting on the disk, so a few more than the CPUs is faster; below 2000 files starting them costs more than it saves. --git-config checkout.workers:N or checkout.thresholdForParallelism:N overrides it.' },
    { group: X, name: 'reuse-unchanged-files', type: 'bool', default: true, help: 'Build a new worktree from the published one: unchanged files are hard links to it, git writes only what changed. The published tree is never modified; files edited in place by a consumer are rewritten. --reuse-unchanged-files=false checks out every file, as the anchor does; so does a --pre-publish-exechook-command, which may write to the new tree.' },
    { group: X, name: 'verify-signatures', type: 'enum', choices: ['', 'commit', 'tag'], default: '', help: 'Publish only commits (or tags) whose signature verifies against --gpg-keyring or --ssh-allowed-signers.' },
    { group: X, name: 'gpg-keyring', type: 'string', default: '', help: 'A GnuPG home directory (or exported public keys file) holding the trusted signing keys.', placeholder: 'PATH' },
    { group: X, name: 'ssh-allowed-signers', type: 'string', default: '', help: 'An ssh allowed-signers file for SSH-signed commits/tags.', placeholder: 'FILE' },

    { group: M, name: 'verbose', type: 'int', short: 'v', default: 0, min: 0, max: 9, help: 'Logs at this verbosity (0-9); higher is more.' },
    { group: M, name: 'man', type: 'bool', env: false, default: false, help: 'Print the full manual (the --help text) and exit.' },

    deprecatedAlias('branch', 'string', ['GIT_SYNC_BRANCH'], '--ref', { default: '' }),
    deprecatedAlias('rev', 'string', ['GIT_SYNC_REV'], '--ref', { default: '' }),
    deprecatedAlias('dest', 'string', ['GIT_SYNC_DEST'], '--link', { default: '' }),
    deprecatedAlias('wait', 'float', ['GIT_SYNC_WAIT'], '--period', { default: -1 }),
    deprecatedAlias('timeout', 'int', ['GIT_SYNC_TIMEOUT'], '--sync-timeout', { default: -1 }),
    deprecatedAlias('max-sync-failures', 'int', ['GIT_SYNC_MAX_SYNC_FAILURES'], '--max-failures', { default: -2 }),
    deprecatedAlias('sync-hook-command', 'string', ['GIT_SYNC_HOOK_COMMAND'], '--exechook-command', { default: '' }),
    deprecatedAlias('password', 'string', false, '$GITSYNC_PASSWORD or --password-file', { key: 'passwordFlag', secret: true, default: '' }),
    deprecatedAlias('ssh', 'bool', ['GIT_SYNC_SSH'], 'nothing (ssh is used when the URL asks for it)', { default: false }),
    deprecatedAlias('v', 'int', [], '-v or --verbose', { default: -1 }),
    // Removed in v4: still recognised, so that a pod spec using it gets the anchor's clear error.
    deprecatedAlias('change-permissions', 'int', ['GIT_SYNC_PERMISSIONS'], '--group-write', { default: 0 })
  ]
}

const SIGNALS = osConstants.signals as Record<string, number>

/** Maps SIGHUP, HUP or 1 to a Node signal name; throws ConfigError otherwise. */
export function parseSignal (text: string): NodeJS.Signals {
  const t = text.trim().toUpperCase()
  if (/^\d+$/.test(t)) {
    const n = Number(t)
    for (const [name, num] of Object.entries(SIGNALS)) if (num === n) return name as NodeJS.Signals
  } else {
    const name = t.startsWith('SIG') ? t : `SIG${t}`
    if (SIGNALS[name] !== undefined) return name as NodeJS.Signals
  }
  throw new ConfigError(`--sync-on-signal: unknown signal ${JSON.stringify(text)}`, '--sync-on-signal')
}

/** Parses `k:v,k2:"v, quoted"` as the anchor's --git-config does. */
export function parseGitConfigs (text: string): Array<[string, string]> {
  const out: Array<[string, string]> = []
  let i = 0
  const fail = (why: string): never => { throw new ConfigError(`--git-config: ${why} in ${JSON.stringify(text)}`, '--git-config') }
  while (i < text.length) {
    const colon = text.indexOf(':', i)
    if (colon === -1) fail('missing ":" after key')
    const key = text.slice(i, colon).trim()
    if (key === '') fail('empty key')
    i = colon + 1
    let value = ''
    if (text[i] === '"') {
      i++
      let closed = false
      while (i < text.length) {
        const c = text[i] as string
        if (c === '\\' && i + 1 < text.length) { value += text[i + 1] as string; i += 2; continue }
        if (c === '"') { closed = true; i++; break }
        value += c
        i++
      }
      if (!closed) fail('unterminated quote')
      if (i < text.length && text[i] !== ',') fail('text after closing quote')
    } else {
      const comma = text.indexOf(',', i)
      const end = comma === -1 ? text.length : comma
      value = text.slice(i, end)
      i = end
    }
    out.push([key, value])
    if (text[i] === ',') i++
  }
  return out
}

function parseCredential (text: string): CredentialSpec {
  let raw: unknown
  try { raw = JSON.parse(text) } catch (err) {
    throw new ConfigError(`--credential: invalid JSON: ${(err as Error).message}`, '--credential')
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('--credential: expected a JSON object', '--credential')
  const o = raw as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!['url', 'username', 'password', 'password-file', 'passwordFile'].includes(k)) throw new ConfigError(`--credential: unknown field ${JSON.stringify(k)}`, '--credential')
  }
  const str = (k: string): string | undefined => {
    const v = o[k]
    if (v === undefined) return undefined
    if (typeof v !== 'string') throw new ConfigError(`--credential: ${k} must be a string`, '--credential')
    return v
  }
  const url = str('url')
  const username = str('username')
  const password = str('password')
  const passwordFile = str('password-file') ?? str('passwordFile')
  if (url === undefined || url === '') throw new ConfigError('--credential: url must be specified', '--credential')
  if (username === undefined || username === '') throw new ConfigError('--credential: username must be specified', '--credential')
  if ((password === undefined) === (passwordFile === undefined)) throw new ConfigError('--credential: exactly one of password and password-file must be specified', '--credential')
  return { url, username, ...(password !== undefined ? { password } : {}), ...(passwordFile !== undefined ? { passwordFile } : {}) }
}

/** The default link name: the last path part of the repo URL, slashes trimmed, `.git` kept. */
export function defaultLinkName (repo: string): string {
  const trimmed = repo.replace(/\/+$/, '')
  const parts = trimmed.split(/[/:]/)
  return parts[parts.length - 1] ?? trimmed
}

/** Folds deprecated aliases into the current fields and checks what the table cannot. */
export function validateConfig (config: Readonly<GitSyncConfig>, parsed?: ParsedConfig<GitSyncConfig>): Readonly<GitSyncConfig> {
  const c: GitSyncConfig = { ...config }
  const src = parsed?.sources ?? {}
  const explicit = (key: string): boolean => src[key] === 'flag' || src[key] === 'env'

  if (!explicit('ref') && (c.branch !== '' || c.rev !== '')) {
    // v3: --rev wins unless it is HEAD, then --branch.
    c.ref = c.rev !== '' && c.rev !== 'HEAD' ? c.rev : (c.branch !== '' ? c.branch : 'HEAD')
  }
  if (c.dest !== '' && !explicit('link')) c.link = c.dest
  if (c.wait >= 0 && !explicit('period')) c.period = Math.round(c.wait * 1000)
  if (c.timeout >= 0 && !explicit('syncTimeout')) c.syncTimeout = c.timeout * 1000
  if (c.maxSyncFailures !== -2 && !explicit('maxFailures')) c.maxFailures = c.maxSyncFailures
  if (c.syncHookCommand !== '' && !explicit('exechookCommand')) c.exechookCommand = c.syncHookCommand
  if (c.passwordFlag !== '' && c.password === '') c.password = c.passwordFlag
  if (c.v >= 0 && !explicit('verbose')) c.verbose = Math.min(9, c.v)

  if (c.changePermissions !== 0) throw new ConfigError('--change-permissions is no longer supported: use --group-write', '--change-permissions')
  if (c.repo.trim() === '') throw new ConfigError('--repo must be specified', '--repo')
  if (c.root.trim() === '') throw new ConfigError('--root must be specified', '--root')
  if (c.period < 10) throw new ConfigError('--period must be at least 10ms', '--period')
  if (c.syncTimeout < 10) throw new ConfigError('--sync-timeout must be at least 10ms', '--sync-timeout')
  if (c.exechookCommand !== '') {
    if (c.exechookTimeout < 1000) throw new ConfigError('--exechook-timeout must be at least 1s', '--exechook-timeout')
    if (c.exechookBackoff < 1000) throw new ConfigError('--exechook-backoff must be at least 1s', '--exechook-backoff')
  }
  if (c.prePublishExechookCommand !== '') {
    if (c.prePublishExechookTimeout < 1000) throw new ConfigError('--pre-publish-exechook-timeout must be at least 1s', '--pre-publish-exechook-timeout')
    if (c.prePublishExechookBackoff < 1000) throw new ConfigError('--pre-publish-exechook-backoff must be at least 1s', '--pre-publish-exechook-backoff')
  }
  if (c.webhookUrl !== '') {
    if (c.webhookTimeout < 1000) throw new ConfigError('--webhook-timeout must be at least 1s', '--webhook-timeout')
    if (c.webhookBackoff < 1000) throw new ConfigError('--webhook-backoff must be at least 1s', '--webhook-backoff')
  }
  if (c.link === '') c.link = defaultLinkName(c.repo)
  if (c.link === '' || c.link === '.' || c.link === '..') throw new ConfigError(`--link: invalid link name ${JSON.stringify(c.link)}`, '--link')

  if (c.password !== '' && c.passwordFile !== '') throw new ConfigError('only one of $GITSYNC_PASSWORD and --password-file may be specified', '--password-file')
  if ((c.password !== '' || c.passwordFile !== '') && c.username === '') throw new ConfigError('--username must be specified when $GITSYNC_PASSWORD or --password-file is set', '--username')
  if (c.username !== '' && c.password === '' && c.passwordFile === '') throw new ConfigError('$GITSYNC_PASSWORD or --password-file must be specified when --username is set', '--username')

  const gh = c.githubAppApplicationId !== 0 || c.githubAppClientId !== '' || c.githubAppInstallationId !== 0 || c.githubAppPrivateKeyFile !== '' || c.githubAppPrivateKey !== ''
  if (gh) {
    if (c.githubAppApplicationId !== 0 && c.githubAppClientId !== '') throw new ConfigError('only one of --github-app-application-id and --github-app-client-id may be specified', '--github-app-client-id')
    if (c.githubAppApplicationId === 0 && c.githubAppClientId === '') throw new ConfigError('--github-app-application-id or --github-app-client-id must be specified', '--github-app-application-id')
    if (c.githubAppInstallationId === 0) throw new ConfigError('--github-app-installation-id must be specified', '--github-app-installation-id')
    if ((c.githubAppPrivateKeyFile === '') === (c.githubAppPrivateKey === '')) throw new ConfigError('exactly one of --github-app-private-key-file and $GITSYNC_GITHUB_APP_PRIVATE_KEY must be specified', '--github-app-private-key-file')
    if (c.username !== '') throw new ConfigError('--username cannot be combined with GitHub App authentication', '--username')
  }

  c.credentials = c.credential.map(parseCredential)
  const pairs: Array<readonly [string, string]> = c.gitConfig === '' ? [] : parseGitConfigs(c.gitConfig)
  for (const one of c.gitConfigAdd) {
    const parsedOne = parseGitConfigs(one)
    pairs.push(...parsedOne)
  }
  c.gitConfigPairs = pairs
  c.syncSignal = c.syncOnSignal === '' ? '' : parseSignal(c.syncOnSignal)
  if (c.syncSignal === 'SIGKILL' || c.syncSignal === 'SIGSTOP') throw new ConfigError(`--sync-on-signal: ${c.syncSignal} cannot be caught`, '--sync-on-signal')

  if (c.httpBind === '') {
    if (c.httpMetrics) throw new ConfigError('--http-bind must be specified when --http-metrics is set', '--http-bind')
    if (c.httpPprof) throw new ConfigError('--http-bind must be specified when --http-pprof is set', '--http-bind')
  }
  if (c.webhookMethod.trim() === '') throw new ConfigError('--webhook-method must not be empty', '--webhook-method')
  if (c.triggerPath !== '') {
    if (!c.triggerPath.startsWith('/')) throw new ConfigError('--trigger-path must start with /', '--trigger-path')
    if (c.httpBind === '') throw new ConfigError('--trigger-path needs --http-bind', '--trigger-path')
    if (c.triggerSecretFile === '') throw new ConfigError('--trigger-secret-file must be specified with --trigger-path', '--trigger-secret-file')
  }
  if (c.verifySignatures !== '' && c.gpgKeyring === '' && c.sshAllowedSigners === '') {
    throw new ConfigError('--verify-signatures needs --gpg-keyring or --ssh-allowed-signers', '--verify-signatures')
  }
  return Object.freeze(c)
}

/** Fills the derived fields for library callers who build a config by hand. */
export function configDefaults (): GitSyncConfig {
  const out: Record<string, unknown> = {}
  for (const spec of table.options) {
    const key = spec.key ?? spec.name.replace(/[^A-Za-z0-9]+([A-Za-z0-9])/g, (_m, ch: string) => ch.toUpperCase())
    out[key] = Array.isArray(spec.default) ? [...(spec.default as string[])] : spec.default
  }
  out.repo = ''
  out.root = ''
  out.credentials = []
  out.gitConfigPairs = []
  out.syncSignal = ''
  return out as unknown as GitSyncConfig
}
