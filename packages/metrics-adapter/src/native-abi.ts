// Native addons (node-java, unix-dgram) for more than one Node ABI side by side. A package's
// own loader only looks at build/Release; a copy built for another Node lives in
// build/abi-<NODE_MODULE_VERSION>/ (made by scripts/build-native.mjs) and is loaded into the
// require cache under the Release path first, so the package picks it up unchanged.

import { existsSync, realpathSync } from 'node:fs'
import { createRequire, Module } from 'node:module'
import { dirname, join } from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export type NativePackage = 'java' | 'unix-dgram'

const BINARIES: Record<NativePackage, string> = {
  java: 'nodejavabridge_bindings.node',
  'unix-dgram': 'unix_dgram.node'
}

const require = createRequire(import.meta.url)

/** The package's directory (real path), or undefined when it is not installed. */
export function nativePackageDir (pkg: NativePackage): string | undefined {
  try {
    if (pkg === 'java') {
      const fromJmx = createRequire(require.resolve('jmx'))
      return realpathSync(dirname(fromJmx.resolve('java/package.json')))
    }
    return realpathSync(dirname(require.resolve('unix-dgram/package.json')))
  } catch {
    return undefined
  }
}

interface CachedModule { exports: unknown, loaded: boolean, filename: string }

/**
 * Makes the package's `require('build/Release/x.node')` load a binary built for this Node's
 * ABI when one is there. Returns where it loaded from, or undefined (left to the package).
 */
export function preloadNativeBinding (pkg: NativePackage): string | undefined {
  const dir = nativePackageDir(pkg)
  if (dir === undefined) return undefined
  const file = BINARIES[pkg]
  const release = join(dir, 'build', 'Release', file)
  const cache = require.cache as Record<string, CachedModule | undefined>
  if (cache[release] !== undefined) return release
  const abi = join(dir, 'build', `abi-${process.versions.modules}`, file)
  if (!existsSync(abi)) return undefined
  const ModuleCtor = Module as unknown as new (id: string) => CachedModule
  const m = new ModuleCtor(release)
  m.filename = release
  process.dlopen(m, abi)
  m.loaded = true
  cache[release] = m
  return abi
}

/** True when the package's binding loads in this Node (trying the ABI copy first). */
export function nativeBindingLoads (pkg: NativePackage): { ok: boolean, error?: string } {
  const dir = nativePackageDir(pkg)
  if (dir === undefined) return { ok: false, error: `${pkg} is not installed` }
  try {
    if (preloadNativeBinding(pkg) !== undefined) return { ok: true }
    const release = join(dir, 'build', 'Release', BINARIES[pkg])
    require(release)
    return { ok: true }
  } catch (err) {
    return { ok: false, error: (err as Error).message }
  }
}

/**
 * Builds the named addons for the running Node when their binding does not load here (e.g. the
 * install built them for Node 20 and this is Node 24), then preloads them. Throws if it can't.
 */
export async function ensureNativeBindings (pkgs: readonly NativePackage[]): Promise<void> {
  const missing = pkgs.filter((p) => !nativeBindingLoads(p).ok)
  if (missing.length === 0) return
  const script = fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url))
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--node', process.execPath, ...missing], { stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', reject)
    child.on('exit', (code) => { if (code === 0) resolve(); else reject(new Error(`build-native.mjs exited ${code}`)) })
  })
  for (const p of missing) {
    const r = nativeBindingLoads(p)
    if (!r.ok) throw new Error(`${p} still does not load after a rebuild: ${r.error ?? ''}`)
  }
}
