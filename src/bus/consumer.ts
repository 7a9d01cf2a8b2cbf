/**
 * The consumer: receives frames in place, woken the moment one lands.
 *
 *   const consumer = await openConsumer('cam0', { policy: 'latest' });
 *   for await (const frame of consumer) inspect(frame.data);   // released at the next iteration
 *
 * Policies: 'latest' always hands the newest frame (skipping any it had no
 * time for); 'every' hands frames in order and counts the ones the
 * producer overwrote before this consumer got to them as `missed`.
 *
 * With `follow: true` the consumer survives its producer: when the
 * producer closes or dies it emits 'producer-lost', waits for a new
 * producer of the same name, emits 'producer-attached' and carries on.
 *
 * Latency-critical code can take frames by callback instead, with no
 * promise per frame:
 *
 *   const sub = consumer.subscribe((frame) => inspect(frame.data));   // released when the callback returns
 *   await sub.done;                                                    // the stream ended (or sub.close())
 *
 * A consumer sleeps on its own wake socket, which the producer signals
 * straight into this process's event loop (one hop, src/bus/wake.ts), or
 * on the notify futex through a native thread when the producer does not
 * offer that (two hops).
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { VidbusError } from '../errors.js';
import { monoNs } from '../util/clock.js';
import { attach, type Attachment } from './attach.js';
import { reclaimStream } from './reclaim.js';
import type { Policy } from './ctl.js';
import { Frame } from './frame.js';
import { HeldFrames } from './held-frames.js';
import { releaseHold, tryHold } from './holds.js';
import { LatencyWindow, type LatencySummary } from '../util/latency.js';
import { D, FrameFlags, MAX_USER_META, R, StreamState, WaitMode } from './layout.js';
import { FILE_PREFIX, SHM_DIR, validateStreamName } from './names.js';
import { checkBoolean, checkInteger, checkOneOf, rejectUnknownOptions } from '../util/options.js';
import type { StreamDescription } from './header.js';
import { CtlViews, DataViews } from './views.js';
import { SocketSleeper, type Sleeper } from './wake.js';
import { EarlyWake, type EarlyWakeStats } from './early-wake.js';
import { warmUp } from './warm-up.js';
import type { PreciseTimer } from '../native/precise-timer.js';

/** Options of openConsumer(). */
export interface ConsumerOptions {
  /** 'latest' (default) or 'every' */
  policy?: Policy;
  /** survive the producer: wait for the next one instead of ending (default false) */
  follow?: boolean;
  /** how long to wait for a stream that is still being created (default 2000 ms) */
  openTimeoutMs?: number;
  /** how often an idle consumer checks that its producer is still alive (default 250 ms) */
  livenessIntervalMs?: number;
  /**
   * How to be woken: 'auto' (default) uses the one-hop wake socket when the
   * producer offers it, else the futex; 'futex' always sleeps on the futex
   * through a native thread (for comparison, or where sockets are unwanted);
   * 'poll' is the low-latency mode: once the producer's rhythm is known,
   * wake just before each frame is due and poll for it (a little CPU per
   * frame, reported in stats().lowLatency), sleeping as 'auto' otherwise.
   */
  wakeup?: Wakeup;
}

/** How a consumer is woken: see ConsumerOptions.wakeup. */
export type Wakeup = 'auto' | 'futex' | 'poll';

const CONSUMER_OPTIONS = ['policy', 'follow', 'openTimeoutMs', 'livenessIntervalMs', 'wakeup'] as const;

/** Options of Consumer.next(). */
export interface NextOptions {
  /** resolve null after this long without a frame (default: wait for ever) */
  timeoutMs?: number;
  /** abort the wait: next() rejects with ERR_ABORTED */
  signal?: AbortSignal;
}

/** What one consumer counted since it opened. */
export interface ConsumerStats {
  /** the delivery policy */
  policy: Policy;
  /** frames handed to the application */
  received: number;
  /** frames published after this consumer's first one that it never got */
  missed: number;
  /** holds the producer took back because they outlived the lifespan */
  expired: number;
  /** frames currently held by this consumer */
  holding: number;
  /** times the producer went away (closed or died) */
  producerLost: number;
  /** publish -> handed over, over the last frames */
  latency: LatencySummary;
  /** what the low-latency mode did (wakeup 'poll' only) */
  lowLatency?: EarlyWakeStats;
}

/** Why a producer went away: it closed the stream, or it died (kill -9, crash). */
export type LostReason = 'closed' | 'died';

