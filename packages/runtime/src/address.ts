// Listen/connect addresses as users write them: `host:port`, `:port`, `[::1]:port`, `unix:/path`.

import { UsageError } from './errors.js'

export type Address =
  | { kind: 'tcp', host: string, port: number }
  | { kind: 'unix', path: string }

/**
 * Parses an address. An empty host (`:9102`) means all interfaces, as in Go; pass
 * `defaultHost` to choose another. Throws UsageError naming `flag`.
 */
export function parseAddress (text: string, flag = 'address', defaultHost = '0.0.0.0'): Address {
  const t = text.trim()
  if (t.startsWith('unix:')) {
    const path = t.slice(5)
    if (path === '') throw new UsageError(`invalid address ${JSON.stringify(text)} for ${flag}: unix: needs a path`, flag)
    return { kind: 'unix', path }
  }
  if (t.startsWith('/')) return { kind: 'unix', path: t }
  let host: string
  let portText: string
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(t)
  if (bracket !== null) {
    host = bracket[1] as string
    portText = bracket[2] as string
  } else {
    const i = t.lastIndexOf(':')
    if (i === -1) throw new UsageError(`invalid address ${JSON.stringify(text)} for ${flag}: expected HOST:PORT`, flag)
    host = t.slice(0, i)
    portText = t.slice(i + 1)
    if (host.includes(':')) throw new UsageError(`invalid address ${JSON.stringify(text)} for ${flag}: put IPv6 hosts in brackets, e.g. [::1]:${portText}`, flag)
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new UsageError(`invalid port ${JSON.stringify(portText)} in ${JSON.stringify(text)} for ${flag}`, flag)
  }
  return { kind: 'tcp', host: host === '' ? defaultHost : host, port: Number(portText) }
}

export function formatAddress (a: Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
