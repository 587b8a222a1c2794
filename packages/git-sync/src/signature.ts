// Signature verification before publishing: a commit (or annotated tag) must carry a GPG or
// SSH signature that git verifies against the trusted keyring / allowed-signers file.

import { existsSync, statSync, promises as fsp } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { PodPatternsError } from '@pod-patterns/runtime'
import type { GitRunner } from './git-runner.js'

const run = promisify(execFile)

export class SignatureVerifier {
  private readonly mode: 'commit' | 'tag'
  private readonly keyring: string
  private readonly allowedSigners: string
  private gnupgHome: string | undefined
  private ownHome = false

  constructor (mode: 'commit' | 'tag', keyring: string, allowedSigners: string) {
    this.mode = mode
    this.keyring = keyring
    this.allowedSigners = allowedSigners
  }

  /** Prepares a GnuPG home: the given directory, or a private one with the given key file imported. */
  async init (): Promise<void> {
    if (this.keyring === '') return
    if (!existsSync(this.keyring)) throw new PodPatternsError('GPG_KEYRING', `--gpg-keyring ${this.keyring} does not exist`)
    if (statSync(this.keyring).isDirectory()) { this.gnupgHome = this.keyring; return }
    this.gnupgHome = await fsp.mkdtemp(join(tmpdir(), 'git-sync-gpg-'))
    this.ownHome = true
    try {
      await run('gpg', ['--batch', '--quiet', '--no-autostart', '--import', this.keyring], { env: { ...process.env, GNUPGHOME: this.gnupgHome } })
    } catch (err) {
      throw new PodPatternsError('GPG_KEYRING', `can't import --gpg-keyring ${this.keyring}: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`)
    }
    // Checking a signature needs only public keys: no gpg-agent. Without this, each gpg that git
    // starts may spawn an agent, and one started by a verification cut short at shutdown
    // outlives the process.
    await fsp.writeFile(join(this.gnupgHome, 'gpg.conf'), 'no-autostart\n')
  }

  async close (): Promise<void> {
    if (!this.ownHome || this.gnupgHome === undefined) return
    // gpg may have started an agent for the private home; it would outlive the home otherwise.
    await run('gpgconf', ['--homedir', this.gnupgHome, '--kill', 'all']).catch(() => undefined)
    await fsp.rm(this.gnupgHome, { recursive: true, force: true })
  }

  /** Throws SIGNATURE_INVALID unless the fetched commit/tag verifies. */
  async verify (git: GitRunner, root: string, sha: string, fetchedObject: string, signal: AbortSignal): Promise<void> {
    const env: Record<string, string> = {}
    if (this.gnupgHome !== undefined) env.GNUPGHOME = this.gnupgHome
    const cfg: string[] = []
    if (this.allowedSigners !== '') cfg.push('-c', `gpg.ssh.allowedSignersFile=${this.allowedSigners}`)
    const args = this.mode === 'tag' ? [...cfg, 'verify-tag', fetchedObject] : [...cfg, 'verify-commit', sha]
    if (this.mode === 'tag' && fetchedObject === sha) {
      throw new PodPatternsError('SIGNATURE_INVALID', `--verify-signatures=tag: ${sha} is not an annotated tag`)
    }
    try {
      await git.run(args, { cwd: root, signal, env })
    } catch (err) {
      throw new PodPatternsError('SIGNATURE_INVALID', `signature verification of ${this.mode === 'tag' ? 'tag ' + fetchedObject : 'commit ' + sha} failed: ${(err as Error).message}`, { cause: err })
    }
  }
}
