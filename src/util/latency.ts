/** Publish-to-receive latency: the last N samples, percentiles on demand. */

export interface LatencySummary {
  /** samples in the window */
  count: number;
  /** median, microseconds */
  p50Us: number;
  /** 99th percentile, microseconds */
  p99Us: number;
  /** largest sample in the window, microseconds */
  maxUs: number;
}

/** The last `size` samples; percentiles and the largest are computed on demand. */
export class LatencyWindow {
  private readonly samples: Float64Array;
  /** samples ever added */
  private written = 0;

  constructor(size = 4096) {
    this.samples = new Float64Array(size);
  }

  add(us: number): void {
    this.samples[this.written++ % this.samples.length] = us;
  }

  /** Percentiles and the largest of the samples in the window. */
  summary(): LatencySummary {
    const filled = Math.min(this.written, this.samples.length);
    if (filled === 0) return { count: 0, p50Us: 0, p99Us: 0, maxUs: 0 };
    const sorted = this.samples.slice(0, filled).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { count: filled, p50Us: at(0.5), p99Us: at(0.99), maxUs: sorted[filled - 1]! };
  }
}

/** Percentile of an unsorted list (for benchmarks and tools). */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
