// The config engine. Each service describes its options in one table (flag, env vars,
// default, help); this module reads argv and the environment against it, accepting the flag
// forms of the Go tools we replace, and returns a validated, frozen configuration.

import { ConfigError, UsageError } from './errors.js'
import { formatDuration, parseDuration } from './duration.js'

export type OptionType = 'string' | 'int' | 'float' | 'bool' | 'duration' | 'enum' | 'list'

export interface OptionSpec {
  /** Long flag name without dashes, e.g. `sync-timeout` or `statsd.listen-udp`. */
  readonly name: string
  /** Property name in the config object; defaults to the camelCase of `name`. */
  readonly key?: string
  readonly type: OptionType
  readonly help: string
  /** Default value: ms for durations, string[] for lists. */
  readonly default?: string | number | boolean | readonly string[] | undefined
  /** What `--help` shows as the default when the value itself is not telling. */
  readonly defaultText?: string
  /** Env var names in precedence order. Default: the table's prefix + UPPER_SNAKE(name). `false`: none. */
  readonly env?: readonly string[] | false
  /** Also read `legacyEnvPrefix + UPPER_SNAKE(name)` (see ConfigTable.legacyEnvWins). */
  readonly legacyEnv?: boolean
  /** Other accepted flag spellings (same meaning, no warning), e.g. `v` for `verbose`. */
  readonly aliases?: readonly string[]
  /** One-letter flag, used as `-x`. */
  readonly short?: string
  /** For `enum`: the accepted values. */
  readonly choices?: readonly string[]
  /** For `list`: split env values on this separator (default: the whole value is one item). */
  readonly envSeparator?: string
  /** For `list`: also split flag values on this separator. */
  readonly flagSeparator?: string
  readonly required?: boolean
  readonly min?: number
  readonly max?: number
  /** Never printed: help shows no default and `redact()` hides the value. */
  readonly secret?: boolean
  /** Set only by environment (e.g. a password), not by a flag. */
  readonly envOnly?: boolean
  /** Accepted but deprecated: using it logs this message as a warning. */
  readonly deprecated?: string
  /** Not listed in --help (deprecated aliases usually are hidden). */
  readonly hidden?: boolean
  /** Placeholder shown in --help, e.g. `HOST:PORT`. */
  readonly placeholder?: string
  readonly group?: string
}

export interface ConfigTable {
  readonly program: string
  readonly version: string
  /** One or two lines for the top of --help. */
  readonly summary: string
  /** Env var prefix, e.g. `GITSYNC_`. */
  readonly envPrefix: string
  readonly legacyEnvPrefix?: string
  /** When both the current and the legacy env var are set, the legacy one wins. */
  readonly legacyEnvWins?: boolean
  readonly options: readonly OptionSpec[]
  /** Extra help text after the flags list. */
  readonly epilog?: string
  /** Accept positional arguments (collected into `_`). */
  readonly positionals?: boolean
}

export type ValueSource = 'flag' | 'env' | 'default'

export interface ParsedConfig<T> {
  readonly config: Readonly<T>
  /** Where each key's value came from. */
  readonly sources: Readonly<Record<string, ValueSource>>
  /** Deprecation warnings to log once a logger exists. */
  readonly warnings: readonly string[]
  /** `--help` or `--version` was asked for: the caller prints and exits 0. */
  readonly action: 'run' | 'help' | 'version'
  readonly positionals: readonly string[]
}

export type Env = Readonly<Record<string, string | undefined>>

const TRUE_WORDS = new Set(['1', 't', 'true', 'yes', 'y', 'on'])
const FALSE_WORDS = new Set(['0', 'f', 'false', 'no', 'n', 'off'])

export function toUpperSnake (name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()
}

