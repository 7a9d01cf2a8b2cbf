/**
 * The consumer's low-latency mode (`wakeup: 'poll'`): when frames come at a
 * steady rate, do not wait for the kernel to deliver a wake-up at all.
 * Learn the producer's rhythm from the publish times of the frames
 * received, wake (on a timerfd, one hop) a margin before the next frame is
 * due, and poll the stream's notify word until the frame lands or a
 * bounded window passes. While it waits for its early wake the consumer
 * also sleeps as usual (on its wake socket), so a frame that comes earlier
 * than predicted still wakes it at once; when it polls, it says it is
 * awake, so the producer sends nothing.
 *
 * A paced producer publishes on a grid (frame k at start + k x period)
 * plus its own wake-up delay, which is never negative; so the prediction
 * follows the grid, not the last publish (whose delay would add to the
 * error): the grid's phase is pulled to any frame that came earlier than
 * it says, and drifts slowly toward the frames otherwise. The margin is
 * the 90th percentile, over the last 32 frames, of how late the timer
 * fired plus how much earlier than predicted the frame came; the window
 * after the predicted time is the 90th percentile of how much later it
 * came (both retuned every 16 frames, off the per-frame path). The CPU the
 * mode costs is the polling, about margin plus lateness per frame:
 * `spinUsPerFrame` in the stats, printed by
 * `npm run bench` beside the latency.
 */
import { PreciseTimer } from '../native/precise-timer.js';

/**
 * Bounds of the margin before the predicted time and of the window after
 * it: they cap the polling per frame at half a millisecond. Frames that
 * come outside them wake the consumer the usual way.
 */
const MIN_MARGIN_NS = 30_000;
const MAX_MARGIN_NS = 300_000;
const MIN_WINDOW_NS = 30_000;
const MAX_WINDOW_NS = 200_000;
/** Samples the percentiles are taken over. */
const HISTORY = 32;
/** Intervals seen before predicting. */
const WARM_UP = 4;

/** What the low-latency mode did, for stats(). */
export interface EarlyWakeStats {
  /** frames found by polling after an early wake */
  hits: number;
  /** frames that came before the early wake (they woke the consumer the usual way) */
  early: number;
  /** early wakes after which no frame came within the window (the consumer slept the usual way) */
  misses: number;
  /** the current margin before a frame is due, microseconds */
  marginUs: number;
  /** polling time per frame received, microseconds: the mode's CPU cost */
  spinUsPerFrame: number;
}

/** Quantiles of the last HISTORY values (slots not yet filled count as 0). */
class Recent {
  private readonly values = new Float64Array(HISTORY);
  private readonly sorted = new Float64Array(HISTORY);
  private next = 0;

  add(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % HISTORY;
  }

  /** The q-quantile; sorts HISTORY numbers, so call it now and then, not per frame. */
  quantile(q: number): number {
    this.sorted.set(this.values);
    this.sorted.sort();
    return this.sorted[Math.floor(q * (HISTORY - 1))]!;
  }
}

/** Frames between two updates of the margin and the window (their sorting is kept off the per-frame path). */
const RETUNE_EVERY = 16;
/** The quantile of the recent errors the margin and the window cover: higher costs more polling, lower lets more frames come outside them. */
const COVER = 0.9;

export class EarlyWake {
  readonly timer = new PreciseTimer();
  private periodNs = 0;
  private intervals = 0;
  private lastSeq = 0;
  private lastPublishNs = 0;
  /** the grid: where frame gridSeq was due (0: not known) */
  private gridNs = 0;
  private gridSeq = 0;
  private readonly lead = new Recent(); // timer lateness + arrival earliness
  private readonly lag = new Recent(); // arrival lateness
  private marginNs = MIN_MARGIN_NS * 4;
  private windowNs = MIN_WINDOW_NS * 4;
  private dueNs = 0;
  private wakeNs = 0;
  private timerLateNs = 0;
  private woke = false;
  /** the prediction for dueNs was used; do not plan it again */
  private tried = false;
  private hits = 0;
  private early = 0;
  private misses = 0;
  private frames = 0;
  private spinNs = 0;

