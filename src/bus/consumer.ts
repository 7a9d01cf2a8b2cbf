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
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { VidbusError } from '../errors.js';
import { futexWake, WAIT_TIMED_OUT } from '../native/shm.js';
import { monoNs } from '../util/clock.js';
import { attach, type Attachment } from './attach.js';
import { reclaimStream } from './reclaim.js';
import type { Policy } from './ctl.js';
import { Frame, type HoldOwner } from './frame.js';
import { holdStillValid, releaseHold, renewHold, tryHold } from './holds.js';
import { LatencyWindow, type LatencySummary } from '../util/latency.js';
import { D, FrameFlags, H, MAX_USER_META, R, StreamState } from './layout.js';
import { FILE_PREFIX, SHM_DIR, validateStreamName } from './names.js';
import { checkBoolean, checkInteger, checkOneOf, rejectUnknownOptions } from '../util/options.js';
import type { StreamDescription } from './header.js';
import { CtlViews, DataViews } from './views.js';

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
}

const CONSUMER_OPTIONS = ['policy', 'follow', 'openTimeoutMs', 'livenessIntervalMs'] as const;

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

/** A reader of one stream: frames in place (read-only views into shared memory), woken per publish, with its own stats. */
export class Consumer extends EventEmitter<ConsumerEvents> implements AsyncIterable<Frame>, AsyncDisposable, Disposable {
  /** the stream's name */
  readonly name: string;
  /** 'latest' or 'every' */
  readonly policy: Policy;
  /** whether it outlives producers and waits for the next one */
  readonly follow: boolean;
  private attachment: Attachment | undefined;
  private owner: HoldOwner | undefined;
  private closed = false;
  private ended: LostReason | undefined;
  private busy = false;
  private lastSeq = 0n;
  private received = 0;
  private missed = 0;
  private expiredBefore = 0; // expired counts of earlier attachments
  private producerLost = 0;
  private readonly holding = new Set<Frame>();
  private readonly latency = new LatencyWindow();
  private readonly openTimeoutMs: number;
  private readonly livenessIntervalMs: number;
  private watcher: FSWatcher | undefined;
  private wakeWatch: (() => void) | undefined;