export function toCamel (name: string): string {
  return name.replace(/[^A-Za-z0-9]+([A-Za-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

export function optionKey (spec: OptionSpec): string {
  return spec.key ?? toCamel(spec.name)
}

/** The env var names an option reads, in precedence order. */
export function envNames (table: ConfigTable, spec: OptionSpec): string[] {
  if (spec.env === false) return []
  const names = spec.env !== undefined ? [...spec.env] : [table.envPrefix + toUpperSnake(spec.name)]
  if (spec.legacyEnv === true && table.legacyEnvPrefix !== undefined) {
    const legacy = table.legacyEnvPrefix + toUpperSnake(spec.name)
    if (table.legacyEnvWins === true) names.unshift(legacy)
    else names.push(legacy)
  }
  return names
}

/** Parses a boolean word as Go's strconv.ParseBool does (plus yes/no/on/off). */
export function parseBool (text: string, flag?: string): boolean {
  const t = text.trim().toLowerCase()
  if (TRUE_WORDS.has(t)) return true
  if (FALSE_WORDS.has(t)) return false
  throw new UsageError(`invalid boolean ${JSON.stringify(text)} for ${flag ?? 'value'}: expected true or false`, flag)
}

function parseScalar (spec: OptionSpec, text: string, where: string): string | number | boolean {
  switch (spec.type) {
    case 'string':
    case 'list':
      return text
    case 'bool':
      return parseBool(text, where)
    case 'int': {
      const t = text.trim()
      if (!/^[-+]?\d+$/.test(t)) throw new UsageError(`invalid integer ${JSON.stringify(text)} for ${where}`, where)
      return Number(t)
    }
    case 'float': {
      const t = text.trim()
      const n = Number(t)
      if (t === '' || Number.isNaN(n)) throw new UsageError(`invalid number ${JSON.stringify(text)} for ${where}`, where)
      return n
    }
    case 'duration':
      return parseDuration(text, where)
    case 'enum': {
      const choices = spec.choices ?? []
      if (!choices.includes(text)) {
        throw new UsageError(`invalid value ${JSON.stringify(text)} for ${where}: expected one of ${choices.join(', ')}`, where)
      }
      return text
    }
  }
}

interface FlagIndexEntry { spec: OptionSpec, spelled: string }

function buildIndex (table: ConfigTable): Map<string, FlagIndexEntry> {
  const index = new Map<string, FlagIndexEntry>()
  const add = (name: string, spec: OptionSpec): void => {
    if (index.has(name)) throw new Error(`${table.program}: flag --${name} is declared twice`)
    index.set(name, { spec, spelled: name })
  }
  for (const spec of table.options) {
    if (spec.envOnly === true) continue
    add(spec.name, spec)
    for (const a of spec.aliases ?? []) add(a, spec)
  }
  return index
}

/**
 * Reads argv and env against the table. Throws UsageError for what cannot be read and
 * ConfigError for what was read but is not valid (required missing, out of range).
 */
export function parseConfig<T = Record<string, unknown>> (table: ConfigTable, argv: readonly string[], env: Env = process.env): ParsedConfig<T> {
  const index = buildIndex(table)
  const shorts = new Map<string, OptionSpec>()
  for (const spec of table.options) if (spec.short !== undefined) shorts.set(spec.short, spec)

  const fromFlags = new Map<OptionSpec, unknown>()
  const warnings: string[] = []
  const positionals: string[] = []
  let action: ParsedConfig<T>['action'] = 'run'

  const setFlag = (spec: OptionSpec, raw: string, where: string): void => {
    if (spec.type === 'list') {
      const prev = (fromFlags.get(spec) as string[] | undefined) ?? []
      const items = spec.flagSeparator !== undefined ? splitList(raw, spec.flagSeparator) : [raw]
      fromFlags.set(spec, [...prev, ...items])
    } else {
      fromFlags.set(spec, parseScalar(spec, raw, where))
    }
    if (spec.deprecated !== undefined) warnings.push(`${where} is deprecated: ${spec.deprecated}`)
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '--help' || arg === '-h' || arg === '-help') { action = 'help'; continue }
    if (arg === '--version') { if (action === 'run') action = 'version'; continue }

    if (arg.startsWith('--') || (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg))) {
      const isLong = arg.startsWith('--')
      const body = arg.slice(isLong ? 2 : 1)
      const eq = body.indexOf('=')
      const name = eq === -1 ? body : body.slice(0, eq)
      const inline = eq === -1 ? undefined : body.slice(eq + 1)
      let spec: OptionSpec | undefined
      let where: string
      if (isLong || name.length > 1) {
        spec = index.get(name)?.spec
        where = `--${name}`
        // --no-foo for boolean foo, unless no-foo is an option itself.
        if (spec === undefined && name.startsWith('no-') && inline === undefined) {
          const neg = index.get(name.slice(3))?.spec
          if (neg?.type === 'bool') {
            fromFlags.set(neg, false)
            if (neg.deprecated !== undefined) warnings.push(`--${name.slice(3)} is deprecated: ${neg.deprecated}`)
            continue
          }
        }
      } else {
        spec = shorts.get(name)
        where = `-${name}`
      }
      if (spec === undefined) throw new UsageError(`unknown flag: ${arg.split('=')[0] as string}`, where)
      if (spec.type === 'bool') {
        setFlag(spec, inline ?? 'true', where)
        continue
      }
      let value = inline
      if (value === undefined) {
        const next = argv[i + 1]
        if (next === undefined) throw new UsageError(`flag needs an argument: ${where}`, where)
        value = next
        i++
      }
      setFlag(spec, value, where)
      continue
    }
    positionals.push(arg)
  }

  if (positionals.length > 0 && table.positionals !== true) {
    throw new UsageError(`unexpected argument: ${positionals[0] as string}`)
  }

  const out: Record<string, unknown> = {}
  const sources: Record<string, ValueSource> = {}
  const missing: OptionSpec[] = []
  for (const spec of table.options) {
    const key = optionKey(spec)
    if (fromFlags.has(spec)) {
      out[key] = fromFlags.get(spec)
      sources[key] = 'flag'
    } else {
      const found = readEnv(table, spec, env)
      if (found !== undefined) {
        const [name, raw] = found
        out[key] = spec.type === 'list'
          ? (spec.envSeparator !== undefined ? splitList(raw, spec.envSeparator) : [raw])
          : parseScalar(spec, raw, `$${name}`)
        sources[key] = 'env'
        if (spec.deprecated !== undefined) warnings.push(`$${name} is deprecated: ${spec.deprecated}`)
      } else {
        out[key] = spec.type === 'list' ? [...((spec.default as readonly string[] | undefined) ?? [])] : spec.default
        sources[key] = 'default'
        if (spec.required === true) missing.push(spec)
      }
    }
    checkRange(spec, out[key])
  }
  if (positionals.length > 0) out._ = positionals

  if (action === 'run' && missing.length > 0) {
    const spec = missing[0] as OptionSpec
    const how = spec.envOnly === true ? `$${envNames(table, spec)[0] ?? ''}` : `--${spec.name}`
    throw new ConfigError(`${how} must be specified`, `--${spec.name}`)
  }

  return {
    config: deepFreeze(out) as unknown as Readonly<T>,
    sources: Object.freeze(sources),
    warnings: Object.freeze(warnings),
    action,
    positionals: Object.freeze(positionals)
  }
}

function readEnv (table: ConfigTable, spec: OptionSpec, env: Env): [string, string] | undefined {
  for (const name of envNames(table, spec)) {
    const v = env[name]
    if (v !== undefined && v !== '') return [name, v]
  }
  return undefined
}

function splitList (raw: string, sep: string): string[] {
  return raw.split(sep).map((s) => s.trim()).filter((s) => s !== '')
}

function checkRange (spec: OptionSpec, value: unknown): void {
  if (typeof value !== 'number') return
  if (spec.min !== undefined && value < spec.min) {
    throw new ConfigError(`--${spec.name} must be at least ${showValue(spec, spec.min)}, got ${showValue(spec, value)}`, `--${spec.name}`)
  }
  if (spec.max !== undefined && value > spec.max) {
    throw new ConfigError(`--${spec.name} must be at most ${showValue(spec, spec.max)}, got ${showValue(spec, value)}`, `--${spec.name}`)
  }
}

function showValue (spec: OptionSpec, value: unknown): string {
  if (spec.type === 'duration' && typeof value === 'number') return formatDuration(value)
  if (Array.isArray(value)) return value.join(',')
  return String(value)
}

export function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v)
  }
  return value
}

