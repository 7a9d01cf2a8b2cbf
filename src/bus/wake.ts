/**
 * How a consumer sleeps until its producer publishes (docs/protocol.md 5.5).
 *
 * - SocketSleeper, one hop: the consumer's event loop watches its own wake
 *   socket (an abstract AF_UNIX datagram socket, so nothing is left behind
 *   after a crash); the producer sends it one byte. Used when the producer
 *   says it wakes sockets (HeaderFlags.WakesSockets).
 * - FutexSleeper, two hops: a native thread sleeps on the notify futex and
 *   then tells the event loop. Works with every producer, including ones
 *   that predate wake sockets.
 *
 * Both call `done` exactly once per sleep, and neither allocates per sleep
 * in the steady state (the socket sleeper reuses its timer).
 */
import { getRandomValues } from 'node:crypto';
import { FdWatch } from '../native/fd-watch.js';
import { closeFd, futexWake, openWakeSocket, Waiter, WAIT_TIMED_OUT } from '../native/shm.js';
import { VidbusError } from '../errors.js';
import { H, WaitMode } from './layout.js';

/** Called once per sleep: `timedOut` true when nothing woke the consumer within the timeout. */
export type WakeCallback = (timedOut: boolean) => void;

/** One way of sleeping until the producer publishes. */
export interface Sleeper {
  /** what the consumer stores in its record's `waiting` word while it sleeps this way */
  readonly mode: WaitMode.Futex | WaitMode.Socket;
  /** Sleeps (while the notify word is `expected`) at most `timeoutMs`, then calls `done` once. */
  sleep(expected: number, timeoutMs: number, done: WakeCallback): void;
  /** Ends a sleep in progress as a wake (abort, close). */
  interrupt(): void;
  /** Drops a sleep in progress without calling its callback (something else woke the consumer first). */
  cancel(): void;
  /** Idempotent; a sleep in progress ends as a wake. */
  close(): void;
}

/** Sleeps on the notify futex through a native waiter thread. */
export class FutexSleeper implements Sleeper {
  readonly mode = WaitMode.Futex;
  private readonly waiter: Waiter;
  private done: WakeCallback | undefined;
  private readonly onResult = (result: number): void => {
    const done = this.done;
    this.done = undefined;
    done?.(result === WAIT_TIMED_OUT);
  };

  constructor(private readonly buffer: ArrayBuffer) {
    this.waiter = new Waiter(buffer, H.notify);
  }

  sleep(expected: number, timeoutMs: number, done: WakeCallback): void {
    this.done = done;
    this.waiter.arm(expected, timeoutMs, this.onResult);
  }

  interrupt(): void {
    // A spurious wake for other sleepers on this stream, who simply re-check.
    if (this.done) futexWake(this.buffer, H.notify);
  }

  cancel(): void {
    // The thread stays in its wait until the next publish or its timeout;
    // its result is then ignored.
    this.done = undefined;
  }

  close(): void {
    this.waiter.close();
  }
}

const TOKEN_ATTEMPTS = 16;

/**
 * Sleeps on the consumer's own wake socket, watched by the event loop.
 *
 * A consumer woken 30 times a second runs on a cold CPU, where each native
 * call costs several microseconds and each JavaScript function one or two
 * (docs/architecture.md, "Per-frame cost"), so the per-frame path here
 * makes no native call and no timer call: the watch itself reads the
 * clock before reporting (`wokeAt`) and the datagram after (drain
 * 'datagram'),
 * and one unref'd interval ticker, started on the first sleep, ends sleeps
 * that outlast their timeout by counting its ticks (so a sleep of T ms
 * times out after T to 2T ms: it only serves the liveness check). Only a
 * shorter timeout (next({ timeoutMs })) gets a timer of its own. While
 * asleep the watch keeps the process alive; a subscription pins it for its
 * whole life, so no per-frame call toggles that either.
 */