/** The events a Consumer emits (following consumers see both over and over). */
export interface ConsumerEvents {
  /** the producer closed the stream or died */
  'producer-lost': [
    event: {
      /** closed or died */
      reason: LostReason;
    },
  ];
  /** a (new) producer of the name was attached */
  'producer-attached': [
    event: {
      /** the new producer's stream */
      stream: StreamDescription;
    },
  ];
}

/** Options of Consumer.subscribe(). */
export interface SubscribeOptions {
  /** stop delivering and end `done` (resolved) when this aborts */
  signal?: AbortSignal;
}

/** A running subscribe(): frames go to its callback until the stream ends or close(). */
export interface Subscription extends Disposable {
  /** resolves when the stream ends cleanly, close() is called or the signal aborts; rejects with ERR_PRODUCER_DIED (without follow) or the callback's own error */
  readonly done: Promise<void>;
  /** Stops delivering; the consumer stays open (next() works again). Idempotent. */
  close(): void;
}

/** Most frames one wake-up hands to a subscriber before yielding to the event loop (a producer at full speed must not starve it). */
const BURST = 64;

/** A reader of one stream: frames in place (read-only views into shared memory), woken per publish, with its own stats. */
export class Consumer extends EventEmitter<ConsumerEvents> implements AsyncIterable<Frame>, AsyncDisposable, Disposable {
  /** the stream's name */
  readonly name: string;
  /** 'latest' or 'every' */
  readonly policy: Policy;
  /** whether it outlives producers and waits for the next one */
  readonly follow: boolean;
  private attachment: Attachment | undefined;
  /** the current attachment's held frames */
  private held: HeldFrames | undefined;
  /** every attachment's held frames that still has frames out (the current one included) */
  private readonly heldSets = new Set<HeldFrames>();
  private closed = false;
  private ended: LostReason | undefined;
  private busy = false;
  private lastSeq = 0n;
  private received = 0;
  private missed = 0;
  private expiredBefore = 0; // expired counts of earlier attachments
  private producerLost = 0;
  private readonly latency = new LatencyWindow();
  private readonly openTimeoutMs: number;
  private readonly livenessIntervalMs: number;
  private readonly wakeup: Wakeup;
  /** the low-latency mode's rhythm and timer (wakeup 'poll') */
  private readonly early: EarlyWake | undefined;
  /** the notify word when the early wake was planned: polling waits for it to change */
  private pollNotify = 0;
  private readonly landed = (): boolean => {
    const a = this.attachment;
    return a === undefined || Atomics.load(a.data.i32, DataViews.notify) !== this.pollNotify;
  };
  private watcher: FSWatcher | undefined;
  private wakeWatch: (() => void) | undefined;
  /** the one-hop wake socket, made on the first attachment whose producer offers it */
  private socket: SocketSleeper | undefined;
  /** the sleeper of a sleep in progress (to interrupt it) */
  private sleeping: Sleeper | undefined;
  /** a subscription runs (it keeps the process alive while it does) */
  private subscribed = false;
  /** the choice of choose(): a slot, and its sequence in chosenSeq (no tuple per frame) */
  private chosenSeq = 0n;
  /** when the wake socket last woke this consumer (CLOCK_MONOTONIC ns), for the first frame taken after it; else undefined */
  private wokeAtNs: bigint | undefined;

  /** @internal use openConsumer() */
  constructor(
    name: string,
    policy: Policy,
    follow: boolean,
    openTimeoutMs: number,
    livenessIntervalMs: number,
    wakeup: Wakeup,
    attachment: Attachment | undefined,
  ) {
    super();
    this.name = name;
    this.policy = policy;
    this.follow = follow;
    this.openTimeoutMs = openTimeoutMs;
    this.livenessIntervalMs = livenessIntervalMs;
    this.wakeup = wakeup;
    this.early = wakeup === 'poll' ? new EarlyWake() : undefined;
    this.setAttachment(attachment);
  }

  /** The stream as the current producer created it (undefined while waiting for one). */
  get stream(): StreamDescription | undefined {
    return this.attachment?.desc;
  }

  /** True while attached to a live producer. */
  get connected(): boolean {
    return this.attachment !== undefined;
  }

  /** How this consumer is woken now: 'socket' (one hop), 'futex' (through a native thread), or undefined while detached. */
  get wakeMode(): 'socket' | 'futex' | undefined {
    const a = this.attachment;
    return a === undefined ? undefined : this.sleeperFor(a).mode === WaitMode.Socket ? 'socket' : 'futex';
  }

