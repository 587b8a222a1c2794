#!/usr/bin/env node
// `node test/dist/src/actionlint-cli.js`: actionlint over .github/workflows; exit 1 on problems.

import { lintWorkflows } from './actionlint.js'

const { files, problems } = await lintWorkflows()
for (const p of problems) console.error(p)
console.log(`actionlint: ${files.length} workflow file(s), ${problems.length} problem(s)`)
process.exitCode = problems.length === 0 ? 0 : 1
