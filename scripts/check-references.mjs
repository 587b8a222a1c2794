#!/usr/bin/env node
// Keeps the TypeScript project references in step with package.json: every workspace
// dependency of a package must be a reference in its tsconfig.json and the root tsconfig must
// reference every package, so `tsc -b` builds in the order the dependency graph says.
//   node scripts/check-references.mjs         # report and exit 1 on drift
//   node scripts/check-references.mjs --fix   # rewrite the references
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const fix = process.argv.includes('--fix')
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'))
const dirs = [...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)), join(root, 'test')]
  .filter((d) => existsSync(join(d, 'package.json')) && existsSync(join(d, 'tsconfig.json')))
const byName = new Map(dirs.map((d) => [readJson(join(d, 'package.json')).name, d]))
let drift = 0

function sync (tsconfigPath, wanted) {
  const ts = readJson(tsconfigPath)
  const have = (ts.references ?? []).map((r) => r.path).sort()
  const want = [...wanted].sort()
  if (JSON.stringify(have) === JSON.stringify(want)) return
  if (fix) {
    ts.references = want.map((path) => ({ path }))
    writeFileSync(tsconfigPath, JSON.stringify(ts, null, 2) + '\n')
    console.log(`check-references: updated ${relative(root, tsconfigPath)}`)
  } else {
    console.error(`check-references: ${relative(root, tsconfigPath)} references [${have}] but package.json says [${want}]`)
    drift++
  }
}

for (const dir of dirs) {
  const pkg = readJson(join(dir, 'package.json'))
  const deps = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies }
  const wanted = Object.keys(deps).filter((n) => byName.has(n)).map((n) => relative(dir, byName.get(n)))
  sync(join(dir, 'tsconfig.json'), wanted)
}
sync(join(root, 'tsconfig.json'), dirs.map((d) => relative(root, d)))
process.exit(drift > 0 ? 1 : 0)