  private assertOpen(): void {
    if (this.closed) throw new VidbusError('ERR_CLOSED', `Consumer of "${this.name}" is closed`, { stream: this.name, canceled: true });
  }

  private setAttachment(a: Attachment | undefined): void {
    this.attachment = a;
    this.held?.leave();
    this.held = undefined;
    for (const set of this.heldSets) if (set.finished) this.heldSets.delete(set);
    if (a === undefined) return;
    this.held = new HeldFrames(a);
    this.heldSets.add(this.held);
    this.lastSeq = startingPoint(a);
    this.early?.reset();
    if (a.wakesSockets && this.wakeup !== 'futex') {
      // Fall back to the futex if this process cannot bind a socket.
      try {
        if (this.socket === undefined) {
          this.socket = new SocketSleeper(this.livenessIntervalMs);
          if (this.subscribed) this.socket.pin();
        }
        Atomics.store(a.ctl.i64, CtlViews.rec64(a.record, R.wakeToken), BigInt.asIntN(64, this.socket.token));
      } catch {
        a.socketWakeFailed = true;
      }
    }
  }

  /** How to sleep on `a`: the wake socket when the producer offers it and it works, else the futex. */
  private sleeperFor(a: Attachment): Sleeper {
    return this.socket !== undefined && a.wakesSockets && !a.socketWakeFailed ? this.socket : a.futexSleeper;
  }

  /** Finds the slot holding `seq`, or -1. */
  private slotOf(a: Attachment, seq: bigint): number {
    for (let s = 0; s < a.desc.slotCount; s++) if (Atomics.load(a.data.i64, a.desc64[s]!) === seq) return s;
    return -1;
  }

  /** The oldest committed frame newer than `after`: its slot (sequence in chosenSeq), or -1. */
  private oldestAfter(a: Attachment, after: bigint): number {
    let best = -1;
    for (let s = 0; s < a.desc.slotCount; s++) {
      const seq = Atomics.load(a.data.i64, a.desc64[s]!);
      if (seq > after && (best < 0 || seq < this.chosenSeq)) {
        best = s;
        this.chosenSeq = seq;
      }
    }
    return best;
  }

  /**
   * Which frame to take next: its slot (sequence in chosenSeq), or -1 if
   * nothing new. `latest` is the header's latest sequence, above lastSeq.
   * (take() finds the newest frame itself when it is where the header says.)
   */
  private choose(a: Attachment, latest: bigint): number {
    if (this.policy === 'latest') {
      this.chosenSeq = latest;
      return this.slotOf(a, latest);
    }
    const want = this.lastSeq + 1n;
    const slot = this.slotOf(a, want);
    if (slot < 0) return this.oldestAfter(a, this.lastSeq);
    this.chosenSeq = want;
    return slot;
  }

  /** Takes the next frame if one is ready; never waits. */
  tryReceive(): Frame | null {
    this.assertOpen();
    const a = this.attachment;
    return a === undefined ? null : this.take(a);
  }

