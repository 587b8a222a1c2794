// Builds the images for the end-to-end tests (once per run, through scripts/build-images.sh) and
// tells whether the service inside an image is the real one or still the skeleton, so a test
// of behaviour the image cannot have yet is skipped with the reason instead of failing.

import { createWriteStream, mkdirSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { repoRoot, run } from './pods.js'

export const prefix = 'localhost/pod-patterns'
export const tag = 'dev'

/** Runs the build script, its full output in .cache/e2e/build.log and its progress on stderr. */
export async function buildImages (images: readonly string[] = []): Promise<void> {
  const dir = join(repoRoot, '.cache', 'e2e')
  mkdirSync(dir, { recursive: true })
  const logFile = join(dir, 'build.log')
  const log = createWriteStream(logFile)
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('bash', ['scripts/build-images.sh', ...images], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    const onData = (d: Buffer): void => {
      log.write(d)
      for (const line of d.toString().split('\n')) {
        // Progress: the script's own headings and the size report.
        if (line.includes('==>') || line.startsWith(prefix)) process.stderr.write(`  build: ${line.replace(new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m', 'g'), '')}\n`)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('close', (c) => { resolve(c ?? 1) })
  })
  await new Promise((resolve) => log.end(resolve))
  if (code !== 0) {
    const tail = await run('tail', ['-n', '40', logFile])
    throw new Error(`scripts/build-images.sh exited ${code}; last lines of ${logFile}:\n${tail.stdout}`)
  }
}

const helpCache = new Map<string, string>()

export async function imageHelp (image: string): Promise<string> {
  const cached = helpCache.get(image)
  if (cached !== undefined) return cached
  const r = await run('podman', ['run', '--rm', image, '--help'], { timeoutMs: 60_000 })
  const text = r.stdout + r.stderr
  helpCache.set(image, text)
  return text
}

/** Flags only the real services have (the skeletons lack them). */
const markers: Record<string, string[]> = {
  'git-sync': ['--webhook-url', '--exechook-command'],
  'redis-ambassador': ['--sentinels', '--master-name'],
  'metrics-adapter': ['--statsd.mapping-config', '--json.config-file'],
  'metrics-adapter-jmx': ['--statsd.mapping-config', '--jmx.config-file']
}

interface ContainerDoc { image?: string, args?: string[] }
interface PodDoc { kind?: string, spec?: { containers?: ContainerDoc[] } }

/**
 * The reasons, if any, why a rendered example cannot show its behaviour with the images built:
 * a flag its manifests pass, or a marker flag of the real service, missing from `--help`.
 */
export async function missingCapabilities (yamlText: string): Promise<string[]> {
  const reasons: string[] = []
  const seen = new Set<string>()
  for (const doc of parseAllDocuments(yamlText).map((d) => d.toJS() as PodDoc | null)) {
    if (doc?.kind !== 'Pod') continue
    for (const c of doc.spec?.containers ?? []) {
      const image = c.image ?? ''
      if (!image.startsWith(`${prefix}/`)) continue
      const service = image.slice(prefix.length + 1).split(':')[0] ?? ''
      if (!(service in markers)) continue
      const flags = (c.args ?? []).filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] ?? a)
      const help = await imageHelp(image)
      for (const f of [...flags, ...(markers[service] ?? [])]) {
        const key = `${service} ${f}`
        if (seen.has(key)) continue
        seen.add(key)
        if (!help.includes(f)) reasons.push(`${service} image has no ${f}`)
      }
    }
  }
  return reasons
}
