// Starts real redis-server / redis-sentinel processes on free loopback ports in a temp dir, and
// kills them all at the end (even when a test fails).

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo
      s.close(() => { resolve(a.port) })
    })
  })
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export async function waitFor (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 15000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < end) {
    try {
      if (await fn()) return
    } catch (err) { last = err }
    await sleep(everyMs)
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : ': ' + (last instanceof Error ? last.message : JSON.stringify(last))}`)
}

export class RedisProc {
  proc: ChildProcess | undefined
  /** `clientOptions`: how a client reaches it (TLS, password); with them no plain PING is tried. */
  constructor (readonly port: number, readonly args: string[], readonly bin: string, readonly dir: string, readonly clientOptions: RedisOptions = {}) {}

  get addr (): string { return `127.0.0.1:${this.port}` }

  async start (): Promise<void> {
    this.proc = spawn(this.bin, this.args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] })
    this.proc.stderr?.resume()
    // Ports come from freePort() and test files run side by side: only our own process
    // answering on the port counts (another file's server may have taken it first).
    const proc = this.proc
    await waitFor(`${this.bin} on ${this.port}`, async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${this.bin} on ${this.port} exited (port taken?)`)
      const plain = Object.keys(this.clientOptions).length === 0
      return (!plain || await ping(this.port)) && await serverPid(this.port, this.clientOptions) === proc.pid
    }, 10000)
  }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.proc !== undefined && this.proc.exitCode === null) this.proc.kill(signal)
  }

  async stopped (): Promise<void> {
    const p = this.proc
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return
    await new Promise((resolve) => p.once('exit', resolve))
  }

  client (): Redis {
    return new Redis({ port: this.port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: false, ...this.clientOptions })
  }
}

async function serverPid (port: number, extra: RedisOptions = {}): Promise<number | undefined> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, ...extra })
  c.on('error', () => {})
  try {
    await c.connect()
    const m = /process_id:(\d+)/.exec(await c.info('server'))
    return m === null ? undefined : Number(m[1])
  } catch {
    return undefined
  } finally {
    c.disconnect()
  }
}

async function ping (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    s.setTimeout(500)
    s.on('connect', () => { s.write('*1\r\n$4\r\nPING\r\n') })
    s.on('data', (d) => { s.destroy(); resolve(d.toString().startsWith('+PONG')) })
    s.on('error', () => { resolve(false) })
    s.on('timeout', () => { s.destroy(); resolve(false) })
  })
}

/** A primary, replicas and (optionally) sentinels; `close()` kills everything and removes the dir. */
function offsetOf (info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info)
  return m === null ? -1 : Number(m[1])
}

export class RedisTopology {
  readonly dir = mkdtempSync(join(tmpdir(), 'ra-test-'))
  primary!: RedisProc
  replicas: RedisProc[] = []
  sentinels: RedisProc[] = []
  private readonly all: RedisProc[] = []

  async server (name: string, extra: string[] = [], clientOptions: RedisOptions = {}): Promise<RedisProc> {
    return await this.launch('redis-server', (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--dbfilename', `${name}.rdb`, '--protected-mode', 'no', '--repl-diskless-sync-delay', '0', ...extra], clientOptions)
  }

  /** Starts a process on a free port (retrying when another test took the port first); killed by close(). */
  async launch (bin: string, args: (port: number) => string[], clientOptions: RedisOptions = {}): Promise<RedisProc> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const p = new RedisProc(port, args(port), bin, this.dir, clientOptions)
      this.all.push(p)
      try {
        await p.start()
        return p
      } catch (err) {
        p.kill()
        if (attempt >= 5) throw err
      }
    }
  }

  async startPrimaryAndReplicas (replicas = 2): Promise<void> {
    this.primary = await this.server('primary')
    for (let i = 0; i < replicas; i++) this.replicas.push(await this.server(`replica${i}`, ['--replicaof', '127.0.0.1', String(this.primary.port)]))
    await this.waitReplicasSynced()
  }

  /**
   * Waits until every replica has applied everything the primary has written so far: its link is
   * up and its replication offset has reached the primary's. A link that is merely up can still
   * be behind by the last writes (replication is asynchronous).
   */
  async waitReplicasSynced (): Promise<void> {
    const p = this.primary.client()
    let target: number
    try {
      target = offsetOf(await p.info('replication'), 'master_repl_offset')
    } finally { p.disconnect() }
    for (const r of this.replicas) {
      const c = r.client()
      try {
        await waitFor(`replica ${r.port} in sync up to offset ${target}`, async () => {
          const info = await c.info('replication')
          return /master_link_status:up/.test(info) && offsetOf(info, 'slave_repl_offset') >= target
        })
      } finally { c.disconnect() }
    }
  }

  /**
   * `listen(port)`: the listening lines (default `port N`; e.g. `port 0` + `tls-port N` + certs);
   * `extra`: lines before `sentinel monitor` (requirepass, resolve-hostnames); `afterMonitor`:
   * lines that name the master (auth-pass); `clientOptions`: how a client reaches a sentinel.
   */
  async startSentinels (n = 3, masterName = 'mymaster', opts: { listen?: (port: number) => string[], extra?: string[], afterMonitor?: string[], monitorHost?: string, clientOptions?: RedisOptions } = {}): Promise<void> {
    for (let i = 0; i < n; i++) {
      const conf = join(this.dir, `sentinel${i}.conf`)
      const p = await this.launch('redis-sentinel', (port) => {
        writeFileSync(conf, [
          ...(opts.listen?.(port) ?? [`port ${port}`]), 'bind 127.0.0.1', 'protected-mode no', `dir ${this.dir}`,
          ...(opts.extra ?? []),
          `sentinel monitor ${masterName} ${opts.monitorHost ?? '127.0.0.1'} ${this.primary.port} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 4000`,
          `sentinel parallel-syncs ${masterName} 2`,
          ...(opts.afterMonitor ?? []), ''
        ].join('\n'))
        return [conf]
      }, opts.clientOptions)
      this.sentinels.push(p)
    }
  }

  async close (): Promise<void> {
    for (const p of this.all) p.kill()
    await Promise.all(this.all.map(async (p) => { await p.stopped() }))
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Calls of one command recorded in a server's INFO commandstats. */
export async function commandCalls (p: RedisProc, cmd: string): Promise<number> {
  const c = p.client()
  try {
    const text = await c.info('commandstats')
    const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(text)
    return m === null ? 0 : Number(m[1])
  } finally { c.disconnect() }
}
