/** Publish-to-receive latency: the last N samples, percentiles on demand. */

export interface LatencySummary {
  /** samples in the window */
  count: number;
  /** median, microseconds */
  p50Us: number;
  /** 99th percentile, microseconds */
  p99Us: number;
  /** largest sample, microseconds */
  maxUs: number;
}

export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  private maxUs = 0;

  constructor(size = 4096) {
    this.samples = new Float64Array(size);
  }

  add(us: number): void {
    this.samples[this.next] = us;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
    if (us > this.maxUs) this.maxUs = us;
  }

  summary(): LatencySummary {
    if (this.filled === 0) return { count: 0, p50Us: 0, p99Us: 0, maxUs: 0 };
    const sorted = this.samples.slice(0, this.filled).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { count: this.filled, p50Us: at(0.5), p99Us: at(0.99), maxUs: this.maxUs };
  }
}

/** Percentile of an unsorted list (for benchmarks and tools). */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
