// --web.config.file: the Prometheus exporter-toolkit web config statsd_exporter reads (TLS
// certificate and client-certificate policy, basic_auth_users with bcrypt hashes, extra
// response headers), turned into HTTPS options and a request guard for the web server.

import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import type http from 'node:http'
import type https from 'node:https'
import type { TLSSocket } from 'node:tls'
import bcrypt from 'bcryptjs'
import { parse as parseYaml } from 'yaml'
import { ConfigError } from '@pod-patterns/runtime'

export interface WebConfig {
  tls: https.ServerOptions | undefined
  /** Client-certificate policy the TLS layer cannot enforce alone (checked per request). */
  clientAuth: ClientAuthType
  users: ReadonlyMap<string, string>
  headers: Readonly<Record<string, string>>
}

const CLIENT_AUTH = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const
type ClientAuthType = typeof CLIENT_AUTH[number]

const TLS_VERSIONS: Record<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' }

// exporter-toolkit only lets these be set (others could break the protocol or auth).
const ALLOWED_HEADERS = ['Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'X-XSS-Protection', 'Content-Security-Policy']

function fail (file: string, msg: string): never {
  throw new ConfigError(`web config ${file}: ${msg}`, '--web.config.file')
}

function section (v: unknown, file: string, where: string, keys: readonly string[]): Record<string, unknown> {
  if (v === null || v === undefined) return {}
  if (typeof v !== 'object' || Array.isArray(v)) fail(file, `${where}: expected a mapping`)
  for (const k of Object.keys(v)) {
    // Strict, as exporter-toolkit: a misspelt key must not silently turn security off.
    if (!keys.includes(k)) fail(file, `${where}: unknown or unsupported field ${JSON.stringify(k)} (supported: ${keys.join(', ')})`)
  }
  return v as Record<string, unknown>
}

function str (v: unknown, file: string, where: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') fail(file, `${where}: expected a string`)
  return v
}

async function readPem (path: string, base: string, file: string, where: string): Promise<Buffer> {
  const p = isAbsolute(path) ? path : resolve(base, path)
  try { return await readFile(p) } catch (err) {
    return fail(file, `${where}: cannot read ${p}: ${(err as Error).message}`)
  }
}

/** Parses a web config; relative file paths are relative to the config file, as there. */
export async function loadWebConfig (file: string): Promise<WebConfig> {
  let text: string
  try { text = await readFile(file, 'utf8') } catch (err) {
    return fail(file, `cannot read: ${(err as Error).message}`)
  }
  let doc: unknown
  try { doc = parseYaml(text) } catch (err) {
    return fail(file, `invalid YAML: ${(err as Error).message}`)
  }
  const top = section(doc, file, 'top level', ['tls_server_config', 'http_server_config', 'basic_auth_users'])
  const base = dirname(resolve(file))

  let tls: https.ServerOptions | undefined
  let clientAuth: ClientAuthType = 'NoClientCert'
  if (top.tls_server_config !== undefined && top.tls_server_config !== null) {
    const t = section(top.tls_server_config, file, 'tls_server_config', ['cert_file', 'key_file', 'cert', 'key', 'client_auth_type', 'client_ca_file', 'client_ca', 'min_version', 'max_version', 'prefer_server_cipher_suites'])
    const certFile = str(t.cert_file, file, 'tls_server_config.cert_file')
    const keyFile = str(t.key_file, file, 'tls_server_config.key_file')
    const certInline = str(t.cert, file, 'tls_server_config.cert')
    const keyInline = str(t.key, file, 'tls_server_config.key')
    if (certFile === undefined && certInline === undefined) fail(file, 'tls_server_config: missing cert_file (or cert)')
    if (keyFile === undefined && keyInline === undefined) fail(file, 'tls_server_config: missing key_file (or key)')
    const cert = certInline !== undefined ? Buffer.from(certInline) : await readPem(certFile as string, base, file, 'tls_server_config.cert_file')
    const key = keyInline !== undefined ? Buffer.from(keyInline) : await readPem(keyFile as string, base, file, 'tls_server_config.key_file')
    const auth = str(t.client_auth_type, file, 'tls_server_config.client_auth_type') ?? 'NoClientCert'
    if (!(CLIENT_AUTH as readonly string[]).includes(auth)) fail(file, `tls_server_config.client_auth_type: ${JSON.stringify(auth)} is not one of ${CLIENT_AUTH.join(', ')}`)
    clientAuth = auth as ClientAuthType
    const caFile = str(t.client_ca_file, file, 'tls_server_config.client_ca_file')
    const caInline = str(t.client_ca, file, 'tls_server_config.client_ca')
    const ca = caInline !== undefined ? Buffer.from(caInline) : caFile !== undefined ? await readPem(caFile, base, file, 'tls_server_config.client_ca_file') : undefined
    if ((clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert') && ca === undefined) {
      fail(file, `tls_server_config: client_auth_type ${clientAuth} needs client_ca_file`)
    }
    const version = (k: 'min_version' | 'max_version'): 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | undefined => {
      const v = str(t[k], file, `tls_server_config.${k}`)
      if (v === undefined) return undefined
      const out = TLS_VERSIONS[v]
      if (out === undefined) fail(file, `tls_server_config.${k}: ${JSON.stringify(v)} is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`)
      return out
    }
    tls = {
      cert,
      key,
      ...(ca === undefined ? {} : { ca }),
      // exporter-toolkit's default minimum is TLS 1.2.
      minVersion: version('min_version') ?? 'TLSv1.2',
      ...(version('max_version') === undefined ? {} : { maxVersion: version('max_version') }),
      honorCipherOrder: t.prefer_server_cipher_suites !== false,
      requestCert: clientAuth !== 'NoClientCert',
      rejectUnauthorized: clientAuth === 'RequireAndVerifyClientCert'
    }
  }

  const http = section(top.http_server_config, file, 'http_server_config', ['http2', 'headers'])
  if (http.http2 !== undefined && typeof http.http2 !== 'boolean') fail(file, 'http_server_config.http2: expected true or false')
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(section(http.headers, file, 'http_server_config.headers', ALLOWED_HEADERS))) {
    if (typeof v !== 'string') fail(file, `http_server_config.headers.${k}: expected a string`)
    headers[k] = v
  }

  const users = new Map<string, string>()
  const rawUsers = top.basic_auth_users
  if (rawUsers !== undefined && rawUsers !== null) {
    if (typeof rawUsers !== 'object' || Array.isArray(rawUsers)) fail(file, 'basic_auth_users: expected a mapping of user: bcrypt hash')
    for (const [u, h] of Object.entries(rawUsers)) {
      if (typeof h !== 'string' || !/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(h)) fail(file, `basic_auth_users.${u}: not a bcrypt hash (like $2y$10$…; make one with htpasswd -nBC 10 "" | tr -d ':\\n')`)
      users.set(u, h)
    }
  }
  return { tls, clientAuth, users, headers }
}

// Unknown users are checked against this too, so a wrong user name costs as much as a wrong password.
const DUMMY_HASH = bcrypt.hashSync('metrics-adapter-dummy', 10)

/**
 * A request guard for the web config: client-certificate policy that TLS alone leaves open,
 * then basic auth (bcrypt; a successful check is cached per user and password digest, so a
 * scrape does not pay for bcrypt every time), then the configured headers.
 */
export function webGuard (current: () => WebConfig): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean> {
  const ok = new Map<string, string>()
  return async (req, res) => {
    const config = current()
    if (config.clientAuth === 'RequireAnyClientCert' || config.clientAuth === 'VerifyClientCertIfGiven') {
      const sock = req.socket as TLSSocket
      const peer = typeof sock.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined
      const present = peer !== undefined && Object.keys(peer).length > 0
      if ((config.clientAuth === 'RequireAnyClientCert' && !present) || (config.clientAuth === 'VerifyClientCertIfGiven' && present && !sock.authorized)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('client certificate required\n')
        return false
      }
    }
    for (const [k, v] of Object.entries(config.headers)) res.setHeader(k, v)
    if (config.users.size === 0) return true
    const auth = req.headers.authorization ?? ''
    let user = ''
    let pass = ''
    if (auth.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon !== -1) { user = decoded.slice(0, colon); pass = decoded.slice(colon + 1) }
    }
    const hash = config.users.get(user)
    const digest = createHash('sha256').update(user).update('\0').update(pass).digest('hex')
    const cached = ok.get(user)
    let good = false
    if (hash !== undefined && cached !== undefined && cached.length === digest.length + hash.length &&
      timingSafeEqual(Buffer.from(cached), Buffer.from(digest + hash))) {
      good = true
    } else {
      good = await bcrypt.compare(pass, hash ?? DUMMY_HASH) && hash !== undefined
      if (good) {
        if (ok.size > 1000) ok.clear()
        ok.set(user, digest + (hash as string))
      }
    }
    if (!good) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic' }).end('Unauthorized\n')
      return false
    }
    return true
  }
}
