/**
 * What a benchmark consumer notes per frame and reports at its end, shared
 * by every Node consumer of `npm run bench` so each row pays the same:
 * one call per frame, no allocation. Latency is per frame; CPU (the
 * process's user + system) counts the frames after the first WARM_UP_FRAMES,
 * which are start-up (first touches, code warming), up to the last frame
 * the benchmark publishes (`--frames N`): what a consumer does after the
 * stream ends (a vidbus consumer unmaps the whole ring, 66 MB at 1080p
 * with 8 slots) is not per-frame cost. bench/c/gst-probe.c counts
 * GStreamer's consumers the same way.
 */
import { option } from './args.js';
export const WARM_UP_FRAMES = 10;

export class FrameRecorder {
  private readonly latencies = new Float64Array(1 << 20);
  private received = 0;
  private cpuStart: NodeJS.CpuUsage | undefined;
  private cpuEnd: NodeJS.CpuUsage | undefined;
  private first = 0n;
  private last = 0n;
  /** the frames the benchmark publishes (`--frames`; 0: unknown, CPU up to report()) */
  private readonly expected = Number(option('--frames', '0'));

  /**
   * Frame `seq` (1 for the first published; default: the count so far),
   * published at `publishedNs`, reached the consumer at `nowNs` (both
   * CLOCK_MONOTONIC). The CPU window closes at the last published frame,
   * which every consumer gets even when it skips some.
   */
  note(nowNs: bigint, publishedNs: bigint, seq = this.received + 1): void {
    if (this.received === 0) this.first = nowNs;
    else if (this.received === WARM_UP_FRAMES) this.cpuStart = process.cpuUsage();
    this.last = nowNs;
    if (this.received < this.latencies.length) this.latencies[this.received] = Number(nowNs - publishedNs) / 1000;
    this.received++;
    if (seq === this.expected && this.cpuStart) this.cpuEnd = process.cpuUsage(this.cpuStart);
  }

  /** The one JSON line the benchmark reads (bench/gst-probe.ts ConsumerReport), with `extra` fields. */
  report(extra: object = {}): string {
    const cpu = this.cpuEnd ?? (this.cpuStart ? process.cpuUsage(this.cpuStart) : { user: 0, system: 0 });
    const counted = Math.min(this.received, this.latencies.length);
    return `${JSON.stringify({
      received: this.received,
      seconds: Number(this.last - this.first) / 1e9,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuFrames: this.cpuStart ? this.received - WARM_UP_FRAMES : 0,
      latencies: Array.from(this.latencies.subarray(0, counted)),
      ...extra,
    })}\n`;
  }
}