  /** Notes a frame received: its sequence and publish time (monotonic ns). */
  observe(seq: number, publishNs: number): void {
    this.frames++;
    if (seq === this.lastSeq + 1 && this.lastPublishNs > 0) {
      const interval = publishNs - this.lastPublishNs;
      if (interval > 0 && interval < 1e9) {
        // A running mean, robust to a missed frame or a stall once warm.
        if (this.intervals < WARM_UP) this.periodNs = this.intervals === 0 ? interval : (this.periodNs + interval) / 2;
        else if (interval < 1.5 * this.periodNs && interval > 0.5 * this.periodNs) this.periodNs += (interval - this.periodNs) / 8;
        this.intervals++;
      }
    }
    if (this.intervals >= WARM_UP) {
      const onGrid = this.gridNs === 0 ? publishNs : this.gridNs + (seq - this.gridSeq) * this.periodNs;
      // Earlier than the grid says: that is the grid. Later: drift toward it slowly.
      this.gridNs = publishNs <= onGrid ? publishNs : onGrid + (publishNs - onGrid) / 64;
      this.gridSeq = seq;
    }
    if (this.dueNs > 0) {
      const error = this.dueNs - publishNs; // > 0: it came earlier than predicted
      this.lead.add((this.woke ? this.timerLateNs : 0) + Math.max(0, error));
      this.lag.add(Math.max(0, -error));
      if (this.frames % RETUNE_EVERY === 0) {
        this.marginNs = clamp(this.lead.quantile(COVER) + 10_000, MIN_MARGIN_NS, Math.min(MAX_MARGIN_NS, this.periodNs / 3));
        this.windowNs = clamp(this.lag.quantile(COVER) + 10_000, MIN_WINDOW_NS, MAX_WINDOW_NS);
      }
      if (!this.woke) this.early++;
    }
    this.lastSeq = seq;
    this.lastPublishNs = publishNs;
    this.dueNs = 0;
    this.woke = false;
    this.tried = false;
  }

  /** Forgets the rhythm (a new producer). */
  reset(): void {
    this.intervals = 0;
    this.lastSeq = 0;
    this.lastPublishNs = 0;
    this.gridNs = 0;
    this.dueNs = 0;
    this.tried = false;
  }

  /**
   * When to wake for the next frame (monotonic ns), or undefined: the
   * rhythm is not known yet, or this frame's early wake was used already
   * (sleep the usual way now). A time already past means "poll now".
   */
  plan(): number | undefined {
    if (this.intervals < WARM_UP || this.tried || this.gridNs === 0) return undefined;
    this.tried = true;
    this.woke = false;
    this.dueNs = this.gridNs + (this.lastSeq + 1 - this.gridSeq) * this.periodNs;
    this.wakeNs = this.dueNs - this.marginNs;
    return this.wakeNs;
  }

  /** At the early wake: polls `arrived` until it is true or the window after the due time ends. Returns whether it arrived. */
  poll(arrived: () => boolean, nowNs: number): boolean {
    this.woke = true;
    this.timerLateNs = Math.max(0, nowNs - this.wakeNs);
    const limitNs = Math.min(this.dueNs + this.windowNs, nowNs + MAX_MARGIN_NS + MAX_WINDOW_NS);
    // performance.now() allocates nothing; hrtime.bigint() would, per check.
    const startMs = performance.now();
    const limitMs = startMs + (limitNs - nowNs) / 1e6;
    let found = false;
    for (let i = 0; ; i++) {
      if (arrived()) {
        found = true;
        break;
      }
      if ((i & 15) === 15 && performance.now() > limitMs) break;
    }
    this.spinNs += (performance.now() - startMs) * 1e6;
    if (found) this.hits++;
    else this.misses++;
    return found;
  }

  stats(): EarlyWakeStats {
    return {
      hits: this.hits,
      early: this.early,
      misses: this.misses,
      marginUs: this.marginNs / 1000,
      spinUsPerFrame: this.frames ? this.spinNs / this.frames / 1000 : 0,
    };
  }

  close(): void {
    this.timer.close();
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
