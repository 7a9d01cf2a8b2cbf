/**
 * Monotonic frame pacing: due times at start + n * period on CLOCK_MONOTONIC.
 * A late caller skips the slots it missed instead of catching up, so latency
 * never builds up.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class Pacer {
  private readonly periodNs: bigint;
  private nextDue: bigint;

  constructor(fps: number) {
    this.periodNs = BigInt(Math.round(1e9 / fps));
    this.nextDue = process.hrtime.bigint() + this.periodNs;
  }

  /** Resolves when the next frame is due (at once, if it is already late). */
  async wait(signal?: AbortSignal): Promise<void> {
    const now = process.hrtime.bigint();
    if (now >= this.nextDue) {
      this.nextDue += ((now - this.nextDue) / this.periodNs + 1n) * this.periodNs;
      return;
    }
    const ms = Number(this.nextDue - now) / 1e6;
    this.nextDue += this.periodNs;
    await sleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
  }
}
