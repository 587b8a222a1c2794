#!/usr/bin/env node
// Bundles the built CLI (dist/src/main.js and everything it imports, dependencies included)
// into dist/cli/git-sync.mjs, the one file src/launch.ts loads. Run after `tsc -b`; the root
// `pnpm build`, scripts/setup.sh and the image build do.

import { build } from 'esbuild'
import { readFile } from 'node:fs/promises'
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
      return text.includes(OWN_REQUIRE) ? { contents: text.replace(OWN_REQUIRE, ''), loader: 'js' } : undefined
    })
  }
}

const pkg = fileURLToPath(new URL('..', import.meta.url))
await build({
  absWorkingDir: pkg,
  entryPoints: ['dist/src/main.js'],
  outfile: 'dist/cli/git-sync.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies (pino, prom-client, simple-git) call require() for built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [bundleLazyRequires],
  logLevel: 'warning'
})
