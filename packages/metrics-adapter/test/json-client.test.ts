// json_exporter's epochTimestamp and http_client_config (basic auth, bearer token, TLS with a
// CA file or insecure_skip_verify) against real local HTTP and HTTPS endpoints.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import https from 'node:https'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { ConfigError } from '@pod-patterns/runtime'
import { parseJsonConfig } from '../src/json-source.js'
import { run, scrape, startTestAdapter, tempDir } from './helpers/adapter.js'

const DOC = JSON.stringify({ top: 5, ts: 1700000000000, items: [{ id: 'a', v: 1, ts: 1700000000123 }, { id: 'b', v: 2, ts: 'not a time' }] })

/** A JSON endpoint that wants `Authorization: <auth>` when auth is given. */
async function endpoint (server: http.Server, auth?: string): Promise<{ url: string, close: () => Promise<void> }> {
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (auth !== undefined && req.headers.authorization !== auth) { res.writeHead(401).end('{}'); return }
    res.writeHead(200, { 'content-type': 'application/json' }).end(DOC)
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const proto = server instanceof https.Server ? 'https' : 'http'
  return { url: `${proto}://127.0.0.1:${(server.address() as AddressInfo).port}/doc`, close: async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }) }) } }
}

const probe = async (port: number, module: string, target: string): Promise<{ status: number, body: string }> =>
  await scrape(port, `/probe?module=${module}&target=${encodeURIComponent(target)}`)

test('epochTimestamp puts json_exporter\'s millisecond timestamps on the samples', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const srv = await endpoint(http.createServer())
  t.after(srv.close)
  const file = join(dir.path, 'json.yml')
  writeFileSync(file, `modules:
  default:
    metrics:
    - { name: top, path: '{.top}', epochTimestamp: '{.ts}' }
    - name: item
      type: object
      path: '{.items[*]}'
      epochTimestamp: '{.ts}'
      labels: { id: '{.id}' }
      values: { v: '{.v}' }
`)
  const a = await startTestAdapter([`--json.config-file=${file}`, '--web.openmetrics'])
  t.after(async () => { await a.stop() })
  const r = await probe(a.ports.web, 'default', srv.url)
  assert.equal(r.status, 200)
  assert.match(r.body, /^top 5 1700000000000$/m)
  assert.match(r.body, /^item_v\{id="a"\} 1 1700000000123$/m)
  assert.match(r.body, /^item_v\{id="b"\} 2$/m, 'a timestamp that is not a number is left off, as json_exporter does')
  const om = await scrape(a.ports.web, `/probe?module=default&target=${encodeURIComponent(srv.url)}`, 'application/openmetrics-text')
  assert.match(om.body, /^item_v\{id="a"\} 1 1700000000\.123$/m, 'OpenMetrics timestamps are seconds')
})

test('http_client_config basic_auth and bearer_token authenticate the fetch; wrong ones fail the probe', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const basicSrv = await endpoint(http.createServer(), 'Basic ' + Buffer.from('u:p w').toString('base64'))
  t.after(basicSrv.close)
  const bearerSrv = await endpoint(http.createServer(), 'Bearer tok123')
  t.after(bearerSrv.close)
  writeFileSync(join(dir.path, 'pass'), 'p w\n')
  writeFileSync(join(dir.path, 'token'), 'tok123\n')
  const file = join(dir.path, 'json.yml')
  const metrics = "    metrics: [{ name: top, path: '{.top}' }]\n"
  writeFileSync(file, `modules:
  basic:
${metrics}    http_client_config: { basic_auth: { username: u, password_file: pass } }
  badbasic:
${metrics}    http_client_config: { basic_auth: { username: u, password: wrong } }
  bearer:
${metrics}    http_client_config: { bearer_token_file: token }
  authz:
${metrics}    http_client_config: { authorization: { type: Bearer, credentials: tok123 } }
  none:
${metrics}`)
  const a = await startTestAdapter([`--json.config-file=${file}`])
  t.after(async () => { await a.stop() })
  const ok = await probe(a.ports.web, 'basic', basicSrv.url)
  assert.equal(ok.status, 200)
  assert.match(ok.body, /^top 5$/m)
  assert.equal((await probe(a.ports.web, 'badbasic', basicSrv.url)).status, 503)
  assert.equal((await probe(a.ports.web, 'none', basicSrv.url)).status, 503)
  assert.equal((await probe(a.ports.web, 'bearer', bearerSrv.url)).status, 200)
  assert.equal((await probe(a.ports.web, 'authz', bearerSrv.url)).status, 200)
  assert.equal((await probe(a.ports.web, 'basic', bearerSrv.url)).status, 503)
})

test('http_client_config tls_config: ca_file trusts a private CA, insecure_skip_verify skips the check, neither fails', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const cert = join(dir.path, 'srv.crt')
  const key = join(dir.path, 'srv.key')
  const r = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=json-test', '-addext', 'subjectAltName=IP:127.0.0.1'])
  assert.equal(r.code, 0, r.stderr)
  const srv = await endpoint(https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }))
  t.after(srv.close)
  const file = join(dir.path, 'json.yml')
  const metrics = "    metrics: [{ name: top, path: '{.top}' }]\n"
  writeFileSync(file, `modules:
  ca:
${metrics}    http_client_config: { tls_config: { ca_file: srv.crt } }
  insecure:
${metrics}    http_client_config: { tls_config: { insecure_skip_verify: true } }
  strict:
${metrics}`)
  const a = await startTestAdapter([`--json.config-file=${file}`])
  t.after(async () => { await a.stop() })
  const ok = await probe(a.ports.web, 'ca', srv.url)
  assert.equal(ok.status, 200)
  assert.match(ok.body, /^top 5$/m)
  assert.equal((await probe(a.ports.web, 'insecure', srv.url)).status, 200)
  const strict = await probe(a.ports.web, 'strict', srv.url)
  assert.equal(strict.status, 503)
  assert.match(strict.body, /self-signed|certificate/)
})

test('a bad http_client_config or epochTimestamp is a config error naming the field', () => {
  const m = "modules:\n  d:\n    metrics: [{ name: x, path: '{.x}' }]\n"
  const bad: Array<[string, RegExp]> = [
    [m + '    http_client_config: { proxy_url: "http://p" }\n', /unsupported field "proxy_url"/],
    [m + '    http_client_config: { bearer_token: a, basic_auth: { username: u } }\n', /at most one of/],
    [m + '    http_client_config: { bearer_token_file: /nonexistent/token }\n', /cannot read \/nonexistent\/token/],
    [m + '    http_client_config: { basic_auth: { password: p } }\n', /username is required/],
    [m + '    http_client_config: { tls_config: { cert_file: /etc/hostname } }\n', /cert_file and key_file go together/],
    [m + '    http_client_config: { tls_config: { insecure_skip_verify: yes please } }\n', /insecure_skip_verify: expected true or false/],
    ["modules:\n  d:\n    metrics: [{ name: x, path: '{.x}', epochTimestamp: 5 }]\n", /epochTimestamp must be a JSONPath/]
  ]
  for (const [yaml, re] of bad) assert.throws(() => parseJsonConfig(yaml), (err: unknown) => err instanceof ConfigError && re.test(err.message), yaml)
})
