#!/usr/bin/env node
// The bench's UDP load generator, run as its own process so the measuring process's event
// loop does not pace it. Kept as cheap as Node allows: one pre-built datagram, a connected
// socket (no address lookup per send), sends paced by elapsed time (catching up after a
// stall instead of drifting), no per-send callback. Prints {sent, packets, ms} as JSON.
//
//   node sender.mjs PORT LINES_PER_PACKET LINES_PER_SECOND DURATION_MS METRIC

import dgram from 'node:dgram'
import { performance } from 'node:perf_hooks'

const [port, perPacket, rate, durationMs] = process.argv.slice(2, 6).map(Number)
const metric = process.argv[6]
const packet = Buffer.from(Array(perPacket).fill(`${metric}:1|c`).join('\n'))
const packetsPerMs = rate / perPacket / 1000
const total = Math.round(packetsPerMs * durationMs)

const sock = dgram.createSocket('udp4')
sock.on('error', () => { /* ECONNREFUSED from a closed peer: counted as loss by the bench */ })
await new Promise((resolve) => sock.connect(port, '127.0.0.1', resolve))

let packets = 0
const t0 = performance.now()
await new Promise((resolve) => {
  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - t0) * packetsPerMs))
    while (packets < due) { sock.send(packet); packets++ }
    if (packets >= total) resolve()
    else setTimeout(tick, 1)
  }
  tick()
})
const ms = performance.now() - t0
// Let queued sends leave before closing.
await new Promise((resolve) => setTimeout(resolve, 50))
sock.close()
process.stdout.write(JSON.stringify({ sent: packets * perPacket, packets, ms }) + '\n')
