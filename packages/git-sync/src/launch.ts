#!/usr/bin/env node
// The command users run (the package's bin and the image's entry point). It loads the CLI as
// one pre-bundled file (dist/cli/git-sync.cjs, written by scripts/bundle.mjs) with V8's compile
// cache on: a `--one-time` sync or an init container starts its first git command about 50 ms
// sooner than when Node resolves and compiles a hundred module files one by one. Without the
// bundle (a build by `tsc` alone) it runs dist/src/main.js, the same CLI unbundled.

import { existsSync } from 'node:fs'
import module, { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

// Node >= 22.1 (the image ships 24); the Node 20 typings do not describe it yet.
interface CompileCacheApi {
  enableCompileCache?: (dir?: string) => { status: number }
  constants: { compileCacheStatus?: { FAILED: number } }
}
const cache = module as unknown as CompileCacheApi

const bundle = fileURLToPath(new URL('../cli/git-sync.cjs', import.meta.url))
// NODE_COMPILE_CACHE (if set) wins; else the package's own cache (the image builds it, owned
// by the image's user), else one under the temp dir. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
if (process.env.NODE_COMPILE_CACHE === undefined && cache.enableCompileCache !== undefined) {
  const own = cache.enableCompileCache(fileURLToPath(new URL('../../.compile-cache', import.meta.url)))
  if (own.status === cache.constants.compileCacheStatus?.FAILED) cache.enableCompileCache()
}
if (existsSync(bundle)) createRequire(import.meta.url)(bundle)
else await import('./main.js')
