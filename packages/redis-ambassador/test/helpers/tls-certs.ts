// Test certificates made with openssl in a temp dir: a CA, a server certificate it signs (for
// the names localhost and redis.test, deliberately not for the IP 127.0.0.1), used as client
// certificate too, and an unrelated CA that trusts none of them.

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestCerts {
  ca: string
  cert: string
  key: string
  otherCa: string
  /** File contents, for ioredis `tls` options in the tests' own clients. */
  pem: { ca: Buffer, cert: Buffer, key: Buffer }
}

function openssl (dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

export function makeCerts (dir: string): TestCerts {
  const f = (n: string): string => join(dir, n)
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=ra-test-ca'])
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('other-ca.key'), '-out', f('other-ca.crt'), '-days', '2', '-subj', '/CN=ra-test-other-ca'])
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=redis.test'])
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,DNS:redis.test\n')
  openssl(dir, ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('server.ext')])
  return {
    ca: f('ca.crt'),
    cert: f('server.crt'),
    key: f('server.key'),
    otherCa: f('other-ca.crt'),
    pem: { ca: readFileSync(f('ca.crt')), cert: readFileSync(f('server.crt')), key: readFileSync(f('server.key')) }
  }
}

/** redis-server / redis-sentinel arguments for TLS only (no plain port), client certificates required. */
export function tlsServerArgs (c: TestCerts, port: number): string[] {
  return ['--port', '0', '--tls-port', String(port), '--tls-cert-file', c.cert, '--tls-key-file', c.key, '--tls-ca-cert-file', c.ca, '--tls-auth-clients', 'yes', '--tls-replication', 'yes']
}
