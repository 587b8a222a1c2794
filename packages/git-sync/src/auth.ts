// Turns the auth flags into what git needs for one sync: an environment carrying credential
// helpers, ssh options and passwords (never argv), plus the repo URL with any secret removed.

import type * as Crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { existsSync, promises as fsp } from 'node:fs'
import type { Logger } from '@pod-patterns/runtime'
import { PodPatternsError } from '@pod-patterns/runtime'
import type { CredentialSpec, GitSyncConfig } from './config.js'

export const COOKIE_FILE = '/etc/git-secret/cookie_file'
const DEFAULT_SSH_KEY = '/etc/git-secret/ssh'

export interface AuthState {
  /** Env for every git child of this sync. */
  env: Record<string, string>
  /** Values to scrub from anything shown. */
  secrets: string[]
}

export interface AuthCounters {
  askpass: (status: 'success' | 'error') => void
}

/** The repo URL without user:password, and the credentials that were in it. */
export function splitUrlCredentials (repo: string): { url: string, username?: string, password?: string } {
  if (!/^https?:\/\//i.test(repo)) return { url: repo }
  let u: URL
  try { u = new URL(repo) } catch { return { url: repo } }
  if (u.username === '' && u.password === '') return { url: repo }
  const username = decodeURIComponent(u.username)
  const password = decodeURIComponent(u.password)
  u.username = ''
  u.password = ''
  return { url: u.toString().replace(/\/$/, repo.endsWith('/') ? '/' : ''), username, ...(password !== '' ? { password } : {}) }
}

/** scheme://host[:port] of an http(s) URL; undefined for other URLs. */
function httpBase (url: string): string | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined
  try { const u = new URL(url); return `${u.protocol}//${u.host}` } catch { return undefined }
}

