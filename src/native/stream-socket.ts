/**
 * A connected AF_UNIX stream socket read on Node's event loop (FdWatch)
 * that can pass a file descriptor with what it sends. Node's `net` module
 * cannot pass descriptors; the X11 screen source needs it to hand the X
 * server the bus's shared memory (MIT-SHM ShmAttachFd).
 */
import { loadNative } from './binding.js';
import { FdWatch, POLL_EVENT } from './fd-watch.js';
import { closeFd } from './shm.js';

/** What the socket reports: bytes as they arrive, then its end (with the error, if it failed). */
export interface StreamSocketEvents {
  onData(chunk: Uint8Array): void;
  onEnd(error?: Error): void;
}

const READ_CHUNK = 64 * 1024;
/** Something to Atomics.wait on for a millisecond. */
const pause = new Int32Array(new SharedArrayBuffer(4));

export class StreamSocket implements Disposable {
  private fd: number;
  private watch: FdWatch | undefined;
  private readonly buffer = new Uint8Array(READ_CHUNK);
  private ended = false;

  /** Connects to `path` (a file, or a name in the abstract namespace). Throws the connect error (ERR_SYSCALL with errno ENOENT, ECONNREFUSED, ...). */
  constructor(path: string, abstract: boolean, private readonly events: StreamSocketEvents) {
    this.fd = loadNative().streamSocketConnect(path, abstract);
    this.watch = new FdWatch(this.fd, (status, pollEvents) => this.readable(status, pollEvents));
  }

  /**
   * Sends all of `bytes`, with `passFd` attached to the first byte when given.
   * Requests are small and the kernel's buffer large, so a full socket is
   * rare; it is waited out briefly rather than queued (a queue would have
   * to keep the descriptor's place in the byte stream).
   */
  send(bytes: Uint8Array, passFd = -1): void {
    if (this.fd < 0) return;
    const native = loadNative();
    let offset = 0;
    let fd = passFd;
    let spins = 0;
    while (offset < bytes.length) {
      const n = native.streamSocketSend(this.fd, bytes.subarray(offset), fd);
      if (n < 0) {
        // The server is not reading; give it a moment (bounded, ~1 s).
        if (++spins > 1000) throw new Error('the peer stopped reading the socket');
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      offset += n;
      if (n > 0) fd = -1;
    }
  }

  private readable(status: number, pollEvents: number): void {
    if (this.fd < 0) return;
    const native = loadNative();
    try {
      for (;;) {
        const n = native.streamSocketReceive(this.fd, this.buffer);
        if (n < 0) break;
        if (n === 0) return this.end();
        this.events.onData(this.buffer.subarray(0, n));
        if (this.fd < 0) return; // closed by onData
      }
      if (status < 0 || pollEvents & POLL_EVENT.DISCONNECT) this.end();
    } catch (e) {
      this.end(e as Error);
    }
  }

  private end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.close();
    this.events.onEnd(error);
  }

  /** Stops reading and closes the socket. Idempotent; onEnd is not called for it. */
  close(): void {
    this.ended = true;
    this.watch?.stop();
    this.watch = undefined;
    if (this.fd >= 0) closeFd(this.fd);
    this.fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
