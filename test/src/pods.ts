// Plays the example pods with Podman: renders an overlay with kustomize, gives every pod,
// ConfigMap and volume claim a unique name (so runs beside each other never collide), publishes
// each container port on a free loopback port, and tears it all down again.

import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments, stringify } from 'yaml'

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
export const examples = ['1-sidecar', '2-ambassador', '3-adapter', '4-together'] as const
export type ExampleName = (typeof examples)[number]

export interface RunResult { code: number, stdout: string, stderr: string }

/** Runs a command to its end; never throws for a non-zero exit (the caller decides). */
export async function run (cmd: string, args: readonly string[], opts: { input?: string, timeoutMs?: number, cwd?: string } = {}): Promise<RunResult> {
  return await new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => { child.kill('SIGKILL') }, opts.timeoutMs)
    child.on('error', (err) => { if (timer) clearTimeout(timer); reject(err) })
    child.on('close', (code) => { if (timer) clearTimeout(timer); resolvePromise({ code: code ?? 1, stdout, stderr }) })
    // A command that never reads its input may exit first: that EPIPE is not its failure.
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** Runs a command and throws with its stderr when it fails. */
export async function mustRun (cmd: string, args: readonly string[], opts: { input?: string, timeoutMs?: number } = {}): Promise<string> {
  const r = await run(cmd, args, opts)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`)
  return r.stdout
}

export async function podman (args: readonly string[], opts: { input?: string, timeoutMs?: number } = {}): Promise<string> {
  return await mustRun('podman', args, opts)
}

/** `kubectl kustomize` of an example's overlay (kind or podman). */
export async function render (example: string, overlay: 'kind' | 'podman'): Promise<string> {
  return await mustRun('kubectl', ['kustomize', resolve(repoRoot, 'examples', example, 'overlays', overlay)])
}

export async function freePort (): Promise<number> {
  return await new Promise((resolvePromise, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => { resolvePromise(port) })
    })
  })
}

export interface PodPorts {
  /** The pod's name in Podman (the manifest's name plus the suffix). */
  name: string
  /** containerPort → published loopback port */
  ports: Record<number, number>
  containers: string[]
  /** Podman volumes made for this pod (its emptyDirs, renamed to be its own). */
  volumes: string[]
}

export interface Prepared {
  yaml: string
  suffix: string
  /** keyed by the manifest's pod name */
  pods: Record<string, PodPorts>
}

interface K8sDoc {
  kind?: string
  metadata?: { name?: string }
  spec?: {
    containers?: Array<{ name: string, ports?: Array<{ containerPort: number, hostPort?: number, hostIP?: string }>, volumeMounts?: Array<{ name: string }> }>
    volumes?: Array<{ name: string, emptyDir?: unknown, configMap?: { name?: string } }>
  }
  data?: Record<string, string>
}

const renamedKinds = new Set(['Pod', 'ConfigMap', 'PersistentVolumeClaim', 'Deployment'])

function escapeRe (s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') }

/**
 * Gives the pods, ConfigMaps and claims unique names and rewrites every reference to them
 * (hostnames in args and config files included: on a Podman network a pod's name is its
 * hostname). With `publish`, each container port is published on a free loopback port.
 */
export async function prepare (yamlText: string, opts: { suffix: string, publish: boolean }): Promise<Prepared> {
  const docs = parseAllDocuments(yamlText).map((d) => d.toJS() as K8sDoc | null).filter((d): d is K8sDoc => d !== null)
  const names = docs.filter((d) => d.kind !== undefined && renamedKinds.has(d.kind)).map((d) => d.metadata?.name).filter((n): n is string => n !== undefined)
  // Longest first, so a name that contains another is replaced whole.
  names.sort((a, b) => b.length - a.length)
  let text = yamlText
  if (opts.suffix !== '' && names.length > 0) {
    const re = new RegExp(`(?<![A-Za-z0-9_-])(${names.map(escapeRe).join('|')})(?![A-Za-z0-9_/-])`, 'g')
    text = text.replace(re, (m) => `${m}-${opts.suffix}`)
  }
  const out = ownConfigMaps(parseAllDocuments(text).map((d) => d.toJS() as K8sDoc | null).filter((d): d is K8sDoc => d !== null))
  const pods: Record<string, PodPorts> = {}
  for (const doc of out) {
    if (doc.kind !== 'Pod' || doc.metadata?.name === undefined) continue
    const name = doc.metadata.name
    const original = opts.suffix === '' ? name : name.slice(0, -(opts.suffix.length + 1))
    const info: PodPorts = { name, ports: {}, containers: [], volumes: [] }
    // Podman 4.3 makes each emptyDir a named volume called as the volume is: two pods (or two
    // runs) with a volume `tmp` would share it. Each pod gets its own names.
    const renamed = new Map<string, string>()
    for (const v of doc.spec?.volumes ?? []) {
      if (v.emptyDir === undefined) continue
      const unique = `${name}-${v.name}`
      renamed.set(v.name, unique)
      v.name = unique
      info.volumes.push(unique)
    }
    for (const c of doc.spec?.containers ?? []) {
      info.containers.push(c.name)
      for (const m of c.volumeMounts ?? []) m.name = renamed.get(m.name) ?? m.name
      for (const p of c.ports ?? []) {
        if (!opts.publish) continue
        const host = await freePort()
        p.hostPort = host
        p.hostIP = '127.0.0.1'
        info.ports[p.containerPort] = host
      }
    }
    pods[original] = info
  }
  return { yaml: out.map((d) => stringify(d)).join('---\n'), suffix: opts.suffix, pods }
}

/**
 * Gives each pod its own copy of every ConfigMap it mounts that other pods mount too. Podman 4.3
 * makes a mounted ConfigMap one named volume and writes its files again, in place, for each pod
 * it plays: a container of a pod already running could read a script just then truncated (an
 * example-2 Sentinel read its start script's helper empty and waited for a primary named "").
 * Kubernetes gives every pod its own projection, so this is what the manifests mean.
 */
function ownConfigMaps (docs: K8sDoc[]): K8sDoc[] {
  const mounts = new Map<string, number>()
  for (const d of docs) {
    if (d.kind !== 'Pod') continue
    for (const v of d.spec?.volumes ?? []) if (v.configMap?.name !== undefined) mounts.set(v.configMap.name, (mounts.get(v.configMap.name) ?? 0) + 1)
  }
  const configMaps = new Map(docs.flatMap((c) => c.kind === 'ConfigMap' && c.metadata?.name !== undefined ? [[c.metadata.name, c] as const] : []))
  const copies = new Map<string, K8sDoc[]>()
  for (const d of docs) {
    if (d.kind !== 'Pod' || d.metadata?.name === undefined) continue
    for (const v of d.spec?.volumes ?? []) {
      const shared = v.configMap?.name
      if (shared === undefined || (mounts.get(shared) ?? 0) < 2) continue
      const source = configMaps.get(shared)
      if (source === undefined) continue
      const own = `${shared}-${d.metadata.name}`
      const list = copies.get(shared) ?? []
      list.push({ ...structuredClone(source), metadata: { ...source.metadata, name: own } })
      copies.set(shared, list)
      v.configMap = { ...v.configMap, name: own }
    }
  }
  return docs.flatMap((d) => d.kind === 'ConfigMap' && d.metadata?.name !== undefined ? [d, ...(copies.get(d.metadata.name) ?? [])] : [d])
}

export interface Played extends Prepared {
  example: string
  network: string
}

/** Renders, prepares and plays an example on its own Podman network (`yaml`: these manifests instead). */
export async function play (example: string, opts: { suffix: string, network: string, publish?: boolean, yaml?: string }): Promise<Played> {
  const prepared = await prepare(opts.yaml ?? await render(example, 'podman'), { suffix: opts.suffix, publish: opts.publish ?? true })
  const nets = await podman(['network', 'ls', '--format', '{{.Name}}'])
  if (!nets.split('\n').includes(opts.network)) await podman(['network', 'create', opts.network])
  const played = { ...prepared, example, network: opts.network }
  try {
    await podman(['kube', 'play', '--network', opts.network, '-'], { input: prepared.yaml, timeoutMs: 120_000 })
  } catch (err) {
    // Leave nothing behind when a pod fails to start.
    await down(played)
    throw err
  }
  return played
}

/** Removes what `play` made; safe to call twice and after a failed play. */
export async function down (played: Pick<Played, 'yaml' | 'network' | 'pods'>, opts: { removeNetwork?: boolean } = {}): Promise<void> {
  await run('podman', ['kube', 'down', '-'], { input: played.yaml, timeoutMs: 120_000 })
  for (const pod of Object.values(played.pods)) {
    await run('podman', ['pod', 'rm', '-f', '-t', '2', pod.name])
    for (const v of pod.volumes) await run('podman', ['volume', 'rm', '-f', v])
  }
  // ConfigMap volumes Podman made for the pods are named after the ConfigMaps.
  for (const d of parseAllDocuments(played.yaml).map((x) => x.toJS() as K8sDoc | null)) {
    if (d?.kind === 'ConfigMap' && d.metadata?.name !== undefined) await run('podman', ['volume', 'rm', '-f', d.metadata.name])
  }
  if (opts.removeNetwork ?? true) await run('podman', ['network', 'rm', '-f', played.network])
}

/** The Podman name of a container: `<pod>-<container>`. */
export function containerName (played: Prepared, pod: string, container: string): string {
  const p = played.pods[pod]
  if (p === undefined) throw new Error(`no pod ${pod} in the example (have: ${Object.keys(played.pods).join(', ')})`)
  return `${p.name}-${container}`
}

export function hostPort (played: Prepared, pod: string, containerPort: number): number {
  const port = played.pods[pod]?.ports[containerPort]
  if (port === undefined) throw new Error(`pod ${pod} publishes no port ${containerPort}`)
  return port
}

export async function sleep (ms: number): Promise<void> { await new Promise((r) => setTimeout(r, ms)) }

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) { last = err }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`)
    await sleep(intervalMs)
  }
}

export async function httpGet (url: string, init: RequestInit = {}, timeoutMs = 5000): Promise<{ status: number, body: string, headers: Headers }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  return { status: res.status, body: await res.text(), headers: res.headers }
}

/** Logs of every container of a played example, for a failing test's message. */
export async function logs (played: Prepared, tail = 40): Promise<string> {
  const out: string[] = []
  for (const [pod, info] of Object.entries(played.pods)) {
    for (const c of info.containers) {
      const name = containerName(played, pod, c)
      // The container's state too: an empty log may mean it never started.
      const state = await run('podman', ['inspect', '--format', 'status {{.State.Status}}, started {{.State.StartedAt}}, exit code {{.State.ExitCode}}{{if .State.Error}}, error {{.State.Error}}{{end}}', name])
      const r = await run('podman', ['logs', '--tail', String(tail), name])
      out.push(`--- ${pod}/${c} (${(state.stdout.trim() !== '' ? state.stdout : state.stderr).trim()})\n${r.stdout}${r.stderr}`)
    }
  }
  return out.join('\n')
}
