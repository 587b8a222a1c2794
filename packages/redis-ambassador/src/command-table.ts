// Which commands may go to a replica: built from `COMMAND` on the live primary (so modules and
// newer commands are classified by the server itself), falling back to @ioredis/commands.

import commands from '@ioredis/commands'

export interface CommandInfo {
  /** May be served by a replica: readonly, not blocking, not pub/sub. */
  readonly replicaSafe: boolean
  readonly blocking: boolean
  readonly pubsub: boolean
  /** Flagged write (or may_replicate, e.g. scripts): starts the read-your-writes window. */
  readonly write: boolean
  /** Has subcommands whose flags decide (CLIENT, OBJECT, XINFO, ...). */
  readonly container: boolean
}

const UNKNOWN: CommandInfo = Object.freeze({ replicaSafe: false, blocking: false, pubsub: false, write: true, container: false })

/** Commands whose flags do not say "blocking" but which can block a connection. */
const ALWAYS_BLOCKING = new Set(['wait', 'waitaof'])

function fromFlags (name: string, flags: readonly string[], container: boolean): CommandInfo {
  const readonly = flags.includes('readonly')
  const blocking = flags.includes('blocking') || ALWAYS_BLOCKING.has(name)
  const pubsub = flags.includes('pubsub')
  const write = flags.includes('write') || flags.includes('may_replicate')
  return Object.freeze({ replicaSafe: readonly && !blocking && !pubsub, blocking, pubsub, write, container })
}

export class CommandTable {
  private readonly map = new Map<string, CommandInfo>()
  source: 'server' | 'builtin' = 'builtin'

  constructor () {
    for (const name of commands.list) {
      const flags: string[] = []
      for (const f of ['readonly', 'blocking', 'pubsub', 'write', 'may_replicate']) if (commands.hasFlag(name, f)) flags.push(f)
      this.map.set(name, fromFlags(name, flags, false))
    }
    // The built-in table has no subcommands: mark the well-known containers so their
    // subcommands are classified (read-only ones listed here; the rest go to the primary).
    for (const c of ['client', 'config', 'object', 'memory', 'xinfo', 'script', 'function', 'command', 'pubsub', 'cluster', 'acl', 'latency', 'module', 'slowlog']) {
      this.map.set(c, Object.freeze({ ...UNKNOWN, container: true }))
    }
    for (const sub of ['object|encoding', 'object|freq', 'object|idletime', 'object|refcount', 'memory|usage', 'xinfo|stream', 'xinfo|groups', 'xinfo|consumers']) {
      this.map.set(sub, fromFlags(sub, ['readonly'], false))
    }
  }

  /** Replaces the table with the reply of `COMMAND` (as decoded by ioredis). */
  loadFromCommandReply (reply: unknown): number {
    if (!Array.isArray(reply) || reply.length === 0) return 0
    const next = new Map<string, CommandInfo>()
    const add = (entry: unknown, parent: string | undefined): void => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[2])) return
      const name = (entry[0]).toLowerCase()
      const flags = (entry[2] as unknown[]).map((f) => String(f).toLowerCase())
      const subs = Array.isArray(entry[9]) ? entry[9] as unknown[] : []
      next.set(name, fromFlags(parent === undefined ? name : name.split('|')[0] as string, flags, subs.length > 0))
      for (const s of subs) add(s, name)
    }
    for (const e of reply) add(e, undefined)
    if (next.size === 0) return 0
    this.map.clear()
    for (const [k, v] of next) this.map.set(k, v)
    this.source = 'server'
    return next.size
  }

  /** Info for a lower-case command name; unknown commands go to the primary. */
  get (name: string): CommandInfo {
    return this.map.get(name) ?? UNKNOWN
  }

  /** Info for `name|sub` (lower case), falling back to the container's. */
  getSub (name: string, sub: string): CommandInfo {
    return this.map.get(`${name}|${sub}`) ?? UNKNOWN
  }

  has (name: string): boolean {
    return this.map.has(name)
  }
}
