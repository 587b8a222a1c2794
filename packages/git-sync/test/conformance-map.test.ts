// Keeps test/conformance-map.json honest: every anchor e2e case is mapped, every mapped test
// exists under that exact name in the named file, and every skip says why.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

const pkg = fileURLToPath(new URL('../../', import.meta.url))
interface Entry { test?: string, file?: string, skip?: string }
const map = JSON.parse(readFileSync(`${pkg}test/conformance-map.json`, 'utf8')) as { cases: Record<string, Entry>, described_cases: Record<string, Entry> }
const anchorCases = readFileSync(`${pkg}test/anchor-cases.txt`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '')

/** Test names registered in a source file, including names built in loops over literal tables. */
function namesIn (file: string): Set<string> {
  const src = readFileSync(`${pkg}${file}`, 'utf8')
  const names = new Set<string>()
  for (const m of src.matchAll(/(?:conformance|test)\('([a-z0-9_]+)'/g)) names.add(m[1] as string)
  // for (const [name, ...] of [['a', ...], ...]) conformance(name, ...) and `gc_${mode}` loops
  for (const m of src.matchAll(/\[\s*'([a-z0-9_]+)'\s*,/g)) names.add(m[1] as string)
  for (const m of src.matchAll(/const name = annotated \? '([a-z0-9_]+)' : '([a-z0-9_]+)'/g)) { names.add(m[1] as string); names.add(m[2] as string) }
  const gc = /for \(const mode of \[([^\]]+)\]\)\s*\{\s*(?:void\s+)?conformance\(`gc_\$\{mode\}`/.exec(src)
  if (gc !== null) for (const m of (gc[1] as string).matchAll(/'([a-z]+)'/g)) names.add(`gc_${m[1] as string}`)
  return names
}

void test('conformance map covers every anchor e2e case', () => {
  assert.ok(anchorCases.length >= 80, `only ${anchorCases.length} anchor cases listed`)
  const missing = anchorCases.filter((c) => map.cases[c] === undefined)
  assert.deepEqual(missing, [])
  const unknown = Object.keys(map.cases).filter((c) => !anchorCases.includes(c))
  assert.deepEqual(unknown, [], 'map names a case the anchor list does not have')
})

void test('every mapped test exists in the named file', () => {
  for (const [name, e] of [...Object.entries(map.cases), ...Object.entries(map.described_cases)]) {
    if (e.skip !== undefined) {
      assert.ok(e.skip.length > 20, `${name}: skip needs a reason`)
      continue
    }
    assert.ok(e.test !== undefined && e.file !== undefined, `${name}: needs test and file, or skip`)
    assert.ok(namesIn(e.file).has(e.test), `${name}: no test named ${e.test} in ${e.file}`)
  }
})

void test('skips are few and justified', () => {
  const skipped = Object.entries(map.cases).filter(([, e]) => e.skip !== undefined).map(([n]) => n)
  assert.deepEqual(skipped, ['github_https'])
})
