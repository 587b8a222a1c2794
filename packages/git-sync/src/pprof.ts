// --http-pprof: the anchor serves Go's pprof at /debug/pprof/; we serve Node's equivalents
// there: a heap snapshot and a CPU profile (both loadable in Chrome DevTools).

import type { Session as InspectorSession } from 'node:inspector'
import type { getHeapSnapshot as GetHeapSnapshot } from 'node:v8'
import { createRequire } from 'node:module'
import type { Route } from '@pod-patterns/runtime'

// Loaded on the first request, not at start-up: most runs never serve a profile.
const require = createRequire(import.meta.url)
const inspector = (): { Session: typeof InspectorSession } => require('node:inspector') as { Session: typeof InspectorSession }
const v8 = (): { getHeapSnapshot: typeof GetHeapSnapshot } => require('node:v8') as { getHeapSnapshot: typeof GetHeapSnapshot }

async function cpuProfile (ms: number): Promise<string> {
  const session = new (inspector().Session)()
  session.connect()
  const post = async (method: string, params?: object): Promise<unknown> => await new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err, result) => { if (err !== null) reject(err); else resolve(result) })
  })
  try {
    await post('Profiler.enable')
    await post('Profiler.start')
    await new Promise((resolve) => setTimeout(resolve, ms))
    const { profile } = await post('Profiler.stop') as { profile: unknown }
    return JSON.stringify(profile)
  } finally {
    session.disconnect()
  }
}

export function pprofRoutes (): Route[] {
  return [
    {
      path: '/debug/pprof/',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<html><body><h1>/debug/pprof/</h1><ul>' +
          '<li><a href="heap">heap</a>: a V8 heap snapshot (.heapsnapshot)</li>' +
          '<li><a href="profile?seconds=5">profile?seconds=N</a>: a V8 CPU profile (.cpuprofile)</li>' +
          '</ul></body></html>\n')
      }
    },
    {
      path: '/debug/pprof/heap',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-disposition': 'attachment; filename="git-sync.heapsnapshot"' })
        v8().getHeapSnapshot().pipe(res)
      }
    },
    {
      path: '/debug/pprof/profile',
      handler: async (req, res) => {
        const q = new URL(req.url ?? '/', 'http://x').searchParams.get('seconds')
        const seconds = Math.min(60, Math.max(0.1, Number(q ?? '5') || 5))
        const body = await cpuProfile(seconds * 1000)
        res.writeHead(200, { 'content-type': 'application/json', 'content-disposition': 'attachment; filename="git-sync.cpuprofile"' })
        res.end(body)
      }
    }
  ]
}
