// Bounded-memory summary: a ring of age buckets, each a fixed-size reservoir, so a timer costs
// at most ageBuckets × RESERVOIR samples however many observations arrive (statsd_exporter's
// summaries grow with traffic). Quantiles are exact while a window holds ≤ RESERVOIR values.

import type { SummaryOptions } from './mapping.js'

export const RESERVOIR = 256

interface AgeBucket { values: number[], seen: number }

export class BoundedSummary {
  count = 0
  sum = 0
  private readonly buckets: AgeBucket[]
  private head = 0
  private rotatedAt: number
  private readonly stepMs: number
  private cached: number[] | undefined

  constructor (private readonly options: SummaryOptions, now: number) {
    const n = Math.max(1, options.ageBuckets)
    this.buckets = Array.from({ length: n }, () => ({ values: [], seen: 0 }))
    this.stepMs = options.maxAgeMs > 0 ? options.maxAgeMs / n : Infinity
    this.rotatedAt = now
  }

  observe (v: number, now: number): void {
    this.count++
    this.sum += v
    if (Number.isNaN(v)) return
    this.rotate(now)
    this.cached = undefined
    // Every live bucket sees the value; the oldest one answers queries (as Go's client does).
    for (const b of this.buckets) {
      b.seen++
      if (b.values.length < RESERVOIR) b.values.push(v)
      else {
        const j = Math.floor(Math.random() * b.seen)
        if (j < RESERVOIR) b.values[j] = v
      }
    }
  }

  private rotate (now: number): void {
    if (this.stepMs === Infinity) return
    while (now - this.rotatedAt >= this.stepMs) {
      const b = this.buckets[this.head] as AgeBucket
      b.values = []
      b.seen = 0
      this.head = (this.head + 1) % this.buckets.length
      this.rotatedAt += this.stepMs
      this.cached = undefined
      if (now - this.rotatedAt > this.stepMs * this.buckets.length) this.rotatedAt = now
    }
  }

  /** Quantile values in the order of options.quantiles (NaN when the window is empty). */
  quantiles (now: number): number[] {
    this.rotate(now)
    if (this.cached !== undefined) return this.cached
    const b = this.buckets[this.head] as AgeBucket
    const sorted = [...b.values].sort((x, y) => x - y)
    this.cached = this.options.quantiles.map(({ quantile }) => {
      if (sorted.length === 0) return NaN
      const rank = Math.max(0, Math.ceil(quantile * sorted.length) - 1)
      return sorted[Math.min(rank, sorted.length - 1)] as number
    })
    return this.cached
  }
}
