// Counters the data path bumps without allocating (plain numbers and small maps), rendered as
// Prometheus text on scrape: commands by route and node, errors by kind, latency, upstream health.

import type { Topology } from './topology.js'

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const MAX_KINDS = 64

export class Metrics {
  /** Replies the ambassador made itself. */
  local = 0
  /** Commands forwarded over pub/sub, MONITOR or tracking pipes. */
  passthrough = 0
  clientsAccepted = 0
  clientsRejected = 0
  private readonly errors = new Map<string, number>()
  private readonly retries = new Map<string, number>()
  private readonly counts = new Float64Array(BUCKETS.length)
  private sum = 0
  private count = 0

  error (kind: string): void {
    const n = this.errors.get(kind)
    if (n !== undefined) this.errors.set(kind, n + 1)
    else if (this.errors.size < MAX_KINDS) this.errors.set(kind, 1)
  }

  retry (reason: string): void {
    const kind = /^[A-Z]+$/.test(reason) ? reason : 'connection_lost'
    this.retries.set(kind, (this.retries.get(kind) ?? 0) + 1)
  }

  /** Records one command's latency (ms) and, when it failed, the server's error prefix. */
  completed (ms: number, errorLine: string | undefined): void {
    const s = ms / 1000
    this.sum += s
    this.count++
    for (let i = 0; i < BUCKETS.length; i++) {
      if (s <= (BUCKETS[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1
        break
      }
    }
    if (errorLine !== undefined) {
      const m = /^[A-Z]{2,20}/.exec(errorLine)
      this.error(m === null ? 'server' : `server_${m[0]}`)
    }
  }

  render (topology: Topology, clients: number): string {
    const lines: string[] = []
    const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    lines.push('# HELP redis_ambassador_commands_total Commands answered, by route and server.')
    lines.push('# TYPE redis_ambassador_commands_total counter')
    if (topology.primary !== undefined) lines.push(`redis_ambassador_commands_total{route="primary",node="${esc(topology.primary.id)}"} ${topology.primary.completed}`)
    for (const r of topology.replicas) lines.push(`redis_ambassador_commands_total{route="replica",node="${esc(r.id)}"} ${r.completed}`)
    lines.push(`redis_ambassador_commands_total{route="local",node="ambassador"} ${this.local}`)
    lines.push(`redis_ambassador_commands_total{route="passthrough",node="primary"} ${this.passthrough}`)
    lines.push('# HELP redis_ambassador_errors_total Errors by kind (server_<PREFIX> for error replies from Redis).')
    lines.push('# TYPE redis_ambassador_errors_total counter')
    for (const [k, v] of this.errors) lines.push(`redis_ambassador_errors_total{kind="${esc(k)}"} ${v}`)
    lines.push('# HELP redis_ambassador_read_retries_total Replica reads moved to another server, by reason.')
    lines.push('# TYPE redis_ambassador_read_retries_total counter')
    for (const [k, v] of this.retries) lines.push(`redis_ambassador_read_retries_total{reason="${esc(k)}"} ${v}`)
    lines.push('# HELP redis_ambassador_command_duration_seconds Time from forwarding a command to its complete reply.')
    lines.push('# TYPE redis_ambassador_command_duration_seconds histogram')
    let cum = 0
    for (let i = 0; i < BUCKETS.length; i++) {
      cum += this.counts[i] as number
      lines.push(`redis_ambassador_command_duration_seconds_bucket{le="${BUCKETS[i] as number}"} ${cum}`)
    }
    lines.push(`redis_ambassador_command_duration_seconds_bucket{le="+Inf"} ${this.count}`)
    lines.push(`redis_ambassador_command_duration_seconds_sum ${this.sum}`)
    lines.push(`redis_ambassador_command_duration_seconds_count ${this.count}`)
    lines.push('# HELP redis_ambassador_upstream_healthy Whether a server is fit for its role (1) or not (0).')
    lines.push('# TYPE redis_ambassador_upstream_healthy gauge')
    lines.push('# HELP redis_ambassador_replica_lag_bytes Replication offset behind the primary.')
    lines.push('# TYPE redis_ambassador_replica_lag_bytes gauge')
    lines.push('# HELP redis_ambassador_upstream_connections Open connections to a server.')
    lines.push('# TYPE redis_ambassador_upstream_connections gauge')
    const nodes = topology.primary === undefined ? topology.replicas : [topology.primary, ...topology.replicas]
    for (const n of nodes) {
      const role = n === topology.primary ? 'primary' : 'replica'
      lines.push(`redis_ambassador_upstream_healthy{node="${esc(n.id)}",role="${role}"} ${n.healthy ? 1 : 0}`)
      lines.push(`redis_ambassador_upstream_connections{node="${esc(n.id)}",role="${role}"} ${n.connectionCount()}`)
      if (role === 'replica') lines.push(`redis_ambassador_replica_lag_bytes{node="${esc(n.id)}"} ${n.lagBytes}`)
    }
    lines.push('# HELP redis_ambassador_clients Client connections open.')
    lines.push('# TYPE redis_ambassador_clients gauge')
    lines.push(`redis_ambassador_clients ${clients}`)
    lines.push('# HELP redis_ambassador_clients_rejected_total Connections refused at --max-clients.')
    lines.push('# TYPE redis_ambassador_clients_rejected_total counter')
    lines.push(`redis_ambassador_clients_rejected_total ${this.clientsRejected}`)
    return lines.join('\n') + '\n'
  }
}
