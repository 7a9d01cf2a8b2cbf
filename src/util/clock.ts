/**
 * Clocks. Monotonic time is CLOCK_MONOTONIC in nanoseconds, which every
 * process on the machine shares, so a publish stamp from one process can
 * be subtracted from a receive stamp in another.
 */
import { performance } from 'node:perf_hooks';

export function monoNs(): bigint {
  return process.hrtime.bigint();
}

/** Wall-clock time in nanoseconds since the Unix epoch. */
export function wallNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
