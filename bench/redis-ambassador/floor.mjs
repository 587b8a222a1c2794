#!/usr/bin/env node
// A measuring stick, not a product: the least a Node proxy built like the ambassador does per
// request. It reads sockets the way the ambassador does (one reused read buffer, no stream
// events), sends GET to the replica and every other command to the primary over one shared
// connection each, batches each turn's writes into one per socket, and keeps each client's
// replies in order. It has no command table, limits, metrics, health checks, failover or error
// handling, and understands only what redis-benchmark's SET/GET runs send. run.mjs measures it
// beside the ambassador at -P 1 to show where Node itself puts the floor on this machine.
//
//   node bench/redis-ambassador/floor.mjs LISTEN_PORT PRIMARY_PORT REPLICA_PORT

import net from 'node:net'

const [listenPort, primaryPort, replicaPort] = process.argv.slice(2).map(Number)
if (!(listenPort > 0 && primaryPort > 0 && replicaPort > 0)) {
  process.stderr.write('usage: floor.mjs LISTEN_PORT PRIMARY_PORT REPLICA_PORT\n')
  process.exit(2)
}

const READ = Buffer.allocUnsafe(64 * 1024)
const copyRead = (n) => { const b = Buffer.allocUnsafe(n); READ.copy(b, 0, 0, n); return b }

// Everything written during one turn goes out in one write per socket.
const dirty = []
let scheduled = false
const flushAll = () => {
  scheduled = false
  for (const f of dirty) f.flush()
  dirty.length = 0
}
const markDirty = (f) => {
  if (f.queued) return
  f.queued = true
  dirty.push(f)
  if (!scheduled) { scheduled = true; setImmediate(flushAll) }
}
const flushOut = (f) => {
  f.queued = false
  if (f.out.length === 0) return
  f.socket.write(f.out.length === 1 ? f.out[0] : Buffer.concat(f.out))
  f.out = []
}

/** End of the RESP value starting at i in b, or -1 if it is not all there. */
function valueEnd (b, i) {
  const cr = b.indexOf(13, i)
  if (cr < 0) return -1
  const type = b[i]
  if (type === 36) { // $ bulk string
    const len = Number(b.latin1Slice(i + 1, cr))
    const end = len < 0 ? cr + 2 : cr + 4 + len
    return end > b.length ? -1 : end
  }
  if (type === 42) { // * array
    let at = cr + 2
    for (let n = Number(b.latin1Slice(i + 1, cr)); n > 0; n--) {
      at = valueEnd(b, at)
      if (at < 0) return -1
    }
    return at
  }
  return cr + 2
}

/** Hands each whole RESP value of the n bytes just read to onValue; keeps a partial one for the next read. */
function eachValue (holder, n, onValue) {
  let b = copyRead(n)
  if (holder.rest !== null) { b = Buffer.concat([holder.rest, b]); holder.rest = null }
  let at = 0
  while (at < b.length) {
    const end = valueEnd(b, at)
    if (end < 0) break
    onValue(b, at, end)
    at = end
  }
  if (at < b.length) holder.rest = b.subarray(at)
}

function upstream (port) {
  const up = { socket: null, out: [], queued: false, slots: [], head: 0, rest: null, flush () { flushOut(up) } }
  up.socket = net.connect({
    host: '127.0.0.1',
    port,
    onread: {
      buffer: READ,
      callback: (n) => {
        eachValue(up, n, (b, start, end) => {
          const slot = up.slots[up.head]
          up.slots[up.head++] = undefined
          slot.reply = b.subarray(start, end)
          slot.client.settle()
        })
        if (up.head > 4096) { up.slots = up.slots.slice(up.head); up.head = 0 }
        return true
      }
    }
  })
  up.socket.setNoDelay(true)
  return up
}

const primary = upstream(primaryPort)
const replica = upstream(replicaPort)

/** Is the request at [start, end) a GET? (`*2\r\n$3\r\nGET\r\n…`, any case) */
function isGet (b, start) {
  const name = b.indexOf(36, start) // the first bulk string's '$'
  return b[name + 1] === 51 && b[name + 2] === 13 && (b[name + 4] | 32) === 103 && (b[name + 5] | 32) === 101 && (b[name + 6] | 32) === 116
}

net.createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
  const client = {
    socket: null,
    out: [],
    queued: false,
    pending: [], // slots in request order; replies leave only from the front
    rest: null,
    flush () { flushOut(client) },
    settle () {
      while (client.pending.length > 0 && client.pending[0].reply !== null) client.out.push(client.pending.shift().reply)
      if (client.out.length > 0) markDirty(client)
    }
  }
  client.socket = new net.Socket({
    handle: accepted._handle,
    onread: {
      buffer: READ,
      callback: (n) => {
        eachValue(client, n, (b, start, end) => {
          const up = isGet(b, start) ? replica : primary
          const slot = { client, reply: null }
          client.pending.push(slot)
          up.slots.push(slot)
          up.out.push(b.subarray(start, end))
          markDirty(up)
        })
        return true
      }
    }
  })
  client.socket.on('error', () => { client.socket.destroy() })
  client.socket.once('close', () => { accepted.destroy() })
  accepted.on('error', () => {})
}).listen(listenPort, '127.0.0.1')
