#!/usr/bin/env node
// The command users run (the package's bin and the image's entry point). It loads the CLI as
// one pre-bundled file (dist/cli/git-sync.cjs, written by scripts/bundle.mjs) with V8's compile
// cache on: a `--one-time` sync or an init container starts its first git command about 50 ms
// sooner than when Node resolves and compiles a hundred module files one by one. Without the
// bundle (a build by `tsc` alone) it runs dist/src/main.js, the same CLI unbundled.
// This file is CommonJS (.cts): Node starts a CommonJS entry point a few ms sooner than an ES
// module one, which would first load the ES module loader and build node:fs's ES module facade.

import fs = require('node:fs')
import path = require('node:path')
import nodeModule = require('node:module')

// Node >= 22.1 (the image ships 24); the Node 20 typings do not describe it yet.
interface CompileCacheApi {
  enableCompileCache?: (dir?: string) => { status: number }
  constants: { compileCacheStatus?: { FAILED: number } }
}
const cache = nodeModule as unknown as CompileCacheApi

const bundle = path.join(__dirname, '..', 'cli', 'git-sync.cjs')
// NODE_COMPILE_CACHE (if set) wins; else the package's own cache (the image builds it, owned
// by the image's user), else one under the temp dir. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
if (process.env.NODE_COMPILE_CACHE === undefined && cache.enableCompileCache !== undefined) {
  const own = cache.enableCompileCache(path.join(__dirname, '..', '..', '.compile-cache'))
  if (own.status === cache.constants.compileCacheStatus?.FAILED) cache.enableCompileCache()
}
if (fs.existsSync(bundle)) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the bundle is this file's job
  require(bundle)
} else {
  import('./main.js').catch((err: unknown) => {
    process.stderr.write(`git-sync: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}
