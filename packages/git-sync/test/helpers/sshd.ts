// A real Debian sshd on a free loopback port, with its own host key, config and authorized
// keys, serving git over ssh to the current user. Killed when the test ends.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import net from 'node:net'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { onCleanup, waitFor } from './fixture.js'

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

export function keygen (path: string, type = 'ed25519'): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path, '-C', 'git-sync-test'])
  return readFileSync(`${path}.pub`, 'utf8').trim()
}

export class Sshd {
  readonly dir: string
  port = 0
  hostKeyPub = ''
  private child: ChildProcess | undefined
  log = ''

  constructor (dir: string) { this.dir = dir }

  get user (): string { return userInfo().username }

  /** Starts sshd accepting these public keys. */
  async start (authorizedKeys: string[]): Promise<void> {
    mkdirSync(this.dir, { recursive: true })
    // sshd's privilege separation needs this directory when run as root.
    if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
    const hostKey = join(this.dir, 'host_key')
    this.hostKeyPub = keygen(hostKey)
    const auth = join(this.dir, 'authorized_keys')
    writeFileSync(auth, authorizedKeys.join('\n') + '\n', { mode: 0o600 })
    for (let attempt = 0; attempt < 5; attempt++) {
      this.port = await freePort()
      const cfg = join(this.dir, 'sshd_config')
      writeFileSync(cfg, [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${auth}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'LogLevel ERROR',
        `SetEnv PATH=${process.env.PATH ?? '/usr/bin:/bin'}`
      ].join('\n') + '\n')
      const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] })
      child.stderr?.on('data', (d: Buffer) => { this.log += d.toString() })
      this.child = child
      let exited = false
      child.on('exit', () => { exited = true })
      onCleanup(() => { child.kill('SIGKILL') })
      try {
        await waitFor(async () => exited || await canConnect(this.port), 5000, 'sshd to listen')
      } catch { /* retry below */ }
      if (!exited && await canConnect(this.port)) return
      child.kill('SIGKILL')
    }
    throw new Error(`sshd did not start: ${this.log}`)
  }

  /** A known_hosts line for this server. */
  knownHostsLine (): string { return `[127.0.0.1]:${this.port} ${this.hostKeyPub}` }

  stop (): void { this.child?.kill('SIGKILL') }
}

async function canConnect (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
