#!/usr/bin/env node
// The command users run (the package's bin and the image's entry point). It loads the CLI as
// one pre-bundled file (dist/cli/git-sync.cjs, written by scripts/bundle.mjs): a `--one-time`
// sync or an init container starts its first git command about 50 ms sooner than when Node
// resolves and compiles a hundred module files one by one. Without the bundle (a build by `tsc`
// alone) it runs dist/src/main.js, the same CLI unbundled.
//
// The bundle runs with a code cache of its own: V8's compiled code for it, taken when a run
// ends, so it holds every function that run compiled. The first run that finds no usable cache
// and ends well (exit 0, not --help or --version) writes it. Node's compile cache, used here
// before, is taken right after the top level compiles, so the functions compiled as they are
// first called (most of start-up) were compiled again on every run: 4-8 ms of a first sync's
// start here. The cache sits in the package's .compile-cache directory (the image writes it at
// build time with a real sync, as the image's user), one file per Node version, stamped with the
// bundle's id (the SHA-256 that scripts/bundle.mjs writes into it), size and mtime, so cached
// code never runs against another bundle (V8 itself checks only the source's length).
// NODE_COMPILE_CACHE (if set) gives the choice back to Node's own cache there;
// NODE_DISABLE_COMPILE_CACHE=1 turns every cache off. Where the package's directory cannot hold
// a cache, Node's compile cache under the temp dir is used.
//
// This file is CommonJS (.cts): Node starts a CommonJS entry point a few ms sooner than an ES
// module one, which would first load the ES module loader and build node:fs's ES module facade.

import fs = require('node:fs')
import path = require('node:path')
import vm = require('node:vm')
import nodeModule = require('node:module')

// Node >= 22.1 (the image ships 24); the Node 20 typings do not describe it yet.
interface CompileCacheApi {
  enableCompileCache?: (dir?: string) => { status: number }
}
const nodeCache = nodeModule as unknown as CompileCacheApi

const bundle = path.join(__dirname, '..', 'cli', 'git-sync.cjs')
const cacheDir = path.join(__dirname, '..', '..', '.compile-cache')
// The cache file: this header (the stamp, space-padded), then V8's data.
const HEADER_BYTES = 128

/** The code cache file for this Node (V8 refuses another version's data; the name keeps two apart). */
const cacheFile = path.join(cacheDir, `git-sync-${process.version}-${process.arch}.v8cache`)

function canWrite (dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true })
    fs.accessSync(dir, fs.constants.W_OK)
    return true
  } catch { return false }
}

/** Writes data to file by a temp file and rename: readers see the old cache or the new, whole. */
function writeAtomic (file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    fs.writeFileSync(tmp, data, { mode: 0o644 })
    fs.renameSync(tmp, file)
  } catch {
    try { fs.rmSync(tmp, { force: true }) } catch { /* nothing to clean */ }
  }
}

/** The bundle loaded as Node loads any file (under Node's compile cache if one is on). */
function runPlain (): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the bundle is this file's job
  require(bundle)
}

/** The bundle under Node's compile cache (in the temp dir): where no cache of our own can be kept. */
function runWithNodeCache (): void {
  nodeCache.enableCompileCache?.()
  runPlain()
}

/** The stamp a cache must carry to be used with this bundle; undefined for a bundle without an id. */
function stampOf (source: string): string | undefined {
  const id = /^\/\/ bundle-id: ([0-9a-f]{64})$/m.exec(source.slice(0, 256))?.[1]
  if (id === undefined) return undefined
  const st = fs.statSync(bundle)
  return `${id} ${st.size} ${st.mtimeMs}`.padEnd(HEADER_BYTES, ' ')
}

/** Runs the bundle's source as Node would run the file (same wrapper, arguments and line numbers). */
function runCached (source: string, stamp: string): void {
  let cachedData: Buffer | undefined
  try {
    const data = fs.readFileSync(cacheFile)
    if (data.subarray(0, HEADER_BYTES).toString('latin1') === stamp) cachedData = data.subarray(HEADER_BYTES)
  } catch { /* none yet */ }
  if (cachedData === undefined && !canWrite(cacheDir)) { runWithNodeCache(); return }
  // A hashbang is valid only at the very start of a script; inside the wrapper it is a comment.
  const body = source.startsWith('#!') ? `//${source}` : source
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${body}\n});`, {
    filename: bundle,
    // No importModuleDynamically (setting it costs ~2 ms of start-up): scripts/bundle.mjs makes
    // sure the bundle has no import().
    ...(cachedData !== undefined ? { cachedData } : {})
  })
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // Taken at the end of the run, when it holds everything the run compiled; only a run that did
    // its work (exit 0, not --help, --version or --man) compiled what a sync needs.
    const informational = process.argv.slice(2).some((a) => /^-{1,2}(help|h|version|man)(=.*)?$/.test(a))
    process.once('exit', (code) => {
      if (code !== 0 || informational || !canWrite(cacheDir)) return
      writeAtomic(cacheFile, Buffer.concat([Buffer.from(stamp, 'latin1'), script.createCachedData()]))
    })
  }
  const run = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: NodeJS.Module, f: string, d: string) => void
  const mod = new nodeModule(bundle, module)
  mod.filename = bundle
  run.call(mod.exports, mod.exports, nodeModule.createRequire(bundle), mod, bundle, path.dirname(bundle))
}

let source: string | undefined
// latin1: scripts/bundle.mjs makes sure the bundle is ASCII, so this is its text, read without
// UTF-8 decoding (about 0.5 ms less for its 600 KB).
try { source = fs.readFileSync(bundle, 'latin1') } catch { /* no bundle: a build by tsc alone */ }
if (source === undefined) {
  import('./main.js').catch((err: unknown) => {
    process.stderr.write(`git-sync: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  })
} else if (process.env.NODE_DISABLE_COMPILE_CACHE === '1' || process.env.NODE_COMPILE_CACHE !== undefined) {
  // Node's own cache (enabled by Node at start-up from NODE_COMPILE_CACHE), or none.
  runPlain()
} else {
  const stamp = stampOf(source)
  if (stamp !== undefined) runCached(source, stamp)
  else runWithNodeCache()
}
