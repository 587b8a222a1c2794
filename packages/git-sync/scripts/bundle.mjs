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

// simple-git traces through `debug` when DEBUG=simple-git is set; loading `debug` also loads tty
// and supports-color, about 3 ms of start-up for a feature the CLI rarely uses. In the bundle each
// import of it gets a small stand-in: with DEBUG set it is the real module (bundled as usual), else
// loggers that do nothing, as the real ones do when DEBUG names nothing.
const debugStandIn = (real) => `
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
const lazyDebug = {
  name: 'lazy-debug',
  setup (b) {
    b.onResolve({ filter: /^debug$/ }, async (args) => {
      if (args.pluginData?.real === true) return undefined
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { real: true } })
      if (real.errors.length > 0) return { errors: real.errors }
      return { path: real.path, namespace: 'lazy-debug' }
    })
    b.onLoad({ filter: /.*/, namespace: 'lazy-debug' }, (args) => ({ contents: debugStandIn(args.path), loader: 'js', resolveDir: pkg }))
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
  plugins: [bundleLazyRequires, lazyDebug],
  logLevel: 'warning'
})
const out = join(pkg, 'dist', 'cli', 'git-sync.cjs')
const text = await readFile(out, 'utf8')
const marker = `// bundle-id: ${UNSET_ID}`
if (text.split(marker).length !== 2) throw new Error(`${out}: expected one "${marker}" line`)
// src/launch.cts runs the bundle as a vm.Script without a dynamic-import loader.
if (/\bimport\(/.test(text)) throw new Error(`${out}: the bundle has an import() call, which src/launch.cts cannot run`)
await writeFile(out, text.replace(marker, `// bundle-id: ${createHash('sha256').update(text).digest('hex')}`))
