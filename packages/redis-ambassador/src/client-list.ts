// CLIENT LIST / CLIENT INFO lines and CLIENT KILL filters from the ambassador's own view of its
// clients: the upstream connections are shared, so Redis's view would show the ambassador.

/** What CLIENT LIST shows about one client connection. */
export interface ClientView {
  id: number
  addr: string
  laddr: string
  name: string
  ageSec: number
  idleSec: number
  /** Redis client flags: N normal, x in MULTI, P pub/sub, O monitor, t tracking, b blocked, e no-evict. */
  flags: string
  db: number
  sub: number
  psub: number
  ssub: number
  multi: number
  qbuf: number
  omem: number
  user: string
  libName: string
  libVer: string
  resp: number
}

/** One line as Redis formats it (fields the ambassador knows; no trailing newline). */
export function clientLine (v: ClientView): string {
  return `id=${v.id} addr=${v.addr} laddr=${v.laddr} fd=-1 name=${v.name} age=${v.ageSec} idle=${v.idleSec} flags=${v.flags} ` +
    `db=${v.db} sub=${v.sub} psub=${v.psub} ssub=${v.ssub} multi=${v.multi} qbuf=${v.qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 ` +
    `rbs=0 rbp=0 obl=0 oll=0 omem=${v.omem} tot-mem=${v.qbuf + v.omem} events=r cmd=NULL user=${v.user} redir=-1 resp=${v.resp} ` +
    `lib-name=${v.libName} lib-ver=${v.libVer}`
}

/** The CLIENT LIST / CLIENT KILL `TYPE`: pubsub for subscribers and MONITOR? Redis counts MONITOR as normal. */
function typeOf (v: ClientView): string {
  return v.flags.includes('P') ? 'pubsub' : 'normal'
}

const TYPES = new Set(['normal', 'pubsub', 'master', 'replica', 'slave'])

/** Parses `CLIENT LIST [TYPE t] [ID id ...]`; returns a filter or an error line. */
export function parseListFilter (args: string[]): ((v: ClientView) => boolean) | string {
  let type: string | undefined
  let ids: Set<number> | undefined
  for (let i = 0; i < args.length; i++) {
    const opt = (args[i] as string).toLowerCase()
    if (opt === 'type' && i + 1 < args.length) {
      type = (args[++i] as string).toLowerCase()
      if (!TYPES.has(type)) return `ERR Unknown client type '${args[i] as string}'`
    } else if (opt === 'id' && i + 1 < args.length) {
      ids = new Set()
      for (i++; i < args.length; i++) {
        const n = Number(args[i])
        if (!Number.isInteger(n) || n <= 0) return 'ERR Invalid client ID'
        ids.add(n)
      }
    } else {
      return 'ERR syntax error'
    }
  }
  return (v) => (type === undefined || typeOf(v) === type) && (ids === undefined || ids.has(v.id))
}

export interface KillFilter {
  match: (v: ClientView) => boolean
  skipMe: boolean
  /** The old form `CLIENT KILL addr:port`: replies OK or an error instead of a count. */
  legacy: boolean
}

/** Parses `CLIENT KILL addr:port` or `CLIENT KILL <filter value> ...`; returns filters or an error line. */
export function parseKillFilter (args: string[]): KillFilter | string {
  if (args.length === 1) {
    const addr = args[0] as string
    return { match: (v: ClientView) => v.addr === addr, skipMe: false, legacy: true }
  }
  if (args.length === 0 || args.length % 2 !== 0) return 'ERR syntax error'
  const tests: Array<(v: ClientView) => boolean> = []
  let skipMe = true
  for (let i = 0; i < args.length; i += 2) {
    const opt = (args[i] as string).toLowerCase()
    const val = args[i + 1] as string
    switch (opt) {
      case 'id': {
        const n = Number(val)
        if (!Number.isInteger(n) || n <= 0) return 'ERR client-id should be greater than 0'
        tests.push((v) => v.id === n)
        break
      }
      case 'addr': tests.push((v) => v.addr === val); break
      case 'laddr': tests.push((v) => v.laddr === val); break
      case 'user': tests.push((v) => v.user === val); break
      case 'type': {
        const t = val.toLowerCase()
        if (!TYPES.has(t)) return `ERR Unknown client type '${val}'`
        tests.push((v) => typeOf(v) === t)
        break
      }
      case 'maxage': {
        const n = Number(val)
        if (!Number.isInteger(n)) return 'ERR value is not an integer or out of range'
        tests.push((v) => v.ageSec >= n)
        break
      }
      case 'skipme': {
        const y = val.toLowerCase()
        if (y !== 'yes' && y !== 'no') return 'ERR syntax error'
        skipMe = y === 'yes'
        break
      }
      default:
        return 'ERR syntax error'
    }
  }
  return { match: (v: ClientView) => tests.every((t) => t(v)), skipMe, legacy: false }
}