function shellQuote (s: string): string { return `'${s.replace(/'/g, `'\\''`)}'` }

// node:crypto is loaded on first use: only GitHub App users need it, and it costs start-up.
const require = createRequire(import.meta.url)

function base64url (b: Buffer | string): string {
  return Buffer.from(b).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
}

/** Signs a GitHub App JWT (RS256), valid for 9 minutes. */
export function githubAppJwt (issuer: string, privateKeyPem: string, nowSec = Math.floor(Date.now() / 1000)): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))
  const payload = base64url(JSON.stringify({ iat: nowSec - 60, exp: nowSec + 540, iss: issuer }))
  const signer = (require('node:crypto') as typeof Crypto).createSign('RSA-SHA256')
  signer.update(`${header}.${payload}`)
  return `${header}.${payload}.${base64url(signer.sign(privateKeyPem))}`
}

export class Auth {
  private readonly config: Readonly<GitSyncConfig>
  private readonly logger: Logger
  private readonly counters: AuthCounters
  /** The URL git fetches: credentials stripped. */
  readonly fetchUrl: string
  private readonly urlCreds: { username?: string, password?: string }
  private githubToken: { token: string, expiresAt: number } | undefined

  constructor (config: Readonly<GitSyncConfig>, logger: Logger, counters: AuthCounters) {
    this.config = config
    this.logger = logger
    this.counters = counters
    const split = splitUrlCredentials(config.repo)
    this.fetchUrl = split.url
    this.urlCreds = { ...(split.username !== undefined ? { username: split.username } : {}), ...(split.password !== undefined ? { password: split.password } : {}) }
  }

  /** Collects this sync's credentials (files re-read, askpass asked, token refreshed). */
  async prepare (signal?: AbortSignal): Promise<AuthState> {
    const c = this.config
    const secrets: string[] = []
    const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' }
    const configs: Array<[string, string]> = [
      // Root and worktrees may belong to another UID on a shared volume.
      ['safe.directory', '*'],
      // Start from no helpers so only ours answer, and match credentials by URL path too.
      ['credential.helper', ''],
      ['credential.useHttpPath', 'true']
    ]

    const entries: Array<{ url: string, username: string, password: string }> = []
    const main = await this.mainCredential(signal)
    const base = httpBase(this.fetchUrl)
    if (main !== undefined && base !== undefined) entries.push({ url: base, ...main })
    for (const cred of c.credentials) entries.push({ url: cred.url, username: cred.username, password: await readCredentialPassword(cred) })

    entries.forEach((e, i) => {
      env[`GITSYNC_CRED_USER_${i}`] = e.username
      env[`GITSYNC_CRED_PASS_${i}`] = e.password
      secrets.push(e.password)
      configs.push([`credential.${e.url}.helper`,
        `!f() { test "$1" = get || exit 0; printf 'username=%s\\npassword=%s\\n' "$GITSYNC_CRED_USER_${i}" "$GITSYNC_CRED_PASS_${i}"; }; f`])
    })

    if (c.cookieFile) configs.push(['http.cookieFile', COOKIE_FILE])
    // Before the operator's own configs, which win when they set it too.
    configs.push(['checkout.workers', String(c.checkoutWorkers)], ['checkout.thresholdForParallelism', '2000'])
    for (const [k, v] of c.gitConfigPairs) configs.push([k, v])
    env.GIT_CONFIG_COUNT = String(configs.length)
    configs.forEach(([k, v], i) => { env[`GIT_CONFIG_KEY_${i}`] = k; env[`GIT_CONFIG_VALUE_${i}`] = v })

    env.GIT_SSH_COMMAND = this.sshCommand()
    return { env, secrets }
  }

  private sshCommand (): string {
    const c = this.config
    const parts = ['ssh', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes']
    // ssh reads ~/.ssh/config from the passwd entry's home, which a container's random UID
    // lacks; honour $HOME (the image sets HOME=/tmp) so a mounted ssh config still applies.
    const home = process.env.HOME
    if (home !== undefined && home !== '' && existsSync(`${home}/.ssh/config`)) parts.push('-F', shellQuote(`${home}/.ssh/config`))
    for (const key of c.sshKeyFile) {
      // The default key is optional (the image mounts it only for ssh users); named ones are not.
      if (key === DEFAULT_SSH_KEY && !existsSync(key)) continue
      parts.push('-i', shellQuote(key))
    }
    if (c.sshKnownHosts) parts.push('-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${shellQuote(c.sshKnownHostsFile)}`)
    else parts.push('-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR')
    return parts.join(' ')
  }

  private async mainCredential (signal?: AbortSignal): Promise<{ username: string, password: string } | undefined> {
    const c = this.config
    if (c.askpassUrl !== '') return await this.askpass(signal)
    if (c.githubAppInstallationId !== 0) return { username: 'x-access-token', password: await this.githubAppToken(signal) }
    if (c.username !== '') {
      const password = c.passwordFile !== '' ? await readSecretFile(c.passwordFile, '--password-file') : c.password
      return { username: c.username, password }
    }
    if (this.urlCreds.username !== undefined || this.urlCreds.password !== undefined) {
      return { username: this.urlCreds.username ?? '', password: this.urlCreds.password ?? '' }
    }
    return undefined
  }

  private async askpass (signal?: AbortSignal): Promise<{ username: string, password: string }> {
    const url = this.config.askpassUrl
    try {
      const res = await fetch(url, { signal: anySignal(signal, 10_000) })
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
      const text = await res.text()
      let username = ''
      let password = ''
      for (const line of text.split(/\r?\n/)) {
        const eq = line.indexOf('=')
        if (eq === -1) continue
        const k = line.slice(0, eq).trim()
        const v = line.slice(eq + 1)
        if (k === 'username') username = v
        else if (k === 'password') password = v
      }
      this.counters.askpass('success')
      return { username, password }
    } catch (err) {
      this.counters.askpass('error')
      throw new PodPatternsError('ASKPASS_FAILED', `can't get credentials from --askpass-url: ${(err as Error).message}`, { cause: err })
    }
  }

  private async githubAppToken (signal?: AbortSignal): Promise<string> {
    const c = this.config
    // Refresh five minutes before expiry so a sync never starts with a token about to die.
    if (this.githubToken !== undefined && this.githubToken.expiresAt - Date.now() > 5 * 60_000) return this.githubToken.token
    const key = c.githubAppPrivateKeyFile !== '' ? await readSecretFile(c.githubAppPrivateKeyFile, '--github-app-private-key-file') : c.githubAppPrivateKey
    const issuer = c.githubAppClientId !== '' ? c.githubAppClientId : String(c.githubAppApplicationId)
    let jwt: string
    try { jwt = githubAppJwt(issuer, key) } catch (err) {
      throw new PodPatternsError('GITHUB_APP_KEY', `can't sign the GitHub App JWT: ${(err as Error).message}`, { cause: err })
    }
    const base = c.githubBaseUrl.endsWith('/') ? c.githubBaseUrl : c.githubBaseUrl + '/'
    const url = `${base}app/installations/${c.githubAppInstallationId}/access_tokens`
    let res: Response
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${jwt}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'pod-patterns-git-sync' },
        signal: anySignal(signal, 15_000)
      })
    } catch (err) {
      throw new PodPatternsError('GITHUB_APP_TOKEN', `can't reach ${url}: ${(err as Error).message}`, { cause: err })
    }
    const body = await res.text()
    if (res.status !== 201 && res.status !== 200) throw new PodPatternsError('GITHUB_APP_TOKEN', `GitHub App token request failed: HTTP ${res.status}`)
    let parsed: { token?: unknown, expires_at?: unknown }
    try { parsed = JSON.parse(body) as typeof parsed } catch { throw new PodPatternsError('GITHUB_APP_TOKEN', 'GitHub App token response is not JSON') }
    if (typeof parsed.token !== 'string' || parsed.token === '') throw new PodPatternsError('GITHUB_APP_TOKEN', 'GitHub App token response has no token')
    const expiresAt = typeof parsed.expires_at === 'string' ? Date.parse(parsed.expires_at) : Date.now() + 3600_000
    this.githubToken = { token: parsed.token, expiresAt: Number.isNaN(expiresAt) ? Date.now() + 3600_000 : expiresAt }
    this.logger.debug({ expiresAt: new Date(this.githubToken.expiresAt).toISOString() }, 'got a GitHub App installation token')
    return parsed.token
  }
}

async function readSecretFile (path: string, what: string): Promise<string> {
  try {
    // Trailing newlines are an editor's, not the password's.
    return (await fsp.readFile(path, 'utf8')).replace(/[\r\n]+$/, '')
  } catch (err) {
    throw new PodPatternsError('SECRET_FILE', `can't read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
}

async function readCredentialPassword (cred: CredentialSpec): Promise<string> {
  if (cred.passwordFile !== undefined) return await readSecretFile(cred.passwordFile, '--credential password-file')
  return cred.password ?? ''
}

function anySignal (signal: AbortSignal | undefined, ms: number): AbortSignal {
  const t = AbortSignal.timeout(ms)
  return signal === undefined ? t : AbortSignal.any([signal, t])
}