export class SocketSleeper implements Sleeper {
  readonly mode = WaitMode.Socket;
  /** names the socket; stored in the consumer's record for the producer */
  readonly token: bigint;
  /** element 0: CLOCK_MONOTONIC ns of the last wake, read by the watch before it reported */
  readonly wokeAt = new BigInt64Array(new ArrayBuffer(8));
  /** the last sleep ended with the producer's datagram (not a timeout, interrupt or close), at wokeAt */
  woken = false;
  private fd: number;
  private readonly watch: FdWatch;
  private ticker: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private done: WakeCallback | undefined;
  /** ticks of the ticker left before the sleep in progress times out */
  private ticksLeft = 0;
  private keepingAlive = false;
  private pins = 0;
  private readonly onReadable = (): void => {
    // No sleep in progress: a stray datagram, or one that crossed an early
    // wake (low-latency mode). The watch takes it when this returns.
    this.finish(false, true);
  };
  private readonly onTick = (): void => {
    if (this.done !== undefined && --this.ticksLeft <= 0) this.finish(true);
  };
  private readonly onDeadline = (): void => {
    this.deadline = undefined;
    this.finish(true);
  };

  /** @param livenessMs the consumer's liveness interval: the ticker's period */
  constructor(private readonly livenessMs: number) {
    let bound: [bigint, number] | undefined;
    for (let i = 0; i < TOKEN_ATTEMPTS && bound === undefined; i++) {
      const token = randomToken();
      const fd = openWakeSocket(token);
      if (fd !== null) bound = [token, fd];
    }
    if (bound === undefined) throw new VidbusError('ERR_SYSCALL', `Could not bind a wake socket: ${TOKEN_ATTEMPTS} random names were all taken`);
    [this.token, this.fd] = bound;
    this.watch = new FdWatch(this.fd, this.onReadable, { drain: 'datagram', stamp: this.wokeAt });
    this.watch.keepAlive(false); // an idle consumer does not keep the process alive
  }

  sleep(_expected: number, timeoutMs: number, done: WakeCallback): void {
    if (this.fd < 0) throw new VidbusError('ERR_CLOSED', 'the wake socket is closed');
    this.done = done;
    if (!this.keepingAlive) this.keepAlive(true);
    if (timeoutMs < this.livenessMs) {
      this.deadline = setTimeout(this.onDeadline, timeoutMs);
      return;
    }
    // At least the timeout has passed once this many ticks have come: the
    // first one comes anywhere within a period.
    this.ticksLeft = timeoutMs === this.livenessMs ? 2 : Math.ceil(timeoutMs / this.livenessMs) + 1;
    this.ticker ??= setInterval(this.onTick, this.livenessMs).unref();
  }

  /** Keeps the process alive between sleeps too (a subscription, until unpin()). */
  pin(): void {
    this.pins++;
    this.keepAlive(true);
  }

  unpin(): void {
    if (this.pins > 0) this.pins--;
    if (this.pins === 0 && this.done === undefined) this.keepAlive(false);
  }

  private keepAlive(keep: boolean): void {
    if (keep === this.keepingAlive || this.fd < 0) return;
    this.keepingAlive = keep;
    this.watch.keepAlive(keep);
  }

  /** Ends the sleep in progress; `woken`: the producer's datagram did it. */
  private finish(timedOut: boolean, woken = false): void {
    const done = this.done;
    if (done === undefined) return; // a late tick or a stray datagram
    this.cancel();
    this.woken = woken;
    done(timedOut);
  }

  interrupt(): void {
    this.finish(false);
  }

  /** Ends the sleep without calling its callback (finish() calls it after this). */
  cancel(): void {
    if (this.done === undefined) return;
    this.done = undefined;
    this.endSleep();
  }

  /** After a sleep: its own timer goes, and the watch stops keeping the process alive unless pinned. */
  private endSleep(): void {
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.deadline = undefined;
    if (this.pins === 0) this.keepAlive(false);
  }

  close(): void {
    if (this.fd < 0) return;
    this.watch.stop();
    if (this.ticker !== undefined) clearInterval(this.ticker);
    closeFd(this.fd);
    this.fd = -1;
    this.finish(false);
  }
}

function randomToken(): bigint {
  const [token] = getRandomValues(new BigUint64Array(1));
  return token === 0n ? 1n : token!;
}