/** The text a user sees as the default in --help and the README table. */
export function defaultText (spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText
  if (spec.secret === true) return ''
  const d = spec.default
  if (d === undefined || d === '') return ''
  if (Array.isArray(d)) return d.length === 0 ? '' : d.join(',')
  return showValue(spec, d)
}

function typeWord (spec: OptionSpec): string {
  if (spec.placeholder !== undefined) return spec.placeholder
  switch (spec.type) {
    case 'bool': return ''
    case 'enum': return (spec.choices ?? []).join('|')
    case 'list': return 'string'
    default: return spec.type
  }
}

/** The `--help` text generated from the table. */
export function renderHelp (table: ConfigTable): string {
  const lines: string[] = []
  lines.push(`Usage: ${table.program} [flags]`, '', table.summary, '', 'Flags:')
  let group: string | undefined
  for (const spec of table.options) {
    if (spec.hidden === true) continue
    if (spec.group !== undefined && spec.group !== group) {
      group = spec.group
      lines.push('', `  ${group}:`)
    }
    const names: string[] = []
    if (spec.short !== undefined) names.push(`-${spec.short}`)
    if (spec.envOnly !== true) names.push(`--${spec.name}`)
    const t = typeWord(spec)
    const head = `  ${names.join(', ')}${t === '' ? '' : ' ' + t}`
    lines.push(head.trimEnd() === '' ? `  (env only)` : head)
    const extra: string[] = []
    const d = defaultText(spec)
    if (d !== '') extra.push(`default ${d}`)
    if (spec.required === true) extra.push('required')
    if (spec.type === 'list') extra.push('repeatable')
    const envs = envNames(table, spec)
    if (envs.length > 0) extra.push(`env ${envs.map((e) => '$' + e).join(', ')}`)
    lines.push(`        ${spec.help}${extra.length > 0 ? ` (${extra.join('; ')})` : ''}`)
  }
  lines.push('', '  -h, --help', '        Show this help and exit.', '  --version', '        Print the version and exit.')
  if (table.epilog !== undefined) lines.push('', table.epilog)
  return lines.join('\n') + '\n'
}

