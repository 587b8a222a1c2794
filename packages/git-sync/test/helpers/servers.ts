// Small HTTP servers tests start: an askpass-URL service, a webhook receiver and a fake
// GitHub API that mints installation tokens for a correctly signed App JWT.

import { createVerify, generateKeyPairSync } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { onCleanup } from './fixture.js'

export interface Hit { method: string, url: string, headers: http.IncomingHttpHeaders, body: string }

/** A server answering with `respond`, recording each request. */
export async function recordingServer (respond: (hit: Hit, n: number) => { status: number, body?: string, delayMs?: number }): Promise<{ url: string, hits: Hit[], close: () => Promise<void> }> {
  const hits: Hit[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => {
      const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      hits.push(hit)
      const r = respond(hit, hits.length)
      const send = (): void => { res.writeHead(r.status, { 'content-type': 'text/plain' }); res.end(r.body ?? '') }
      if (r.delayMs !== undefined) setTimeout(send, r.delayMs); else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = async (): Promise<void> => { server.closeAllConnections(); await new Promise<void>((resolve) => server.close(() => resolve())) }
  onCleanup(close)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close }
}

export interface FakeGitHub {
  url: string
  privateKeyPem: string
  tokensIssued: string[]
  close: () => Promise<void>
}

/** A fake GitHub API: POST /app/installations/<id>/access_tokens with a valid RS256 JWT from `issuer`. */
export async function fakeGitHub (installationId: number, issuer: string, tokenTtlMs = 3600_000): Promise<FakeGitHub> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
  const tokensIssued: string[] = []
  const srv = await recordingServer((hit) => {
    if (hit.method !== 'POST' || hit.url !== `/app/installations/${installationId}/access_tokens`) return { status: 404 }
    const m = /^Bearer (.+)$/.exec(String(hit.headers.authorization ?? ''))
    if (m === null) return { status: 401 }
    const [h, p, sig] = (m[1] as string).split('.')
    if (h === undefined || p === undefined || sig === undefined) return { status: 401 }
    const v = createVerify('RSA-SHA256')
    v.update(`${h}.${p}`)
    if (!v.verify(publicKey, Buffer.from(sig, 'base64url'))) return { status: 401 }
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss: unknown, exp: number, iat: number }
    if (String(claims.iss) !== issuer || claims.exp * 1000 < Date.now()) return { status: 401 }
    const token = `ghs_test${tokensIssued.length}${Math.random().toString(36).slice(2)}`
    tokensIssued.push(token)
    return { status: 201, body: JSON.stringify({ token, expires_at: new Date(Date.now() + tokenTtlMs).toISOString() }) }
  })
  return { url: srv.url, privateKeyPem, tokensIssued, close: srv.close }
}