  /** @internal use openConsumer() */
  constructor(name: string, policy: Policy, follow: boolean, openTimeoutMs: number, livenessIntervalMs: number, attachment: Attachment | undefined) {
    super();
    this.name = name;
    this.policy = policy;
    this.follow = follow;
    this.openTimeoutMs = openTimeoutMs;
    this.livenessIntervalMs = livenessIntervalMs;
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

  private assertOpen(): void {
    if (this.closed) throw new VidbusError('ERR_CLOSED', `Consumer of "${this.name}" is closed`, { stream: this.name, canceled: true });
  }

  /** The hold owner shared by all frames of one attachment. */
  private makeOwner(a: Attachment): HoldOwner {
    return {
      releaseHold: (frame, hold, seq) => {
        this.holding.delete(frame);
        const intact = releaseHold(a.ctl, a.record, hold, seq);
        a.mapping.release();
        a.ctlMapping.release();
        return intact;
      },
      renewHold: (hold, seq) => renewHold(a.ctl, a.record, hold, seq, monoNs()),
      holdValid: (hold, seq) => holdStillValid(a.ctl, a.record, hold, seq),
    };
  }

  private setAttachment(a: Attachment | undefined): void {
    this.attachment = a;
    this.owner = a ? this.makeOwner(a) : undefined;
    if (a) this.lastSeq = startingPoint(a);
  }

  /** Finds the slot holding `seq`, or -1. */
  private slotOf(a: Attachment, seq: bigint, hint: number): number {
    if (hint >= 0 && hint < a.desc.slotCount && Atomics.load(a.data.i64, DataViews.descSeq(hint)) === seq) return hint;
    for (let s = 0; s < a.desc.slotCount; s++) if (Atomics.load(a.data.i64, DataViews.descSeq(s)) === seq) return s;
    return -1;
  }

  /** The oldest committed frame newer than `after`: [slot, seq], or undefined. */
  private oldestAfter(a: Attachment, after: bigint): [number, bigint] | undefined {
    let best: [number, bigint] | undefined;
    for (let s = 0; s < a.desc.slotCount; s++) {
      const seq = Atomics.load(a.data.i64, DataViews.descSeq(s));
      if (seq > after && (best === undefined || seq < best[1])) best = [s, seq];
    }
    return best;
  }

  /** Which frame to take next: [slot, seq], or undefined if nothing new. */
  private choose(a: Attachment): [number, bigint] | undefined {
    const latest = Atomics.load(a.data.i64, DataViews.latestSeq);
    if (latest <= this.lastSeq) return undefined;
    const hint = Atomics.load(a.data.i32, DataViews.latestSlot);
    if (this.policy === 'latest') {
      const slot = this.slotOf(a, latest, hint);
      return slot < 0 ? undefined : [slot, latest];
    }
    const want = this.lastSeq + 1n;
    const slot = this.slotOf(a, want, -1);
    return slot >= 0 ? [slot, want] : this.oldestAfter(a, this.lastSeq);
  }

  /** Takes the next frame if one is ready; never waits. */
  tryReceive(): Frame | null {
    this.assertOpen();
    const a = this.attachment;
    if (a === undefined) return null;
    // A few attempts: each failure means the producer overwrote the slot
    // between our read and our hold, so something newer exists.
    for (let attempt = 0; attempt < 8; attempt++) {
      const chosen = this.choose(a);
      if (chosen === undefined) return null;
      const [slot, seq] = chosen;
      const hold = tryHold(a.data, a.ctl, a.record, slot, seq, monoNs());
      if (hold < 0) continue;
      return this.deliver(a, slot, seq, hold);
    }
    return null;
  }

  private deliver(a: Attachment, slot: number, seq: bigint, hold: number): Frame {
    const { i32, i64 } = a.data;
    // The descriptor is stable while we hold the slot; still, it is
    // written by another process, so check it before making views.
    const size = i32[DataViews.desc32(slot, D.size)]! >>> 0;
    const metaBytes = i32[DataViews.desc32(slot, D.userMetaBytes)]! >>> 0;
    const layout = a.desc.layout;
    const raw = layout.planes.length > 0;
    if (size > layout.frameBytes || (raw && size !== layout.frameBytes) || metaBytes > MAX_USER_META) {
      releaseHold(a.ctl, a.record, hold, seq);
      throw new VidbusError(
        'ERR_STREAM_CORRUPT',
        `Stream "${this.name}" published a frame with an impossible size (${size} bytes, ${metaBytes} metadata bytes; slots hold ${layout.frameBytes})`,
        { stream: this.name },
      );
    }
    if (seq > this.lastSeq + 1n) this.missed += Number(seq - this.lastSeq - 1n);
    this.lastSeq = seq;
    this.received++;
    const publishTimestamp = i64[DataViews.desc64(slot, D.publishMonoNs)]!;
    this.latency.add(Number(monoNs() - publishTimestamp) / 1000);
    const ctl = a.ctl.i32;
    ctl[a.rec32(R.received)] = this.received;
    ctl[a.rec32(R.missed)] = this.missed;
    a.ctl.i64[CtlViews.rec64(a.record, R.lastSeq)] = seq;

    const metaStart = DataViews.descByte(slot, D.userMeta);
    // The frame keeps this generation's mappings alive until released.
    a.mapping.retain();
    a.ctlMapping.retain();
    const frame: Frame = new Frame(
      a.slots[slot]!.subarray(0, size),
      a.data.u8.subarray(metaStart, metaStart + metaBytes),
      {
        seq,
        size,
        keyframe: (i32[DataViews.desc32(slot, D.flags)]! & FrameFlags.Keyframe) !== 0,
        timestamp: i64[DataViews.desc64(slot, D.captureMonoNs)]!,
        wallClock: i64[DataViews.desc64(slot, D.captureWallNs)]!,
        publishTimestamp,
      },
      layout,
      this.owner!,
      hold,
    );
    this.holding.add(frame);
    return frame;
  }

  /**
   * Waits for the next frame. Resolves null when `timeoutMs` passes first.
   * Rejects with ERR_STREAM_ENDED when the producer closed the stream,
   * ERR_PRODUCER_DIED when it died (both only without `follow`),
   * ERR_ABORTED on the signal and ERR_CLOSED when the consumer is closed.
   */
  async next(options: NextOptions = {}): Promise<Frame | null> {
    this.assertOpen();
    if (this.busy) throw new VidbusError('ERR_BUSY', 'next() is already waiting on this consumer; await it first', { stream: this.name });
    const { signal } = options;
    const timeoutMs = options.timeoutMs === undefined ? Infinity : checkInteger('timeoutMs', options.timeoutMs, 0, 2 ** 31);
    const deadline = Date.now() + timeoutMs;
    this.busy = true;
    const onAbort = () => {
      // End a native wait in progress: a spurious wake for other sleepers
      // on this stream, who simply re-check.
      if (this.attachment) futexWake(this.attachment.mapping.buffer, H.notify);
      this.wakeWatch?.();
    };
    signal?.addEventListener('abort', onAbort);
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
        const frame = this.tryReceive();
        if (frame) return frame;
        if (Atomics.load(a.data.i32, DataViews.state) === StreamState.Closed) {
          // Frames published just before the close are still there.
          const last = this.tryReceive();
          if (last) return last;
          this.lose('closed');
          continue;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) return null;
        // SYNC POINT (Dekker with Producer.notify): announce that we sleep,
        // then re-read the word; the futex wait itself re-checks it too.
        Atomics.store(a.ctl.i32, a.rec32(R.waiting), 1);
        let result = 0;
        if (Atomics.load(a.data.i32, DataViews.notify) === notify) {
          result = await a.waiter.wait(notify, Math.min(remaining, this.livenessIntervalMs));
        }
        if (this.attachment === a) Atomics.store(a.ctl.i32, a.rec32(R.waiting), 0);
        if (result === WAIT_TIMED_OUT && this.attachment === a && !a.producerAlive()) {
          // A dead producer's last frames are still in the mapping.
          const last = this.tryReceive();
          if (last) return last;
          this.lose('died');
        }
      }
    } finally {
      this.busy = false;
      signal?.removeEventListener('abort', onAbort);
    }
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
  private async waitForProducer(deadline: number): Promise<boolean> {
    if (this.ended) throw this.endError(this.ended);
    for (;;) {
      this.assertOpen();
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

  /** This consumer's counters and latency. */
  stats(): ConsumerStats {
    const a = this.attachment;
    const expiredNow = a ? Atomics.load(a.ctl.i32, a.rec32(R.expired)) >>> 0 : 0;
    return {
      policy: this.policy,
      received: this.received,
      missed: this.missed,
      expired: this.expiredBefore + expiredNow,
      holding: this.holding.size,
      producerLost: this.producerLost,
      latency: this.latency.summary(),
    };
  }

  /** Releases held frames, leaves the stream. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const frame of [...this.holding]) frame.release();
    this.stopWatching();
    this.wakeWatch?.();
    this.attachment?.detach();
    this.setAttachment(undefined);
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

/**
 * Where a consumer starts on a newly attached stream: with the newest
 * frame already published (if any), then every frame after it.
 */
function startingPoint(a: Attachment): bigint {
  const latest = Atomics.load(a.data.i64, DataViews.latestSeq);
  return latest > 0n ? latest - 1n : 0n;
}

/** Opens a stream for reading: `policy` 'latest' (the newest frame) or 'every' (in order, counting what it misses); `follow` outlives producers. */
export async function openConsumer(name: string, options: ConsumerOptions = {}): Promise<Consumer> {
  validateStreamName(name);
  rejectUnknownOptions('openConsumer', options, CONSUMER_OPTIONS);
  const policy = checkOneOf('policy', options.policy ?? 'latest', ['latest', 'every'] as const);
  const follow = checkBoolean('follow', options.follow ?? false);
  const openTimeoutMs = checkInteger('openTimeoutMs', options.openTimeoutMs ?? 2000, 0, 2 ** 31);
  const livenessIntervalMs = checkInteger('livenessIntervalMs', options.livenessIntervalMs ?? 250, 10, 60000);
  const result = await attach(name, policy, openTimeoutMs);
  if (result === 'missing' && !follow) throw streamNotFound(name);
  return new Consumer(name, policy, follow, openTimeoutMs, livenessIntervalMs, result === 'missing' ? undefined : result);
}

function streamNotFound(name: string): VidbusError {
  return new VidbusError(
    'ERR_STREAM_NOT_FOUND',
    `No stream named "${name}". Start its producer first (\`vidbus list\` shows live streams), or pass { follow: true } to wait for it.`,
    { stream: name },
  );
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
