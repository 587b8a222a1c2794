#!/usr/bin/env node
// Regenerates each service README's flags table from the service's config table (the one
// source of truth), between `<!-- flags:start -->` and `<!-- flags:end -->`.
//   node scripts/flags-table.mjs          # rewrite
//   node scripts/flags-table.mjs --check  # exit 1 when a README is out of date
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const check = process.argv.includes('--check')
const { renderMarkdownTable } = await import(pathToFileURL(join(root, 'packages/runtime/dist/src/index.js')).href)
let stale = 0
for (const pkg of readdirSync(join(root, 'packages'))) {
  const configJs = join(root, 'packages', pkg, 'dist/src/config.js')
  const readme = join(root, 'packages', pkg, 'README.md')
  if (!existsSync(configJs) || !existsSync(readme)) continue
  const { table } = await import(pathToFileURL(configJs).href)
  if (table === undefined) continue
  const text = readFileSync(readme, 'utf8')
  const re = /(<!-- flags:start -->\n)[\s\S]*?(<!-- flags:end -->)/
  if (!re.test(text)) continue
  const next = text.replace(re, (_m, a, b) => `${a}${renderMarkdownTable(table)}${b}`)
  if (next !== text) {
    if (check) { console.error(`flags-table: packages/${pkg}/README.md is out of date; run node scripts/flags-table.mjs`); stale++ } else { writeFileSync(readme, next); console.log(`flags-table: updated packages/${pkg}/README.md`) }
  }
}
process.exit(stale > 0 ? 1 : 0)
