/**
 * PreciseTimer: a one-shot timer at an absolute CLOCK_MONOTONIC time in
 * nanoseconds, delivered on the event loop through a timerfd (the kernel's
 * hrtimer precision, where libuv timers have milliseconds). The consumer's
 * low-latency mode wakes with it just before a frame is due.
 */
import { closeFd } from './shm.js';
import { FdWatch } from './fd-watch.js';
import { loadNative } from './binding.js';
import { VidbusError } from '../errors.js';

export class PreciseTimer implements Disposable {
  private fd: number;
  private readonly watch: FdWatch;
  private callback: (() => void) | undefined;
  private readonly onReady = (): void => {
    // The watch has read the timerfd's count already (drain 'counter').
    const callback = this.callback;
    if (callback === undefined) return; // cancelled after it fired
    this.callback = undefined;
    this.watch.keepAlive(false);
    callback();
  };

  constructor() {
    this.fd = loadNative().timerCreate();
    this.watch = new FdWatch(this.fd, this.onReady, { drain: 'counter' });
    this.watch.keepAlive(false);
  }

  /** Calls `callback` once at monotonic time `atNs` (at once if it has passed); replaces a pending one. */
  at(atNs: number, callback: () => void): void {
    if (this.fd < 0) throw new VidbusError('ERR_CLOSED', 'the timer is closed');
    this.callback = callback;
    this.watch.keepAlive(true);
    loadNative().timerArm(this.fd, Math.max(1, atNs));
  }

  /** True while a callback is pending. */
  get armed(): boolean {
    return this.callback !== undefined;
  }

  /** Drops the pending callback (the timer may still fire; it is then ignored). */
  cancel(): void {
    if (this.callback === undefined) return;
    this.callback = undefined;
    this.watch.keepAlive(false);
    if (this.fd >= 0) loadNative().timerArm(this.fd, 0);
  }

  /** Runs the pending callback now instead of at its time (ending a wait early). */
  fireNow(): void {
    const callback = this.callback;
    if (callback === undefined) return;
    this.cancel();
    callback();
  }

  /** Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    this.callback = undefined;
    this.watch.stop();
    closeFd(this.fd);
    this.fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