  /**
   * The per-frame path: chooses, holds and hands over the next frame of
   * `a`, or returns null if there is none. One function on purpose, with
   * the common case (the newest frame is where the header says) inline: a
   * consumer woken 30 times a second runs on a cold CPU, where every call
   * costs a microsecond or more (docs/architecture.md, "Per-frame cost").
   */
  private take(a: Attachment): Frame | null {
    const { i32, i64 } = a.data;
    const held = this.held!;
    // A few attempts: each failure means the producer overwrote the slot
    // between our read and our hold, so something newer exists.
    for (let attempt = 0; attempt < 8; attempt++) {
      const latest = Atomics.load(i64, DataViews.latestSeq);
      if (latest <= this.lastSeq) return null;
      let slot = -1;
      if (this.policy === 'latest') {
        const hint = Atomics.load(i32, DataViews.latestSlot);
        if (hint >= 0 && hint < a.desc.slotCount && Atomics.load(i64, a.desc64[hint]!) === latest) {
          slot = hint;
          this.chosenSeq = latest;
        }
      }
      if (slot < 0) slot = this.choose(a, latest);
      if (slot < 0) return null;
      const seq = this.chosenSeq;
      // The wake's own time for the first frame after it (the watch read the
      // clock already); the clock for any other.
      const now = this.wokeAtNs ?? monoNs();
      this.wokeAtNs = undefined;
      const hold = held.inUse === 0 ? 0 : held.freeEntry();
      if (!tryHold(i64, a.ctl.i64, a.holdEntry[hold]!, a.desc64[slot]!, seq, now)) continue;

      const d32 = a.desc32[slot]!;
      const d64 = a.desc64[slot]!;
      // The descriptor is stable while we hold the slot; still, it is
      // written by another process, so check it before making views.
      const size = i32[d32 + D.size / 4]! >>> 0;
      const metaBytes = i32[d32 + D.userMetaBytes / 4]! >>> 0;
      const layout = a.desc.layout;
      if (size > layout.frameBytes || (size !== layout.frameBytes && layout.planes.length > 0) || metaBytes > MAX_USER_META) {
        releaseHold(a.ctl.i64, a.holdEntry[hold]!, seq);
        throw new VidbusError(
          'ERR_STREAM_CORRUPT',
          `Stream "${this.name}" published a frame with an impossible size (${size} bytes, ${metaBytes} metadata bytes; slots hold ${layout.frameBytes})`,
          { stream: this.name },
        );
      }
      if (seq > this.lastSeq + 1n) this.missed += Number(seq - this.lastSeq - 1n);
      this.lastSeq = seq;
      this.received++;
      const publishTimestamp = i64[d64 + D.publishMonoNs / 8]!;
      this.latency.add(Number(now - publishTimestamp) / 1000);
      if (this.early !== undefined) this.early.observe(Number(seq), Number(publishTimestamp));
      const ctl = a.ctl.i32;
      ctl[a.receivedWord] = this.received;
      ctl[a.missedWord] = this.missed;
      a.ctl.i64[a.lastSeqWord] = seq;

      const whole = a.slots[slot]!;
      const metaStart = d32 * 4 + D.userMeta;
      const frame = new Frame(
        size === whole.length ? whole : whole.subarray(0, size),
        metaBytes === 0 ? a.noMeta : a.data.u8.subarray(metaStart, metaStart + metaBytes),
        seq,
        size,
        (i32[d32 + D.flags / 4]! & FrameFlags.Keyframe) !== 0,
        i64[d64 + D.captureMonoNs / 8]!,
        i64[d64 + D.captureWallNs / 8]!,
        publishTimestamp,
        layout,
        held,
        hold,
      );
      held.add(hold, frame);
      return frame;
    }
    return null;
  }

  /**
   * Prepares to sleep on `a` after finding no frame with the notify word at
   * `notify`: announces the sleep in the record and re-reads the word.
   * Returns the sleeper to sleep on, or undefined if a publish came in
   * between (take it instead).
   */
  private announceSleep(a: Attachment, notify: number): Sleeper | undefined {
    const socket = this.socket;
    const sleeper = socket !== undefined && a.wakesSockets && !a.socketWakeFailed ? socket : a.futexSleeper;
    // SYNC POINT (Dekker with Producer.notify): announce that we sleep,
    // then re-read the word; the futex wait itself re-checks it too.
    Atomics.store(a.ctl.i32, a.waitingWord, sleeper.mode);
    if (Atomics.load(a.data.i32, DataViews.notify) === notify) return sleeper;
    Atomics.store(a.ctl.i32, a.waitingWord, WaitMode.Awake);
    return undefined;
  }

  /**
   * After a sleep on `a` that began with the word at `notify`: clears the
   * record's flag and, after a timeout, checks the producer. Returns a
   * dead producer's last frame if one is left; calls lose('died') if not.
   */
  private afterSleep(a: Attachment, sleeper: Sleeper, notify: number, timedOut: boolean): Frame | null {
    this.sleeping = undefined;
    if (this.attachment !== a) return null;
    Atomics.store(a.ctl.i32, a.waitingWord, WaitMode.Awake);
    if (!timedOut) {
      // Woken by the producer's datagram: the watch read the clock then.
      if (sleeper === this.socket && this.socket.woken) this.wokeAtNs = this.socket.wokeAt[0];
      return null;
    }
    // Published, yet the socket never woke us: this producer cannot reach
    // it (another network namespace, say). The futex works everywhere.
    if (sleeper.mode === WaitMode.Socket && Atomics.load(a.data.i32, DataViews.notify) !== notify) a.socketWakeFailed = true;
    if (a.producerAlive()) return null;
    // A dead producer's last frames are still in the mapping.
    const last = this.tryReceive();
    if (last) return last;
    this.lose('died');
    return null;
  }

