// Test helpers: start the adapter in-process on free ports, scrape it, parse the exposition.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { Writable } from 'node:stream'
import { createLogger, parseConfig } from '@pod-patterns/runtime'
import { startAdapter, table, type Adapter, type AdapterConfig, type MetricSource } from '../../src/index.js'

export const quietLogger = (): ReturnType<typeof createLogger> =>
  createLogger({ name: 'test', level: 'error', destination: new Writable({ write (_c, _e, cb) { cb() } }) })

/** Starts an adapter on loopback ephemeral ports with the given extra flags. */
export async function startTestAdapter (args: string[] = [], sources: MetricSource[] = []): Promise<Adapter> {
  const argv = ['--statsd.listen-udp=127.0.0.1:0', '--statsd.listen-tcp=127.0.0.1:0', '--web.listen-address=127.0.0.1:0', ...args]
  const { config } = parseConfig<AdapterConfig>(table, argv, {})
  return await startAdapter(config, { logger: quietLogger(), sources })
}

export function tempDir (prefix = 'ma-test-'): { path: string, cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => { rmSync(path, { recursive: true, force: true }) } }
}

export async function scrape (port: number, path = '/metrics', accept?: string): Promise<{ status: number, type: string, body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, accept === undefined ? {} : { headers: { accept } })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

/** `name{labels}` → value for every sample line (labels already sorted by the writer). */
export function samples (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const sp = line.lastIndexOf(' ')
    const v = line.slice(sp + 1)
    out.set(line.slice(0, sp), v === 'NaN' ? NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v))
  }
  return out
}

/** Samples excluding the adapter's own and process metrics. */
export function userSamples (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const [k, v] of samples(text)) {
    if (/^(statsd_exporter_|metrics_adapter_|process_|nodejs_)/.test(k)) continue
    out.set(k, v)
  }
  return out
}

export async function waitFor (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Runs a command, resolving with its exit code and output. */
export async function run (cmd: string, args: string[], input?: string): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    p.on('error', reject)
    p.on('close', (code) => { resolve({ code: code ?? -1, stdout, stderr }) })
    p.stdin.end(input ?? '')
  })
}

/**
 * `promtool check metrics` on an exposition. `parsed`: no format error (exit 0, or 3 for lint
 * findings only). `lint`: findings other than the naming-convention ones statsd_exporter's own
 * names trigger by design (counters without `_total`, gauges named `*_total`).
 */
export async function promtoolCheck (text: string): Promise<{ parsed: boolean, lint: string[], output: string }> {
  const r = await run('promtool', ['check', 'metrics'], text)
  const output = (r.stdout + r.stderr).trim()
  const parsed = (r.code === 0 || r.code === 3) && !output.includes('error while linting')
  const lint = output.split('\n').filter((l) => l !== '' && !/should (not )?have "_(total|count)" suffix/.test(l))
  return { parsed, lint, output }
}
