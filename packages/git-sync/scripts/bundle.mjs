#!/usr/bin/env node
// Bundles the built CLI (dist/src/main.js and everything it imports, dependencies included)
// into dist/cli/git-sync.mjs, the one file src/launch.ts loads. Run after `tsc -b`; the root
// `pnpm build`, scripts/setup.sh and the image build do.

import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

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
  logLevel: 'warning'
})