  /**
   * Waits for the next frame. Resolves null when `timeoutMs` passes first.
   * Rejects with ERR_STREAM_ENDED when the producer closed the stream,
   * ERR_PRODUCER_DIED when it died (both only without `follow`),
   * ERR_ABORTED on the signal and ERR_CLOSED when the consumer is closed.
   */
  async next(options: NextOptions = {}): Promise<Frame | null> {
    this.assertOpen();
    if (this.busy) throw new VidbusError('ERR_BUSY', 'next() is already waiting on this consumer (or a subscription is running); await it first', { stream: this.name });
    const { signal } = options;
    const timeoutMs = options.timeoutMs === undefined ? Infinity : checkInteger('timeoutMs', options.timeoutMs, 0, 2 ** 31);
    const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
    this.busy = true;
    const onAbort = signal ? () => this.interruptWait() : undefined;
    if (onAbort) signal!.addEventListener('abort', onAbort);
    try {
      for (;;) {
        this.assertOpen();
        if (signal?.aborted) throw new VidbusError('ERR_ABORTED', 'next() was aborted', { stream: this.name, canceled: true });
        const a = this.attachment;
        if (a === undefined) {
          if (!(await this.waitForProducer(deadline))) return null;
          continue;
        }
        const notify = Atomics.load(a.data.i32, DataViews.notify);
        const frame = this.tryReceive() ?? this.takeLastIfClosed(a);
        if (frame) return frame;
        if (this.attachment !== a) continue;
        const remaining = deadline === Infinity ? Infinity : deadline - Date.now();
        if (remaining <= 0) return null;
        const wakeAt = this.planEarlyWake(notify, remaining);
        if (wakeAt !== undefined) {
          const socket = this.sleepBesideEarlyWake(a, notify);
          const early = await new Promise<boolean>((resolve) => {
            this.early!.timer.at(wakeAt, () => resolve(true));
            socket?.sleep(notify, Math.min(remaining, this.livenessIntervalMs), () => resolve(false));
          });
          this.early!.timer.cancel(); // the socket came first, or a no-op
          this.earlyWoken(a);
          if (early && !this.closed && !signal?.aborted) this.pollForFrame();
          continue;
        }
        const sleeper = this.announceSleep(a, notify);
        if (sleeper === undefined) continue;
        this.sleeping = sleeper;
        const timedOut = await new Promise<boolean>((resolve) => sleeper.sleep(notify, Math.min(remaining, this.livenessIntervalMs), resolve));
        const last = this.afterSleep(a, sleeper, notify, timedOut);
        if (last) return last;
      }
    } finally {
      this.busy = false;
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Low-latency mode: when to wake before the next frame (monotonic ns), or
   * undefined to sleep normally (no rhythm yet, this frame was polled for
   * already, or the caller's deadline comes first).
   */
  private planEarlyWake(notify: number, remainingMs: number): number | undefined {
    const wakeAt = this.early?.plan();
    if (wakeAt === undefined) return undefined;
    if (remainingMs !== Infinity && (wakeAt - Number(monoNs())) / 1e6 >= remainingMs) return undefined;
    this.pollNotify = notify;
    return wakeAt;
  }

  /**
   * Low-latency mode, before waiting for the early wake: also announce a
   * sleep on the wake socket (when that is how this consumer sleeps), so a
   * frame earlier than predicted wakes it at once. Returns that sleeper.
   */
  private sleepBesideEarlyWake(a: Attachment, notify: number): Sleeper | undefined {
    const socket = this.sleeperFor(a).mode === WaitMode.Socket ? this.announceSleep(a, notify) : undefined;
    if (socket) this.sleeping = socket;
    return socket;
  }

  /** @internal Low-latency mode: the early wake came first (or the wait ended); stop sleeping on the socket (the producer sends nothing while we poll). */
  earlyWoken(a: Attachment): void {
    this.sleeping?.cancel();
    this.sleeping = undefined;
    if (this.attachment === a) Atomics.store(a.ctl.i32, a.waitingWord, WaitMode.Awake);
  }

  /** @internal Low-latency mode, at the early wake: polls until a publish lands or the window ends. */
  pollForFrame(): void {
    this.early!.poll(this.landed, Number(monoNs()));
  }

  /** A closed stream's last frames, then lose('closed'); null while it is open. */
  private takeLastIfClosed(a: Attachment): Frame | null {
    if (Atomics.load(a.data.i32, DataViews.state) !== StreamState.Closed) return null;
    // Frames published just before the close are still there.
    const last = this.tryReceive();
    if (last) return last;
    this.lose('closed');
    return null;
  }

  /** @internal Ends a wait in progress (abort, close): it re-checks and sees why. */
  interruptWait(): void {
    this.sleeping?.interrupt();
    this.early?.timer.fireNow();
    this.wakeWatch?.();
  }

  /**
   * Calls `onFrame` with each frame as soon as it lands, on the event loop,
   * with no promise or timer per frame: the lowest-latency way to consume.
   * The frame is released when the callback returns, unless the callback
   * calls `frame.keep()` (then release it yourself). Policy, follow and the
   * stats are the consumer's. Only one subscription (or next()) at a time.
   */
  subscribe(onFrame: (frame: Frame) => void, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    rejectUnknownOptions('subscribe', options, ['signal']);
    if (typeof onFrame !== 'function') throw new VidbusError('ERR_INVALID_OPTION', 'subscribe() needs a callback: consumer.subscribe((frame) => ...)', { stream: this.name });
    if (this.busy) throw new VidbusError('ERR_BUSY', 'next() or another subscription is running on this consumer', { stream: this.name });
    this.busy = true;
    this.subscribed = true;
    this.socket?.pin();
    return new FrameSubscription(this, onFrame, options.signal);
  }

  /**
   * @internal One step of a subscription (see FrameSubscription): after a
   * sleep on `sub.asleepOn` ended (`woke` true, or `timedOut`), or to
   * start or resume. Hands over what is there, then sleeps again. The
   * per-frame path, so the common case is inline (see take()).
   */
  pumpFor(sub: FrameSubscription, woke = false, timedOut = false): void {
    if (woke) {
      this.early?.timer.cancel();
      const last = this.afterSleep(sub.asleepOn!, sub.sleeper!, sub.notifyAt, timedOut);
      if (last) sub.hand(last);
    }
    for (let delivered = 0; ; ) {
      if (this.closed || sub.stopped) return sub.finish();
      const a = this.attachment;
      if (a === undefined) {
        this.waitForProducer(Infinity, () => sub.stopped).then(
          () => sub.resume(),
          (e: unknown) => sub.finish(e),
        );
        return;
      }
      const notify = Atomics.load(a.data.i32, DataViews.notify);
      const frame =
        Atomics.load(a.data.i64, DataViews.latestSeq) > this.lastSeq
          ? this.take(a)
          : Atomics.load(a.data.i32, DataViews.state) === StreamState.Closed
            ? this.takeLastIfClosed(a)
            : null;
      if (frame) {
        try {
          sub.onFrame(frame);
        } finally {
          frame.releaseUnlessKept();
        }
        if (++delivered === BURST) return sub.later();
        continue;
      }
      if (this.attachment !== a) continue;
      const wakeAt = this.early === undefined ? undefined : this.planEarlyWake(notify, Infinity);
      if (wakeAt !== undefined) {
        const socket = this.sleepBesideEarlyWake(a, notify);
        return sub.wakeEarly(this.early!.timer, wakeAt, a, socket, notify, this.livenessIntervalMs);
      }
      const sleeper = this.announceSleep(a, notify);
      if (sleeper === undefined) continue;
      this.sleeping = sleeper;
      // FrameSubscription's sleep, inline.
      sub.asleepOn = a;
      sub.sleeper = sleeper;
      sub.notifyAt = notify;
      sleeper.sleep(notify, this.livenessIntervalMs, sub.onWake);
      return;
    }
  }

  /** @internal a subscription ended */
  subscriptionEnded(): void {
    this.busy = false;
    this.sleeping = undefined;
    this.subscribed = false;
    this.socket?.unpin();
  }

  /** The producer went away: leave this generation; end unless following. */
  private lose(reason: LostReason): never | void {
    const a = this.attachment;
    this.setAttachment(undefined);
    this.producerLost++;
    if (a) {
      this.expiredBefore += Atomics.load(a.ctl.i32, a.rec32(R.expired)) >>> 0;
      a.detach();
    }
    // A dead producer cannot remove its files; whoever notices does.
    if (reason === 'died') reclaimStream(this.name);
    this.emit('producer-lost', { reason });
    if (!this.follow) {
      this.ended = reason;
      throw this.endError(reason);
    }
  }

  private endError(reason: LostReason): VidbusError {
    return reason === 'closed'
      ? new VidbusError('ERR_STREAM_ENDED', `The producer of "${this.name}" closed the stream`, { stream: this.name })
      : new VidbusError('ERR_PRODUCER_DIED', `The producer of "${this.name}" died without closing the stream`, { stream: this.name });
  }

  /**
   * Following: waits until a producer takes the name (or the deadline).
   * Woken by inotify on /dev/shm, with a slow re-check as a safety net.
   */
  private async waitForProducer(deadline: number, cancelled?: () => boolean): Promise<boolean> {
    if (this.ended) throw this.endError(this.ended);
    for (;;) {
      this.assertOpen();
      if (cancelled?.()) return false;
      const remaining = deadline - Date.now();
      const result = await attach(this.name, this.policy, Math.min(this.openTimeoutMs, Math.max(remaining, 0)));
      if (result !== 'missing') {
        this.setAttachment(result);
        this.stopWatching();
        this.emit('producer-attached', { stream: result.desc });
        return true;
      }
      if (remaining <= 0) return false;
      await this.shmChanged(Math.min(remaining, 1000));
    }
  }

  private shmChanged(timeoutMs: number): Promise<void> {
    if (this.watcher === undefined) {
      try {
        this.watcher = watch(SHM_DIR, { persistent: false });
        this.watcher.on('error', () => this.stopWatching());
      } catch {
        // no inotify: the timeout below still re-checks
      }
    }
    const file = FILE_PREFIX + this.name;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.watcher?.removeListener('change', onChange);
        this.wakeWatch = undefined;
        resolve();
      };
      const onChange = (_event: string, changed: string | Buffer | null) => {
        if (changed === null || String(changed) === file) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.watcher?.on('change', onChange);
      this.wakeWatch = done;
    });
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Frames until the stream ends or the consumer is closed; each frame is released at the next iteration. */
  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    let previous: Frame | undefined;
    try {
      for (;;) {
        let frame: Frame | null;
        try {
          frame = await this.next();
        } catch (e) {
          if (e instanceof VidbusError && (e.code === 'ERR_STREAM_ENDED' || e.code === 'ERR_CLOSED')) return;
          throw e;
        }
        previous?.release();
        previous = frame ?? undefined;
        if (frame) yield frame;
      }
    } finally {
      previous?.release();
    }
  }

  private holdingCount(): number {
    let count = 0;
    for (const set of this.heldSets) count += set.count;
    return count;
  }

  /** This consumer's counters and latency. */
  stats(): ConsumerStats {
    const a = this.attachment;
    const expiredNow = a ? Atomics.load(a.ctl.i32, a.rec32(R.expired)) >>> 0 : 0;
    return {
      policy: this.policy,
      received: this.received,
      missed: this.missed,
      expired: this.expiredBefore + expiredNow,
      holding: this.holdingCount(),
      producerLost: this.producerLost,
      latency: this.latency.summary(),
      ...(this.early ? { lowLatency: this.early.stats() } : {}),
    };
  }

  /** Releases held frames, leaves the stream. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const set of this.heldSets) set.releaseAll();
    this.stopWatching();
    this.interruptWait();
    this.attachment?.detach();
    this.setAttachment(undefined);
    this.socket?.close();
    this.early?.close();
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/** The running subscribe() of a consumer: hands frames to the callback, sleeps between them, ends once. */
class FrameSubscription implements Subscription {
  readonly done: Promise<void>;
  /** close() was called (or the signal aborted): end at the next step */
  stopped = false;
  private finished = false;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;
  /** @internal the sleep in progress: on which attachment, how, from which notify word (set by pumpFor) */
  asleepOn: Attachment | undefined;
  /** @internal */
  sleeper: Sleeper | undefined;
  /** @internal */
  notifyAt = 0;
  private readonly onAbort = (): void => this.close();
  private readonly onEarlyWake = (): void => {
    try {
      this.consumer.earlyWoken(this.asleepOn!);
      if (!this.stopped) this.consumer.pollForFrame();
    } catch (e) {
      this.finish(e);
      return;
    }
    this.pump();
  };
  // Bound once: the per-frame path makes no closures.
  private readonly pump = (): void => {
    try {
      this.consumer.pumpFor(this);
    } catch (e) {
      this.finish(e);
    }
  };
  /** @internal the end of a sleep: the consumer carries on */
  readonly onWake = (timedOut: boolean): void => {
    try {
      this.consumer.pumpFor(this, true, timedOut);
    } catch (e) {
      this.finish(e);
    }
  };

  constructor(
    private readonly consumer: Consumer,
    /** @internal the application's callback (pumpFor calls it) */
    readonly onFrame: (frame: Frame) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    signal?.addEventListener('abort', this.onAbort);
    // Not synchronously: the caller has not got the subscription yet.
    if (signal?.aborted) this.stopped = true;
    queueMicrotask(this.pump);
  }

  /** @internal gives one frame to the callback; released after it unless kept */
  hand(frame: Frame): void {
    try {
      this.onFrame(frame);
    } finally {
      frame.releaseUnlessKept();
    }
  }

  /** @internal low-latency mode: wakes at `atNs`, polls for the frame, carries on */
  wakeEarly(timer: PreciseTimer, atNs: number, a: Attachment, socket: Sleeper | undefined, notify: number, timeoutMs: number): void {
    this.asleepOn = a;
    this.sleeper = socket;
    this.notifyAt = notify;
    timer.at(atNs, this.onEarlyWake);
    socket?.sleep(notify, timeoutMs, this.onWake);
  }

  /** @internal yields to the event loop, then carries on */
  later(): void {
    setImmediate(this.pump);
  }

  /** @internal a producer was attached (or the wait was cancelled) */
  resume(): void {
    this.pump();
  }

  /** @internal ends the subscription: clean ends resolve `done`, anything else rejects it */
  finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.stopped = true;
    this.asleepOn = undefined;
    this.sleeper = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.consumer.subscriptionEnded();
    const clean = error === undefined || (error instanceof VidbusError && (error.code === 'ERR_STREAM_ENDED' || error.code === 'ERR_CLOSED'));
    if (clean) this.resolve();
    else this.reject(error);
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Whatever it is doing (asleep, waiting for a producer, between
    // bursts) ends at its next step; wake it so that is now.
    this.consumer.interruptWait();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Where a consumer starts on a newly attached stream: with the newest
 * frame already published (if any), then every frame after it.
 */
function startingPoint(a: Attachment): bigint {
  const latest = Atomics.load(a.data.i64, DataViews.latestSeq);
  return latest > 0n ? latest - 1n : 0n;
}

/**
 * Opens a stream for reading: `policy` 'latest' (the newest frame) or 'every' (in order, counting what it misses); `follow` outlives producers.
 * The first call in a process also starts warming the per-frame path up in the background (0.1-0.2 s, once; see warm-up.ts; `VIDBUS_WARM_UP_ROUNDS=0` turns it off).
 */
export async function openConsumer(name: string, options: ConsumerOptions = {}): Promise<Consumer> {
  validateStreamName(name);
  rejectUnknownOptions('openConsumer', options, CONSUMER_OPTIONS);
  const policy = checkOneOf('policy', options.policy ?? 'latest', ['latest', 'every'] as const);
  const follow = checkBoolean('follow', options.follow ?? false);
  const openTimeoutMs = checkInteger('openTimeoutMs', options.openTimeoutMs ?? 2000, 0, 2 ** 31);
  const livenessIntervalMs = checkInteger('livenessIntervalMs', options.livenessIntervalMs ?? 250, 10, 60000);
  const wakeup = checkOneOf('wakeup', options.wakeup ?? 'auto', ['auto', 'futex', 'poll'] as const);
  // In the background: attaching must not wait for it (a stream may be
  // short), and frames that come meanwhile are delivered between its steps.
  void warmUp();
  const result = await attach(name, policy, openTimeoutMs);
  if (result === 'missing' && !follow) throw streamNotFound(name);
  return new Consumer(name, policy, follow, openTimeoutMs, livenessIntervalMs, wakeup, result === 'missing' ? undefined : result);
}

function streamNotFound(name: string): VidbusError {
  return new VidbusError(
    'ERR_STREAM_NOT_FOUND',
    `No stream named "${name}". Start its producer first (\`vidbus list\` shows live streams), or pass { follow: true } to wait for it.`,
    { stream: name },
  );
}

/** Whether next() failed only because reading is over: the consumer was closed, the stream ended, or its producer died (without follow). */
export function readingEnded(e: unknown): boolean {
  return e instanceof VidbusError && (e.code === 'ERR_CLOSED' || e.code === 'ERR_STREAM_ENDED' || e.code === 'ERR_PRODUCER_DIED');
}

/**
 * A following consumer of a stream that must exist now: ERR_STREAM_NOT_FOUND
 * at once if it does not (a clear error rather than a silent wait), then it
 * survives producer restarts like any `follow: true` consumer.
 */
export async function followExistingStream(name: string, policy: Policy = 'latest'): Promise<Consumer> {
  const consumer = await openConsumer(name, { policy, follow: true });
  if (!consumer.connected) {
    consumer.close();
    throw streamNotFound(name);
  }
  return consumer;
}
