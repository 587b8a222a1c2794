// Go-style durations ("1m30s", "500ms", "1.5h") as the tools we replace accept them.

import { UsageError } from './errors.js'

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

// Escapes, not the letters: the bundled git-sync CLI must be ASCII (its src/launch.cts reads it as
// latin1).
const PART = /([0-9]*\.?[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y

/**
 * Parses a Go duration into milliseconds. A bare "0" is accepted, as Go does; any other
 * number needs a unit. Throws UsageError on anything else.
 */
export function parseDuration (text: string, flag?: string): number {
  const input = text.trim()
  if (input === '0' || input === '+0' || input === '-0') return 0
  let rest = input
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1
    rest = rest.slice(1)
  }
  if (rest === '') throw invalid(text, flag)
  let total = 0
  PART.lastIndex = 0
  let pos = 0
  while (pos < rest.length) {
    PART.lastIndex = pos
    const m = PART.exec(rest)
    if (m === null) throw invalid(text, flag)
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
    pos = PART.lastIndex
  }
  return sign * total
}

/** Formats milliseconds the way Go prints a time.Duration ("1m30s", "500ms", "0s"). */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0s'
  const neg = ms < 0
  let rest = Math.abs(ms)
  if (rest < 1000) {
    return `${neg ? '-' : ''}${trim(rest)}ms`
  }
  const h = Math.floor(rest / 3_600_000)
  rest -= h * 3_600_000
  const m = Math.floor(rest / 60_000)
  rest -= m * 60_000
  const s = rest / 1000
  let out = ''
  if (h > 0) out += `${h}h`
  if (h > 0 || m > 0) out += `${m}m`
  out += `${trim(s)}s`
  return (neg ? '-' : '') + out
}

function trim (n: number): string {
  return String(Number(n.toFixed(6)))
}

function invalid (text: string, flag?: string): UsageError {
  const where = flag === undefined ? '' : ` for ${flag}`
  return new UsageError(`invalid duration ${JSON.stringify(text)}${where}: expected a number with a unit (ns, us, ms, s, m, h), e.g. 1m30s`, flag)
}
