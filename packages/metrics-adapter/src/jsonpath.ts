// The kubectl JSONPath subset json_exporter configs use: `{.a.b}`, `{.items[*].v}`, `[0]`,
// `[-1]`, `[1:3]`, `['a.b']`, `..name`, `.*`, filters `[?(@.state == "up")]`, and templates
// that mix text with expressions (`planet-{.location}`).

type Step =
  | { kind: 'key', key: string }
  | { kind: 'index', index: number }
  | { kind: 'slice', start: number | undefined, end: number | undefined }
  | { kind: 'wildcard' }
  | { kind: 'recursive', key: string | undefined }
  | { kind: 'filter', path: Step[], op: string | undefined, value: unknown }

export class JsonPathError extends Error {
  readonly code = 'ERR_ADAPTER_JSONPATH'
}

const cache = new Map<string, Step[]>()

function parseLiteral (text: string): unknown {
  const t = text.trim()
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1)
  if (t === 'true') return true
  if (t === 'false') return false
  if (t === 'null') return null
  const n = Number(t)
  if (t !== '' && !Number.isNaN(n)) return n
  throw new JsonPathError(`invalid filter literal ${JSON.stringify(text)}`)
}

export function compilePath (expr: string): Step[] {
  const hit = cache.get(expr)
  if (hit !== undefined) return hit
  let s = expr.trim()
  if (s.startsWith('$')) s = s.slice(1)
  else if (s.startsWith('@')) s = s.slice(1)
  const steps: Step[] = []
  let i = 0
  const readName = (): string => {
    const m = /^[^.[\]\s]+/.exec(s.slice(i))
    if (m === null) return ''
    i += m[0].length
    return m[0]
  }
  while (i < s.length) {
    const c = s[i]
    if (c === '.') {
      if (s[i + 1] === '.') {
        i += 2
        const name = readName()
        steps.push({ kind: 'recursive', key: name === '' || name === '*' ? undefined : name })
        continue
      }
      i++
      if (s[i] === '[' || i >= s.length) continue
      const name = readName()
      if (name === '') throw new JsonPathError(`empty name in ${JSON.stringify(expr)}`)
      steps.push(name === '*' ? { kind: 'wildcard' } : { kind: 'key', key: name })
      continue
    }
    if (c === '[') {
      const close = findClose(s, i)
      if (close === -1) throw new JsonPathError(`unclosed [ in ${JSON.stringify(expr)}`)
      const inner = s.slice(i + 1, close).trim()
      i = close + 1
      if (inner === '*') { steps.push({ kind: 'wildcard' }); continue }
      if (/^(['"]).*\1$/.test(inner)) { steps.push({ kind: 'key', key: inner.slice(1, -1) }); continue }
      if (/^-?\d+$/.test(inner)) { steps.push({ kind: 'index', index: Number(inner) }); continue }
      const slice = /^(-?\d*):(-?\d*)$/.exec(inner)
      if (slice !== null) {
        steps.push({ kind: 'slice', start: slice[1] === '' ? undefined : Number(slice[1]), end: slice[2] === '' ? undefined : Number(slice[2]) })
        continue
      }
      const filter = /^\?\((.*)\)$/.exec(inner)
      if (filter !== null) {
        const body = (filter[1] as string).trim()
        const cmp = /^(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(body)
        if (cmp !== null) steps.push({ kind: 'filter', path: compilePath(cmp[1] as string), op: cmp[2], value: parseLiteral(cmp[3] as string) })
        else if (body.startsWith('@')) steps.push({ kind: 'filter', path: compilePath(body), op: undefined, value: undefined })
        else throw new JsonPathError(`unsupported filter ${JSON.stringify(inner)}`)
        continue
      }
      throw new JsonPathError(`unsupported subscript [${inner}] in ${JSON.stringify(expr)}`)
    }
    if (/\s/.test(c as string)) { i++; continue }
    // A bare first name (`{items}`), as kubectl allows.
    const name = readName()
    if (name === '') throw new JsonPathError(`unexpected ${JSON.stringify(c)} in ${JSON.stringify(expr)}`)
    steps.push({ kind: 'key', key: name })
  }
  if (cache.size > 1000) cache.clear()
  cache.set(expr, steps)
  return steps
}

function findClose (s: string, open: number): number {
  let depth = 0
  let quote: string | undefined
  for (let j = open; j < s.length; j++) {
    const ch = s[j]
    if (quote !== undefined) { if (ch === quote) quote = undefined; continue }
    if (ch === '"' || ch === "'") { quote = ch; continue }
    if (ch === '[') depth++
    else if (ch === ']') { depth--; if (depth === 0) return j }
  }
  return -1
}

function children (v: unknown): unknown[] {
  if (Array.isArray(v)) return v
  if (v !== null && typeof v === 'object') return Object.values(v)
  return []
}

function compare (a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==': return a === b
    case '!=': return a !== b
    case '<': return (a as number) < (b as number)
    case '>': return (a as number) > (b as number)
    case '<=': return (a as number) <= (b as number)
    default: return (a as number) >= (b as number)
  }
}

function run (steps: Step[], input: unknown[]): unknown[] {
  let cur = input
  for (const step of steps) {
    const next: unknown[] = []
    for (const v of cur) {
      switch (step.kind) {
        case 'key':
          if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.key)) next.push((v as Record<string, unknown>)[step.key])
          break
        case 'index':
          if (Array.isArray(v)) {
            const idx = step.index < 0 ? v.length + step.index : step.index
            if (idx >= 0 && idx < v.length) next.push(v[idx])
          }
          break
        case 'slice':
          if (Array.isArray(v)) next.push(...(v as unknown[]).slice(step.start, step.end))
          break
        case 'wildcard':
          next.push(...children(v))
          break
        case 'recursive': {
          const walk = (x: unknown): void => {
            if (step.key === undefined) next.push(...children(x))
            else if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.hasOwn(x, step.key)) next.push((x as Record<string, unknown>)[step.key])
            for (const c of children(x)) if (c !== null && typeof c === 'object') walk(c)
          }
          walk(v)
          break
        }
        case 'filter':
          for (const item of children(v)) {
            const got = run(step.path, [item])
            if (step.op === undefined ? got.length > 0 && got[0] !== false && got[0] !== null : got.some((g) => compare(g, step.op as string, step.value))) next.push(item)
          }
          break
      }
    }
    cur = next
  }
  return cur
}

/** Evaluates a `{...}` expression (braces optional) against a document: every match. */
export function evaluateJsonPath (expr: string, doc: unknown): unknown[] {
  let e = expr.trim()
  if (e.startsWith('{') && e.endsWith('}')) e = e.slice(1, -1)
  return run(compilePath(e), [doc])
}

/** Expands a template such as `planet-{.location}`; each expression gives its first match. */
export function expandTemplate (tpl: string, doc: unknown): string {
  if (!tpl.includes('{')) return tpl
  return tpl.replace(/\{([^{}]*)\}/g, (_m, e: string) => {
    const got = run(compilePath(e), [doc])
    if (got.length === 0) return ''
    const v = got[0]
    return typeof v === 'string' ? v : JSON.stringify(v)
  })
}

/** Checks a template or expression compiles (for config validation). */
export function checkTemplate (tpl: string): void {
  if (!tpl.includes('{')) return
  for (const m of tpl.matchAll(/\{([^{}]*)\}/g)) compilePath(m[1] as string)
}
