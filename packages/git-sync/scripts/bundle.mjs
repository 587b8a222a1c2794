#!/usr/bin/env node
// Bundles the built CLI (dist/src/main.js and everything it imports, dependencies included)
// into dist/cli/git-sync.cjs, the one file src/launch.cts loads. Run after `tsc -b`; the root
// `pnpm build`, scripts/setup.sh and the image build do.

import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Modules that load a dependency only when it is first needed (prom-client, node:http…) call
// `require` made by `createRequire(import.meta.url)`. In the bundle that line is dropped, so the
// calls reach the bundle's own require: the dependency is bundled and still evaluated lazily.
const OWN_REQUIRE = 'const require = createRequire(import.meta.url);'
const bundleLazyRequires = {
  name: 'bundle-lazy-requires',
  setup (b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/][^\\/]+\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8')
      if (!text.includes('createRequire(import.meta.url)')) return undefined
      // Any other form would leave a require the bundle cannot see: a second, unbundled copy of
      // the module loaded from node_modules at run time. Refuse to build instead.
      if (text.split('createRequire(import.meta.url)').length !== 2 || !text.includes(OWN_REQUIRE)) {
        throw new Error(`${args.path}: use createRequire(import.meta.url) only as "${OWN_REQUIRE}"`)
      }
      return { contents: text.replace(OWN_REQUIRE, ''), loader: 'js' }
    })
  }
}

// Stand-ins: modules that third-party code loads at start-up for features the CLI rarely or
// never uses. In the bundle an import of one (from the importers named) gets a small module in
// its place that loads the real one (bundled as usual) only when it is needed.
const standIns = [
  {
    // simple-git traces through `debug` when DEBUG=simple-git is set; loading `debug` also loads
    // tty and supports-color, about 3 ms of start-up. With DEBUG set the stand-in is the real
    // module, else loggers that do nothing, as the real ones do when DEBUG names nothing.
    module: /^debug$/,
    code: (real) => `
if (typeof process.env.DEBUG === 'string' && process.env.DEBUG !== '') {
  module.exports = require(${JSON.stringify(real)})
} else {
  const off = (namespace) => {
    const log = () => {}
    return Object.assign(log, { namespace, enabled: false, log, destroy: () => true, extend: (sub, delimiter = ':') => off(namespace + delimiter + sub) })
  }
  module.exports = Object.assign((namespace) => off(namespace), {
    formatters: {}, names: [], skips: [], enable: () => {}, disable: () => '', enabled: () => false
  })
}
`
  },
  {
    // pino loads thread-stream (and with it worker_threads and assert, about 2 ms) for
    // transports, which run in a worker thread; our logger writes to fd 1 with sonic-boom and
    // starts none. pino only constructs it (`new ThreadStream(...)`), so a constructor that loads
    // the real class on first use stands in.
    module: /^thread-stream$/,
    importer: /[\\/]pino[\\/]lib[\\/]transport\.js$/,
    uses: (text) => text.split('ThreadStream').length === 3 && text.includes('new ThreadStream('),
    code: (real) => `
let Real
module.exports = function ThreadStream (options) {
  Real ??= require(${JSON.stringify(real)})
  return new Real(options)
}
`
  },
  {
    // pino's tools read isMainThread from worker_threads (about 1.5 ms to load) to decide whether
    // an asynchronous destination needs flushing at exit; ours is synchronous. The bundle is the
    // CLI's entry point (src/launch.cts runs it as the process's main script), so it always runs
    // on the main thread.
    module: /^(node:)?worker_threads$/,
    importer: /[\\/]pino[\\/]lib[\\/]tools\.js$/,
    uses: (text) => /const \{ isMainThread \} = require\('(node:)?worker_threads'\)/.test(text) && text.split('worker_threads').length === 2,
    code: () => `
exports.isMainThread = true
`
  },
  {
    // sonic-boom loads assert (about 1 ms: it also sets up process.stderr for its colours) for
    // one check in a function our logger never calls; it only calls assert(value, message).
    module: /^(node:)?assert$/,
    importer: /[\\/]sonic-boom[\\/]index\.js$/,
    uses: (text) => !/\bassert\s*\./.test(text) && /\bassert\(/.test(text),
    code: () => `
module.exports = function assert (value, message) {
  return require('node:assert')(value, message)
}
`
  }
]
const standInPlugin = {
  name: 'stand-ins',
  setup (b) {
    for (const [i, entry] of standIns.entries()) {
      b.onResolve({ filter: entry.module }, async (args) => {
        if (args.pluginData?.real === true || args.namespace === 'stand-in') return undefined
        if (entry.importer !== undefined && !entry.importer.test(args.importer)) return undefined
        // The stand-in covers only the use it was written for: a new release that uses the module
        // another way fails the build instead of breaking at run time.
        if (entry.uses !== undefined && !entry.uses(await readFile(args.importer, 'utf8'))) {
          return { errors: [{ text: `${args.importer} uses ${args.path} in a way its stand-in in scripts/bundle.mjs does not cover` }] }
        }
        const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { real: true } })
        if (real.errors.length > 0) return { errors: real.errors }
        return { path: real.path, namespace: 'stand-in', pluginData: { entry: i } }
      })
    }
    b.onLoad({ filter: /.*/, namespace: 'stand-in' }, (args) => ({ contents: standIns[args.pluginData.entry].code(args.path), loader: 'js', resolveDir: pkg }))
  }
}

const pkg = fileURLToPath(new URL('..', import.meta.url))
// The bundle names itself by the SHA-256 of its text (taken with this placeholder in place):
// src/launch.cts keys its code cache by it, so cached code never runs against another bundle.
const UNSET_ID = '0'.repeat(64)
await build({
  absWorkingDir: pkg,
  entryPoints: ['dist/src/main.js'],
  outfile: 'dist/cli/git-sync.cjs',
  bundle: true,
  platform: 'node',
  // CommonJS, not ESM: Node loads one CommonJS file about 4 ms sooner than the same code as an
  // ES module (no module record to build and link). Our modules' import.meta.url becomes the
  // bundle's own URL; it sits in dist/cli/, as deep as dist/src/, so relative paths still hold.
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: `// bundle-id: ${UNSET_ID}\nconst __bundleUrl = require('node:url').pathToFileURL(__filename).href;` },
  plugins: [bundleLazyRequires, standInPlugin],
  logLevel: 'warning'
})
const out = join(pkg, 'dist', 'cli', 'git-sync.cjs')
const text = await readFile(out, 'utf8')
const marker = `// bundle-id: ${UNSET_ID}`
if (text.split(marker).length !== 2) throw new Error(`${out}: expected one "${marker}" line`)
// src/launch.cts reads the bundle as latin1 (a one-byte string, no UTF-8 decoding): that is the
// same text only while every character is ASCII.
const nonAscii = /[\u0080-\uffff]/.exec(text)
if (nonAscii !== null) throw new Error(`${out}: non-ASCII character at offset ${nonAscii.index} (${JSON.stringify(text.slice(Math.max(0, nonAscii.index - 40), nonAscii.index + 40))}); write it as an escape in the source`)
// src/launch.cts runs the bundle as a vm.Script without a dynamic-import loader.
if (/\bimport\(/.test(text)) throw new Error(`${out}: the bundle has an import() call, which src/launch.cts cannot run`)
await writeFile(out, text.replace(marker, `// bundle-id: ${createHash('sha256').update(text).digest('hex')}`))
