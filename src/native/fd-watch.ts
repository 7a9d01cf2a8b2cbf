/**
 * FdWatch: a file descriptor's readiness reported on Node's own event
 * loop (libuv's uv_poll, i.e. epoll), with no thread in between. Capture
 * devices say "a frame is ready" through it, and bus consumers are woken
 * through their wake socket with it (src/bus/wake.ts).
 */
import { loadNative, type FdWatchHandle } from './binding.js';

/** libuv poll events. */
export const POLL_EVENT = { READABLE: 1, DISCONNECT: 4 } as const;

/**
 * What the watch takes from the fd itself, so that the callback makes no
 * native call (each costs microseconds on a CPU that was idle):
 * - 'datagram' (a wake socket): one datagram, after the callback returns,
 *   so reading it costs no latency; one per report, so a datagram that
 *   arrives while the callback runs is reported next;
 * - 'counter' (a timerfd or eventfd): its 8-byte count, before the callback.
 */
export type FdDrain = 'none' | 'datagram' | 'counter';

const DRAIN_CODES: Record<FdDrain, number> = { none: 0, datagram: 1, counter: 2 };

/** Options of an FdWatch. */
export interface FdWatchOptions {
  /** taken from the fd before each report (default 'none') */
  drain?: FdDrain;
  /** element 0 gets CLOCK_MONOTONIC ns at each report, before the callback (its own ArrayBuffer; kept alive by the watch) */
  stamp?: BigInt64Array;
}

/** Calls `onReady(status, events)` whenever `fd` is readable or fails. Stop it before closing the fd. */
export class FdWatch implements Disposable {
  private handle: FdWatchHandle | undefined;

  constructor(fd: number, onReady: (status: number, events: number) => void, options: FdWatchOptions = {}) {
    this.handle = loadNative().fdWatchStart(fd, onReady, DRAIN_CODES[options.drain ?? 'none'], options.stamp);
  }

  /** Whether this watch keeps the process alive (it does unless told otherwise). No system call. */
  keepAlive(keep: boolean): void {
    if (this.handle) loadNative().fdWatchRef(this.handle, keep);
  }

  /** Idempotent. */
  stop(): void {
    if (this.handle) loadNative().fdWatchStop(this.handle);
    this.handle = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}
