// TLS settings for connections to Redis servers and sentinels, read once at start from the
// --tls-* flags: CA, client certificate and key, server name, verification.

import { readFileSync } from 'node:fs'
import net from 'node:net'
import type tls from 'node:tls'
import { ConfigError } from '@pod-patterns/runtime'
import type { AmbassadorConfig } from './config.js'

export type TlsSettings = Pick<AmbassadorConfig, 'tlsCaFile' | 'tlsCertFile' | 'tlsKeyFile' | 'tlsServername' | 'tlsInsecure'>

function readPem (path: string, flag: string): Buffer | undefined {
  if (path === '') return undefined
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ConfigError(`${flag} ${path}: ${(err as Error).message}`, flag, { cause: err })
  }
}

/** The options every upstream and sentinel TLS connection starts from (files read now, once). */
export function loadTlsOptions (s: TlsSettings): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = { rejectUnauthorized: !s.tlsInsecure }
  const ca = readPem(s.tlsCaFile, '--tls-ca-file')
  const cert = readPem(s.tlsCertFile, '--tls-cert-file')
  const key = readPem(s.tlsKeyFile, '--tls-key-file')
  if (ca !== undefined) o.ca = ca
  if (cert !== undefined) o.cert = cert
  if (key !== undefined) o.key = key
  if (s.tlsServername !== '') o.servername = s.tlsServername
  return o
}

/** Options for one connection: the server name defaults to the host when it is a name, not an IP. */
export function tlsOptionsFor (base: tls.ConnectionOptions, host: string): tls.ConnectionOptions {
  if (base.servername !== undefined || net.isIP(host) !== 0) return base
  return { ...base, servername: host }
}
