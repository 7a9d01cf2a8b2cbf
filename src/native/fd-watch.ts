/**
 * FdWatch: a file descriptor's readiness reported on Node's own event
 * loop (libuv's uv_poll, i.e. epoll), with no thread in between. Capture
 * devices say "a frame is ready" through it, and bus consumers are woken
 * through their wake socket with it (src/bus/wake.ts).
 */
import { loadNative, type FdWatchHandle } from './binding.js';

/** libuv poll events. */
export const POLL_EVENT = { READABLE: 1, DISCONNECT: 4 } as const;

/** Calls `onReady(status, events)` whenever `fd` is readable or fails. Stop it before closing the fd. */
export class FdWatch implements Disposable {
  private handle: FdWatchHandle | undefined;

  constructor(fd: number, onReady: (status: number, events: number) => void) {
    this.handle = loadNative().fdWatchStart(fd, onReady);
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
