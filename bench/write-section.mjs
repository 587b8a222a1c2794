// Replaces one benchmark's section of docs/benchmarks.md (between its markers).
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const file = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url))

/** @param {string} name section name, e.g. 'redis-ambassador' @param {string} markdown body */
export function writeSection (name, markdown) {
  const text = readFileSync(file, 'utf8')
  const start = `<!-- bench:${name}:start -->`
  const end = `<!-- bench:${name}:end -->`
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  const body = `${start}\n${markdown.trim()}\n${end}`
  const next = i === -1 || j === -1 ? `${text.trimEnd()}\n\n${body}\n` : text.slice(0, i) + body + text.slice(j + end.length)
  writeFileSync(file, next)
}
