// A git smart-HTTP server for tests: `git http-backend` (CGI) behind a small Node HTTP server
// with basic auth, on a free loopback port. Records what clients sent, to check for leaks.

import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { onCleanup } from './fixture.js'

export interface GitHttpServerOptions {
  /** Directory whose subdirectories are the served repos (GIT_PROJECT_ROOT). */
  projectRoot: string
  /** username → password; empty: no auth. A function lets tests rotate passwords. */
  users?: Record<string, string> | (() => Record<string, string>)
  /** A `name=value` cookie every request must carry, or it gets 403. */
  cookie?: string
}

export class GitHttpServer {
  private readonly server: http.Server
  private readonly opts: GitHttpServerOptions
  /** Basic-auth usernames seen on accepted requests. */
  readonly acceptedUsers: string[] = []
  rejected = 0
  requests = 0

  constructor (opts: GitHttpServerOptions) {
    this.opts = opts
    this.server = http.createServer((req, res) => { this.handle(req, res) })
  }

  async start (): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    onCleanup(async () => { await this.stop() })
    return this.port
  }

  get port (): number { return (this.server.address() as AddressInfo).port }
  url (repo: string): string { return `http://127.0.0.1:${this.port}/${repo}` }

  async stop (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private handle (req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++
    if (this.opts.cookie !== undefined && !(req.headers.cookie ?? '').split(/;\s*/).includes(this.opts.cookie)) {
      this.rejected++
      res.writeHead(403, { 'content-type': 'text/plain' })
      res.end('a session cookie is required\n')
      return
    }
    const users = typeof this.opts.users === 'function' ? this.opts.users() : this.opts.users
    let remoteUser = ''
    if (users !== undefined && Object.keys(users).length > 0) {
      const h = req.headers.authorization ?? ''
      const m = /^Basic (.+)$/.exec(h)
      const [u, p] = m === null ? ['', ''] : Buffer.from(m[1] as string, 'base64').toString().split(/:(.*)/s)
      if (m === null || u === undefined || users[u] === undefined || users[u] !== p) {
        this.rejected++
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' })
        res.end('unauthorized\n')
        return
      }
      remoteUser = u
      this.acceptedUsers.push(u)
    }
    const url = new URL(req.url ?? '/', 'http://x')
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: this.opts.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: remoteUser,
      REMOTE_ADDR: '127.0.0.1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: this.opts.projectRoot
    }
    if (req.headers['git-protocol'] !== undefined) env.GIT_PROTOCOL = String(req.headers['git-protocol'])
    if (req.headers['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding'])
    const cgi = spawn('git', ['-c', 'safe.directory=*', 'http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    req.pipe(cgi.stdin)
    let head = Buffer.alloc(0)
    let headersDone = false
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) { res.write(chunk); return }
      head = Buffer.concat([head, chunk])
      const i = head.indexOf('\r\n\r\n')
      const j = i === -1 ? head.indexOf('\n\n') : -1
      if (i === -1 && j === -1) return
      const end = i !== -1 ? i : j
      const sep = i !== -1 ? 4 : 2
      const lines = head.subarray(0, end).toString().split(/\r?\n/)
      let status = 200
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const k = line.indexOf(':')
        if (k === -1) continue
        const name = line.slice(0, k).trim()
        const value = line.slice(k + 1).trim()
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0])
        else headers[name] = value
      }
      res.writeHead(status, headers)
      headersDone = true
      res.write(head.subarray(end + sep))
    })
    cgi.on('close', () => { if (!headersDone) res.writeHead(500); res.end() })
    cgi.on('error', () => { res.destroy() })
  }
}
