// Posts one GitHub-style push event (X-GitHub-Event: push, X-Hub-Signature-256) to WEBHOOK_URL.
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'

const [ref, before, after] = process.argv.slice(2)
const body = JSON.stringify({ ref, before, after, repository: { name: process.env.REPO ?? 'site' } })
const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `${Date.now()}` }
const secretFile = process.env.WEBHOOK_SECRET_FILE
if (secretFile) {
  const secret = readFileSync(secretFile, 'utf8').trim()
  headers['x-hub-signature-256'] = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
}
try {
  const res = await fetch(process.env.WEBHOOK_URL, { method: 'POST', headers, body, signal: AbortSignal.timeout(3000) })
  console.error(`webhook ${process.env.WEBHOOK_URL}: ${res.status}`)
} catch (err) {
  console.error(`webhook ${process.env.WEBHOOK_URL} failed: ${err.message}`)
}
