// Push-to-deploy: an HTTP endpoint that takes GitHub, GitLab or Gitea push webhooks (or a
// bearer token), verifies them against a shared secret and asks the sync loop to run now.

import type * as Crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { promises as fsp } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '@pod-patterns/runtime'
import { isSha } from './repo-sync.js'

export type TriggerResult = 'accepted' | 'ignored' | 'unauthorized' | 'bad_request' | 'error'

export interface TriggerOptions {
  secretFile: string
  ref: string
  logger: Logger
  /** Starts (or queues) a sync; coalescing and rate limiting live in the loop. */
  requestSync: (reason: string) => void
  count: (result: TriggerResult) => void
}

const MAX_BODY = 5 * 1024 * 1024
// node:crypto is loaded by the first request, not at start-up.
const require = createRequire(import.meta.url)
const crypto = (): typeof Crypto => require('node:crypto') as typeof Crypto

function safeEqual (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto().timingSafeEqual(x, y)
}

function hmacHex (secret: string, body: Buffer): string {
  return crypto().createHmac('sha256', secret).update(body).digest('hex')
}

/** Which provider signed the request, or undefined when nothing verifies. */
export function verifyPush (headers: IncomingMessage['headers'], body: Buffer, secret: string): string | undefined {
  const h = (k: string): string | undefined => {
    const v = headers[k]
    return Array.isArray(v) ? v[0] : v
  }
  const gh = h('x-hub-signature-256')
  if (gh !== undefined) return safeEqual(gh, `sha256=${hmacHex(secret, body)}`) ? 'github' : undefined
  const gitea = h('x-gitea-signature') ?? h('x-gogs-signature')
  if (gitea !== undefined) return safeEqual(gitea, hmacHex(secret, body)) ? 'gitea' : undefined
  const gitlab = h('x-gitlab-token')
  if (gitlab !== undefined) return safeEqual(gitlab, secret) ? 'gitlab' : undefined
  const auth = h('authorization')
  if (auth?.startsWith('Bearer ') === true) return safeEqual(auth.slice(7), secret) ? 'token' : undefined
  return undefined
}

/** Whether a pushed ref (refs/heads/x, refs/tags/x) is the one we sync. */
export function refMatches (pushed: string | undefined, ref: string): boolean {
  if (ref === 'HEAD') return true // the remote's default branch is unknown here: any push may move it
  if (isSha(ref)) return false // a SHA never moves
  if (pushed === undefined) return true
  return pushed === ref || pushed === `refs/heads/${ref}` || pushed === `refs/tags/${ref}`
}

export function triggerHandler (opts: TriggerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const reply = (res: ServerResponse, code: number, result: TriggerResult, message: string): void => {
    opts.count(result)
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ result, message }) + '\n')
  }
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY) { reply(res, 413, 'bad_request', 'payload too large'); req.destroy(); return }
      chunks.push(chunk as Buffer)
    }
    const body = Buffer.concat(chunks)
    let secret: string
    try {
      // Re-read each time so a rotated secret takes effect without a restart.
      secret = (await fsp.readFile(opts.secretFile, 'utf8')).replace(/[\r\n]+$/, '')
    } catch (err) {
      opts.logger.error({ err }, 'cannot read --trigger-secret-file')
      reply(res, 500, 'error', 'secret unavailable')
      return
    }
    if (secret === '') { reply(res, 500, 'error', 'secret is empty'); return }
    const provider = verifyPush(req.headers, body, secret)
    if (provider === undefined) {
      opts.logger.warn({ remote: req.socket.remoteAddress }, 'trigger request failed verification')
      reply(res, 401, 'unauthorized', 'signature or token does not verify')
      return
    }
    const event = (req.headers['x-github-event'] ?? req.headers['x-gitea-event'] ?? req.headers['x-gitlab-event']) as string | undefined
    if (event === 'ping') { reply(res, 200, 'ignored', 'pong'); return }
    let pushedRef: string | undefined
    if (body.length > 0) {
      let payload: unknown
      try { payload = JSON.parse(body.toString('utf8')) } catch { reply(res, 400, 'bad_request', 'body is not JSON'); return }
      const r = (payload as { ref?: unknown } | null)?.ref
      if (typeof r === 'string') pushedRef = r
    }
    if (!refMatches(pushedRef, opts.ref)) {
      reply(res, 202, 'ignored', `push to ${pushedRef ?? '?'} does not match --ref ${opts.ref}`)
      return
    }
    opts.requestSync(`${provider} push${pushedRef !== undefined ? ' to ' + pushedRef : ''}`)
    reply(res, 202, 'accepted', 'sync queued')
  }
}
