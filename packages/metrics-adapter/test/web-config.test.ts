// --web.config.file (statsd_exporter's exporter-toolkit web config): HTTPS with a certificate
// made by openssl, client certificates, basic auth with bcrypt hashes, and clear errors for
// bad files.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import https from 'node:https'
import http from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import bcrypt from 'bcryptjs'
import { run, startTestAdapter, tempDir } from './helpers/adapter.js'

const BIN = fileURLToPath(new URL('../src/main.js', import.meta.url))

/** A self-signed certificate for 127.0.0.1, made with the machine's openssl. */
async function makeCert (dir: string, name: string): Promise<{ cert: string, key: string }> {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  const r = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1'])
  assert.equal(r.code, 0, r.stderr)
  return { cert, key }
}

interface Reply { status: number, headers: http.IncomingHttpHeaders, body: string }

async function get (url: string, options: https.RequestOptions = {}): Promise<Reply> {
  const mod = url.startsWith('https:') ? https : http
  return await new Promise((resolve, reject) => {
    const req = mod.get(url, options, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
  })
}

const basic = (user: string, pass: string): Record<string, string> => ({ authorization: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') })

test('with a TLS web config, /metrics is served over HTTPS only', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const { cert } = await makeCert(dir.path, 'server')
  const file = join(dir.path, 'web.yml')
  // Relative paths are relative to the web config file, as in exporter-toolkit.
  writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n')
  const a = await startTestAdapter([`--web.config.file=${file}`])
  t.after(async () => { await a.stop() })
  a.ingest('tls.works:1|c')
  const r = await get(`https://127.0.0.1:${a.ports.web}/metrics`, { ca: readFileSync(cert) })
  assert.equal(r.status, 200)
  assert.match(r.body, /^tls_works 1$/m)
  await assert.rejects(get(`http://127.0.0.1:${a.ports.web}/metrics`), 'plain HTTP is not answered')
  await assert.rejects(get(`https://127.0.0.1:${a.ports.web}/metrics`), /self-signed|certificate/, 'an untrusted certificate is refused by the client')
})

test('basic_auth_users: the right password passes, a wrong one, an unknown user or none gets 401', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const file = join(dir.path, 'web.yml')
  // htpasswd writes $2y$; bcryptjs writes $2b$: both are read.
  const hash = bcrypt.hashSync('s3cret', 4).replace(/^\$2b\$/, '$2y$')
  writeFileSync(file, `basic_auth_users:\n  prom: '${hash}'\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`)
  const a = await startTestAdapter([`--web.config.file=${file}`])
  t.after(async () => { await a.stop() })
  a.ingest('auth.works:1|c')
  const url = `http://127.0.0.1:${a.ports.web}/metrics`
  const ok = await get(url, { headers: basic('prom', 's3cret') })
  assert.equal(ok.status, 200)
  assert.match(ok.body, /^auth_works 1$/m)
  assert.equal(ok.headers['x-frame-options'], 'deny')
  assert.equal((await get(url, { headers: basic('prom', 's3cret') })).status, 200, 'again (cached check)')
  for (const [what, headers] of [['wrong password', basic('prom', 'nope')], ['unknown user', basic('eve', 's3cret')], ['no credentials', {}], ['not basic', { authorization: 'Bearer x' }]] as const) {
    const r = await get(url, { headers })
    assert.equal(r.status, 401, what)
    assert.equal(r.headers['www-authenticate'], 'Basic', what)
    assert.doesNotMatch(r.body, /auth_works/, what)
  }
  assert.equal((await get(`http://127.0.0.1:${a.ports.web}/healthz`)).status, 401, 'every path is behind auth, as in statsd_exporter')
  // Users are re-read on reload.
  writeFileSync(file, `basic_auth_users:\n  other: '${bcrypt.hashSync('pw2', 4)}'\n`)
  await a.reload()
  assert.equal((await get(url, { headers: basic('prom', 's3cret') })).status, 401, 'the old user is gone after a reload')
  assert.equal((await get(url, { headers: basic('other', 'pw2') })).status, 200)
})

test('RequireAndVerifyClientCert refuses a client without a certificate signed by client_ca_file', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const server = await makeCert(dir.path, 'server')
  const client = await makeCert(dir.path, 'client')
  const other = await makeCert(dir.path, 'other')
  const file = join(dir.path, 'web.yml')
  writeFileSync(file, `tls_server_config:\n  cert_file: ${server.cert}\n  key_file: ${server.key}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${client.cert}\n  min_version: TLS12\n`)
  const a = await startTestAdapter([`--web.config.file=${file}`])
  t.after(async () => { await a.stop() })
  const url = `https://127.0.0.1:${a.ports.web}/metrics`
  const ca = readFileSync(server.cert)
  const ok = await get(url, { ca, cert: readFileSync(client.cert), key: readFileSync(client.key) })
  assert.equal(ok.status, 200)
  await assert.rejects(get(url, { ca }), 'no client certificate')
  await assert.rejects(get(url, { ca, cert: readFileSync(other.cert), key: readFileSync(other.key) }), 'a certificate from another CA')
})

test('a bad web config file stops the start with a clear error naming the problem', async (t) => {
  const dir = tempDir()
  t.after(() => { dir.cleanup() })
  const { cert, key } = await makeCert(dir.path, 'server')
  const cases: Array<[string, RegExp]> = [
    ['tls_server_config:\n  cert_file: ' + cert + '\n', /missing key_file/],
    ['tls_server_config:\n  cert_file: /nonexistent/x.crt\n  key_file: ' + key + '\n', /cannot read \/nonexistent\/x\.crt/],
    ['tls_server_config:\n  cert_file: ' + cert + '\n  key_file: ' + key + '\n  client_auth_type: Sometimes\n', /client_auth_type: "Sometimes" is not one of/],
    ['tls_server_config:\n  cert_file: ' + cert + '\n  key_file: ' + key + '\n  client_auth_type: RequireAndVerifyClientCert\n', /needs client_ca_file/],
    ['tls_server_config:\n  cert_file: ' + cert + '\n  key_file: ' + key + '\n  min_version: TLS9\n', /min_version: "TLS9"/],
    ['basic_auth_users:\n  prom: plaintext\n', /basic_auth_users\.prom: not a bcrypt hash/],
    ['basic_auth_user:\n  prom: x\n', /unknown or unsupported field "basic_auth_user"/],
    ['http_server_config:\n  headers:\n    Authorization: x\n', /unknown or unsupported field "Authorization"/],
    ['tls_server_config: [1, 2\n', /invalid YAML/]
  ]
  for (const [text, want] of cases) {
    const file = join(dir.path, 'bad.yml')
    writeFileSync(file, text)
    await assert.rejects(startTestAdapter([`--web.config.file=${file}`]), want, text)
  }
  const r = await run(process.execPath, [BIN, `--web.config.file=${join(dir.path, 'missing.yml')}`, '--statsd.listen-udp=', '--statsd.listen-tcp=', '--web.listen-address=127.0.0.1:0'])
  assert.equal(r.code, 1)
  assert.match(r.stdout + r.stderr, /web config .*missing\.yml: cannot read/)
  const check = await run(process.execPath, [BIN, `--web.config.file=${join(dir.path, 'bad.yml')}`, '--check-config'])
  assert.equal(check.code, 1, '--check-config checks the web config too')
})
