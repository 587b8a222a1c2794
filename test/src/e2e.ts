// Shared by the end-to-end test files: when to run, playing an example for a describe block,
// skipping behaviour the images' services don't have yet, and reading pods' state.

import { after, before, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { prefix, tag, missingCapabilities } from './images.js'
import { containerName, down, logs, play, podman, render, sleep, type Played } from './pods.js'

export const allImages = ['git-sync', 'redis-ambassador', 'metrics-adapter', 'metrics-adapter-jmx', 'examples']

/**
 * Why the e2e tests don't run here, if they don't: no Podman, POD_PATTERNS_E2E=0, or the
 * images not built. (scripts/run-tests.mjs runs them once, under its first Node.)
 */
export function skipReason (): string | undefined {
  if (process.env.POD_PATTERNS_E2E === '0') return 'POD_PATTERNS_E2E=0'
  try { execFileSync('podman', ['--version'], { stdio: 'ignore' }) } catch { return 'podman is not installed' }
  // A cold build takes longer than a test file may run: scripts/setup.sh builds the images.
  const missing = allImages.filter((i) => {
    try { execFileSync('podman', ['image', 'exists', `${prefix}/${i}:${tag}`], { stdio: 'ignore' }); return false } catch { return true }
  })
  if (missing.length > 0) return `images not built (${missing.join(', ')}): run bash scripts/build-images.sh (scripts/setup.sh does)`
  return undefined
}

export const suffix = `e2e${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`

/** Plays an example for a describe block; `ctx.reasons` says why behaviour can't be shown. */
export function useExample (example: string): { played?: Played, reasons: string[] } {
  const ctx: { played?: Played, reasons: string[] } = { reasons: [] }
  before(async () => {
    ctx.reasons = await missingCapabilities(await render(example, 'podman'))
    ctx.played = await play(example, { suffix, network: `pp-${suffix}-${example}` })
  }, { timeout: 280_000 })
  after(async () => {
    if (ctx.played !== undefined) await down(ctx.played)
  }, { timeout: 180_000 })
  return ctx
}

export function needsRealServices (t: TestContext, ctx: { reasons: string[] }): boolean {
  if (ctx.reasons.length === 0) return true
  t.skip(`service not there yet: ${ctx.reasons.join('; ')}`)
  return false
}

export async function withLogs<T> (played: Played | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (played !== undefined && err instanceof Error) err.message += `\n${await logs(played)}`
    throw err
  }
}

export async function exec (played: Played, pod: string, container: string, cmd: string[]): Promise<string> {
  return await podman(['exec', containerName(played, pod, container), ...cmd])
}

/** The state of every container of an example's pods, for "all running" checks. */
export async function containerStates (played: Played): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [pod, info] of Object.entries(played.pods)) {
    for (const c of info.containers) {
      out[`${pod}/${c}`] = (await podman(['inspect', '--format', '{{.State.Status}}', containerName(played, pod, c)])).trim()
    }
  }
  return out
}

export async function assertAllRunning (played: Played): Promise<void> {
  await sleep(3000)
  const states = await containerStates(played)
  const bad = Object.entries(states).filter(([, s]) => s !== 'running')
  assert.deepEqual(bad, [], `containers not running: ${JSON.stringify(bad)}`)
}