/** One line of usage for error messages. */
export function renderUsageLine (table: ConfigTable): string {
  return `Usage: ${table.program} [flags]   (see ${table.program} --help)`
}

/** A Markdown table of the flags, for package READMEs. */
export function renderMarkdownTable (table: ConfigTable): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
  const rows = ['| flag | env | default | meaning |', '| --- | --- | --- | --- |']
  for (const spec of table.options) {
    if (spec.hidden === true) continue
    const flag = spec.envOnly === true ? '(env only)' : `\`--${spec.name}\`${spec.short !== undefined ? ` / \`-${spec.short}\`` : ''}`
    const envs = envNames(table, spec).map((e) => `\`${e}\``).join(', ')
    const d = defaultText(spec)
    const req = spec.required === true ? ' (required)' : ''
    rows.push(`| ${flag} | ${envs} | ${d === '' ? '' : '`' + esc(d) + '`'} | ${esc(spec.help)}${req} |`)
  }
  return rows.join('\n') + '\n'
}

/** A copy of the config with secret options replaced, safe to log. */
export function redact (table: ConfigTable, config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config }
  for (const spec of table.options) {
    const key = optionKey(spec)
    if (spec.secret === true && out[key] !== undefined && out[key] !== '') out[key] = '[redacted]'
  }
  return out
}
