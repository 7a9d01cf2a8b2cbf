/**
 * Typed wrappers over the addon for the bus: shared-memory files, their
 * mappings, futex wake-ups, waiter threads and liveness locks. Files are
 * opened with node:fs (on Linux shm_open is open() under /dev/shm); the
 * addon only does what node:fs cannot.
 */
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, openSync, type Stats } from 'node:fs';
import { loadNative, type Native, type WaiterHandle, WAIT_CHANGED, WAIT_TIMED_OUT, WAIT_WOKEN } from './binding.js';
import { VidbusError, fsError } from '../errors.js';

export { WAIT_CHANGED, WAIT_TIMED_OUT, WAIT_WOKEN };

function native(): Native {
  return loadNative();
}

export type OpenMode = 'create' | 'read-write' | 'read-only';

/** Opens a shared-memory file; `create` fails with EEXIST if it exists. */
export function openShmFile(path: string, mode: OpenMode, permissions = 0o600): number {
  const { O_RDWR, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  const flags =
    mode === 'create' ? O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW : mode === 'read-write' ? O_RDWR | O_NOFOLLOW : O_RDONLY | O_NOFOLLOW;
  return openSync(path, flags, permissions);
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: close paths must be idempotent
  }
}

export function statFd(fd: number): Stats {
  return fstatSync(fd);
}

/** Applies the final mode (umask does not apply) and optional group. */
export function setPermissions(fd: number, mode: number, gid: number | undefined, what: string): void {
  try {
    fchmodSync(fd, mode);
    if (gid !== undefined) fchownSync(fd, -1, gid);
  } catch (e) {
    throw fsError(e, `setting permissions of ${what}`);
  }
}

export function reserve(fd: number, length: number): void {
  native().fallocate(fd, length);
}

/**
 * A mapped shared-memory file. Reference counted: frames handed to users
 * keep the mapping alive after the stream object moves on (a following
 * consumer that re-attaches, for example). When the last reference goes,
 * the ArrayBuffer is detached (every view becomes empty) and unmapped.
 */
export class Mapping {
  readonly buffer: ArrayBuffer;
  readonly length: number;
  private refs = 1;

  /**
   * `populate` pre-faults the pages: first-touch faults cost ~10x a copy
   * on this kind of VM (../shared/perf-baselines.md §1), so pay them once.
   */
  constructor(fd: number, length: number, writable: boolean, populate = true) {
    this.length = length;
    this.buffer = native().mmap(fd, length, writable, populate);
  }

  /** Private anonymous memory in a Mapping (no file, invisible to other processes): the consumer's warm-up stream. */
  static anonymous(length: number): Mapping {
    return new Mapping(-1, length, true, false);
  }

  /** The header's 32-bit words (for one-off reads). */
  views32(): Int32Array {
    return new Int32Array(this.buffer, 0, Math.min(this.length, 4096) >> 2);
  }

  retain(): void {
    if (this.refs > 0) this.refs++;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) native().munmap(this.buffer);
  }

  get mapped(): boolean {
    return this.refs > 0;
  }
}

export function futexWake(buffer: ArrayBuffer, byteOffset: number): number {
  return native().futexWake(buffer, byteOffset, 0);
}

/** A native thread that sleeps on a futex word for JS: the two-hop wake (futex, then the thread tells the event loop). */
export class Waiter implements Disposable {
  private handle: WaiterHandle | undefined;
  private pending: ((result: number) => void) | undefined;

  constructor(buffer: ArrayBuffer, byteOffset: number) {
    this.handle = native().waiterCreate(buffer, byteOffset, (result) => {
      const done = this.pending;
      this.pending = undefined;
      done?.(result);
    });
  }

  /**
   * Sleeps while the word equals `expected`, at most `timeoutMs`; then calls
   * `done` once with WAIT_WOKEN, WAIT_TIMED_OUT or WAIT_CHANGED (or -errno).
   */
  arm(expected: number, timeoutMs: number, done: (result: number) => void): void {
    if (this.handle === undefined) throw new VidbusError('ERR_CLOSED', 'waiter is closed');
    if (this.pending) throw new VidbusError('ERR_BUSY', 'a wait is already in progress on this consumer');
    this.pending = done;
    native().waiterArm(this.handle, expected >>> 0, Math.max(0, Math.ceil(timeoutMs)));
  }

  /** Stops the thread; a wait in progress ends as woken. */
  close(): void {
    if (this.handle === undefined) return;
    native().waiterClose(this.handle);
    this.handle = undefined;
    const done = this.pending;
    this.pending = undefined;
    done?.(WAIT_WOKEN);
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Binds a consumer's wake socket: an abstract AF_UNIX datagram socket named
 * after `token` (docs/protocol.md 5.5). Returns its fd (non-blocking), or
 * null when the name is taken (pick another token).
 */
export function openWakeSocket(token: bigint): number | null {
  try {
    return native().wakeSocketOpen(token);
  } catch (e) {
    if (e instanceof VidbusError && e.errno === 'EADDRINUSE') return null;
    throw e;
  }
}


/** An unbound datagram socket a producer sends wakes from. */
export function openWakeSender(): number {
  return native().wakeSenderOpen();
}

/** Sends one wake to the socket of `token`; returns 0 or the errno (never throws for a gone or busy consumer). */
export function sendWake(senderFd: number, token: bigint): number {
  return native().wakeSend(senderFd, token);
}

export function lockTry(fd: number, offset: number): boolean {
  return native().lockTry(fd, offset, true);
}

export function lockRelease(fd: number, offset: number): void {
  native().lockRelease(fd, offset);
}

/** True if another open file description holds the write lock at `offset`. */
export function lockHeld(fd: number, offset: number): boolean {
  return native().lockHeld(fd, offset);
}
