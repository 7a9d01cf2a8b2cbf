/**
 * The producer: creates a stream, loans slots, publishes frames, and
 * removes the stream when it closes or the process ends.
 *
 *   const producer = await createProducer('cam0', { width: 1280, height: 720, format: 'RGBA' });
 *   const frame = producer.loan();            // null when every slot is held: counted as a drop
 *   if (frame) { fill(frame.data); producer.publish(frame); }
 */
import { linkSync, lstatSync, unlinkSync } from 'node:fs';
import { VidbusError, fsError } from '../errors.js';
import {
  closeFd,
  futexWake,
  lockTry,
  Mapping,
  openShmFile,
  openWakeSender,
  reserve,
  sendWake,
  setPermissions,
  statFd,
} from '../native/shm.js';
import { fpsToRational, frameLayout, isPixelFormat, PIXEL_FORMATS, type FrameLayout, type PixelFormat, type Rational } from '../video/formats.js';
import { monoNs, sleep, wallNs } from '../util/clock.js';
import { ConsumerTable } from './consumer-table.js';
import { writeCtlHeader, type ConsumerInfo } from './ctl.js';
import { registerExitCleanup, unregisterExitCleanup } from './exit.js';
import { totalBytesOf, writeHeader } from './header.js';
import {
  ctlBytes,
  D,
  FrameFlags,
  H,
  LAYOUT_VERSION,
  MAX_CONSUMERS,
  MAX_SLOTS,
  MAX_USER_META,
  MIN_SLOTS,
  PRODUCER_LOCK_OFFSET,
  SEQ_WRITING,
  StreamState,
} from './layout.js';
import { ctlPath, dataPath, tempDataPath, validateStreamName } from './names.js';
import { checkBoolean, checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { streamPermissions } from './permissions.js';
import { sweepOrphanedTemps, reclaimStream } from './reclaim.js';
import { warmUp } from './warm-up.js';
import { DataViews, CtlViews } from './views.js';
import { planeViews, slotViews } from './planes.js';

export type { Rational };

/** Options of createProducer(). */
export interface ProducerOptions {
  /** frame width in pixels */
  width: number;
  /** frame height in pixels */
  height: number;
  /** pixel format of every frame */
  format: PixelFormat;
  /** nominal frame rate, for consumers and listings (default 30) */
  fps?: number | Rational;
  /** ring size (default 4; at least 2, at most 64) */
  slots?: number;
  /** bytes per row for each plane (raw formats) */
  strides?: number[];
  /** round strides up to a multiple of this */
  strideAlign?: number;
  /** largest frame of an encoded format (default: the raw 4:2:0 size) */
  maxFrameBytes?: number;
  /** how long a consumer may hold a frame before the producer may take it back (default 2000 ms) */
  holdLifespanMs?: number;
  /** consumer records (default 32) */
  maxConsumers?: number;
  /** file mode of the stream (default 0o600, owner only) */
  mode?: number;
  /** group to share the stream with (name or gid) */
  group?: string | number;
  /** remove the stream on SIGINT/SIGTERM/SIGHUP when nobody else handles them (default true) */
  handleSignals?: boolean;
}

const PRODUCER_OPTIONS = [
  'width',
  'height',
  'format',
  'fps',
  'slots',
  'strides',
  'strideAlign',
  'maxFrameBytes',
  'holdLifespanMs',
  'maxConsumers',
  'mode',
  'group',
  'handleSignals',
] as const;

/** Per-frame metadata for publish() and write(). */
export interface PublishOptions {
  /** capture time, CLOCK_MONOTONIC ns (default: now) */
  timestamp?: bigint;
  /** capture wall-clock time, ns since the epoch (default: now) */
  wallClock?: bigint;
  /** for encoded formats: this frame can be decoded alone */
  keyframe?: boolean;
  /** bytes used; required for encoded formats, must be the frame size for raw ones */
  size?: number;
  /** up to 192 bytes of user metadata */
  meta?: Uint8Array;
}

/** How often publish() sweeps the consumer records. */
const SWEEP_EVERY_NS = 250_000_000n;

/** The default of publish() and write(): one shared object, so a call without options allocates none. */
const NO_OPTIONS: PublishOptions = Object.freeze({});

/** What a producer counted since it was created. */
export interface ProducerStats {
  /** frames published */
  published: number;
  /** frames not published because every slot was held (the producer never waits) */
  dropped: number;
  /** consumers attached now */
  consumers: number;
}

/** Where a loaned slot lies in the stream's shared memory (Producer.sharedSlot). */
export interface SharedSlot {
  /** the data segment's descriptor (the producer's: do not close it) */
  fd: number;
  /** the slot's byte offset in that file */
  offset: number;
  /** the slot's bytes */
  length: number;
}

/** A slot loaned to the producer: fill `data` (or `planes`), then publish or discard it. */
export class LoanedFrame {
  /** @internal */
  active = true;
  private cachedPlanes: Uint8Array[] | undefined;

  /** @internal */
  constructor(
    /** the slot's index in the ring */
    readonly slot: number,
    /** a writable view of the whole slot, straight into shared memory */
    readonly data: Uint8Array,
    private readonly layout: FrameLayout,
  ) {}

  /** One writable view per plane (empty for encoded formats). */
  get planes(): Uint8Array[] {
    this.cachedPlanes ??= planeViews(this.data, this.layout);
    return this.cachedPlanes;
  }
}

function parseFps(fps: ProducerOptions['fps']): Rational {
  if (fps === undefined) return { num: 30, den: 1 };
  if (typeof fps === 'number') {
    if (!Number.isFinite(fps) || fps < 0 || fps > 100000) throw invalidOption('fps', 'a number from 0 to 100000', fps);
    return fpsToRational(fps);
  }
  if (typeof fps === 'object' && fps !== null) {
    checkInteger('fps.num', fps.num, 0, 2 ** 31);
    checkInteger('fps.den', fps.den, 1, 2 ** 31);
    return { num: fps.num, den: fps.den };
  }
  throw invalidOption('fps', 'a number or { num, den }', fps);
}

interface Validated {
  layout: FrameLayout;
  fps: Rational;
  slots: number;
  holdLifespanMs: number;
  maxConsumers: number;
  handleSignals: boolean;
}

function validate(options: ProducerOptions): Validated {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'an object', options);
  rejectUnknownOptions('createProducer', options, PRODUCER_OPTIONS);
  if (!isPixelFormat(options.format)) throw invalidOption('format', `one of ${PIXEL_FORMATS.join(', ')}`, options.format);
  const layoutOptions: Parameters<typeof frameLayout>[3] = {};
  if (options.strides !== undefined) layoutOptions.strides = options.strides;
  if (options.strideAlign !== undefined) layoutOptions.strideAlign = options.strideAlign;
  if (options.maxFrameBytes !== undefined) layoutOptions.maxFrameBytes = options.maxFrameBytes;
  return {
    layout: frameLayout(options.format, options.width, options.height, layoutOptions),
    fps: parseFps(options.fps),
    slots: checkInteger('slots', options.slots ?? 4, MIN_SLOTS, MAX_SLOTS),
    holdLifespanMs: checkInteger('holdLifespanMs', options.holdLifespanMs ?? 2000, 1, 2 ** 31),
    maxConsumers: checkInteger('maxConsumers', options.maxConsumers ?? 32, 1, MAX_CONSUMERS),
    handleSignals: checkBoolean('handleSignals', options.handleSignals ?? true),
  };
}

/**
 * Puts a fully initialised data file under the stream's name. link() is
 * atomic and fails if the name exists, so nobody ever sees a half-made
 * stream under its name, and a stale stream is taken over only after
 * reclaimStream() proved its producer dead.
 */
async function takeName(name: string, tempPath: string): Promise<void> {
  const path = dataPath(name);
  for (let attempt = 0; ; attempt++) {
    try {
      linkSync(tempPath, path);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(e, `creating stream "${name}" at ${path}`, name);
    }
    const result = reclaimStream(name);
    if (result === 'reclaimed' || result === 'missing') continue;
    if (result === 'no-access') {
      throw new VidbusError(
        'ERR_PERMISSION',
        `Stream "${name}" exists and belongs to another user (${path}); pick another name or ask that user to stop it.`,
        { stream: name },
      );
    }
    // 'alive': a live producer, or someone reclaiming for a moment. A real
    // producer holds the lock for good, so retry briefly before deciding.
    if (attempt >= 5) {
      throw new VidbusError(
        'ERR_STREAM_EXISTS',
        `Stream "${name}" already has a live producer. Stop it first, or publish under another name.`,
        { stream: name },
      );
    }
    await sleep(10);
  }
}

/** The one writer of a stream: loan a slot, fill it, publish; or write() a frame with one copy. */
export class Producer {
  /** the stream's name */
  readonly name: string;
  /** format, size, planes and strides of every frame */
  readonly layout: FrameLayout;
  /** the nominal frame rate */
  readonly fps: Rational;
  /** slots in the ring */
  readonly slotCount: number;

  private dataFd: number;
  private ctlFd: number;
  private mapping: Mapping;
  private ctlMapping: Mapping;
  private readonly data: DataViews;
  private readonly consumers: ConsumerTable;
  private readonly slotViews: Uint8Array[];
  private readonly loaned: (LoanedFrame | undefined)[];
  private closed = false;
  private seq = 0n;
  private published = 0;
  private dropped = 0;
  /** CLOCK_MONOTONIC ns of the last sweep */
  private lastSweepNs = 0n;
  /** pickSlot()'s scratch: each slot's sequence, and 1 for slots held or tried */
  private readonly slotSeqs = new BigInt64Array(MAX_SLOTS);
  private readonly unavailable = new Uint8Array(MAX_SLOTS);
  /** the socket wakes are sent from, opened on the first consumer asleep on one */
  private wakeSender = -1;
  private readonly sendWake = (token: bigint): void => {
    if (this.wakeSender < 0) this.wakeSender = openWakeSender();
    // Errors are the consumer's: a full queue means a wake is pending, a
    // missing socket means it is gone (its liveness check tells).
    sendWake(this.wakeSender, token);
  };

  /** @internal use createProducer() */
  constructor(
    name: string,
    v: Validated,
    dataFd: number,
    ctlFd: number,
    mapping: Mapping,
    ctlMapping: Mapping,
  ) {
    this.name = name;
    this.layout = v.layout;
    this.fps = v.fps;
    this.slotCount = v.slots;
    this.dataFd = dataFd;
    this.ctlFd = ctlFd;
    this.mapping = mapping;
    this.ctlMapping = ctlMapping;
    this.data = new DataViews(mapping.buffer, v.slots);
    const ctl = new CtlViews(ctlMapping.buffer, v.maxConsumers);
    this.consumers = new ConsumerTable(ctl, ctlFd, v.maxConsumers, BigInt(v.holdLifespanMs) * 1_000_000n);
    this.slotViews = slotViews(mapping.buffer, v.slots, v.layout.frameBytes);
    this.loaned = new Array<LoanedFrame | undefined>(v.slots).fill(undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new VidbusError('ERR_CLOSED', `Producer of "${this.name}" is closed`, { stream: this.name });
  }

  private slotSeq(slot: number): bigint {
    return Atomics.load(this.data.i64, DataViews.descSeq(slot));
  }

  /** Marks `slot` as being written unless a consumer holds its frame (holds.ts). */
  private claim(slot: number): boolean {
    const previous = this.slotSeq(slot);
    // SYNC POINT (Dekker, producer side 1/2): mark the slot...
    Atomics.store(this.data.i64, DataViews.descSeq(slot), SEQ_WRITING);
    // ...then look for holds on what it contained (2/2).
    if (previous > 0n && this.consumers.isHeld(previous)) {
      Atomics.store(this.data.i64, DataViews.descSeq(slot), previous);
      return false;
    }
    return true;
  }

  /** Oldest slot that is neither the latest, loaned, nor held. */
  private pickSlot(): number {
    const latest = Atomics.load(this.data.i32, DataViews.latestSlot);
    const seqs = this.slotSeqs;
    const unavailable = this.unavailable;
    // Only this producer writes the slots' sequences: a plain read is exact.
    for (let s = 0; s < this.slotCount; s++) seqs[s] = this.data.i64[DataViews.descSeq(s)]!;
    this.consumers.markHeldSlots(seqs, this.slotCount, unavailable);
    // Few slots (<= 64): repeated minimum search, no allocation.
    for (;;) {
      let best = -1;
      let bestSeq = 0n;
      for (let s = 0; s < this.slotCount; s++) {
        if (s === latest || this.loaned[s] !== undefined || unavailable[s] === 1) continue;
        const seq = seqs[s]!;
        if (best < 0 || seq < bestSeq) {
          best = s;
          bestSeq = seq;
        }
      }
      if (best < 0) return -1;
      if (this.claim(best)) return best;
      unavailable[best] = 1; // held after all (the re-check in claim())
    }
  }

  /** Sweeps (liveness, hold lifespans) when forced or when the last sweep is `SWEEP_EVERY_NS` old at `now`. */
  private maybeSweep(force: boolean, now = monoNs()): void {
    if (!force && now - this.lastSweepNs < SWEEP_EVERY_NS) return;
    this.lastSweepNs = now;
    this.consumers.sweep(force);
  }

  /**
   * Loans a free slot for writing. Returns null, and counts a drop, when
   * consumers hold every slot: the producer never waits for a consumer.
   */
  loan(): LoanedFrame | null {
    this.assertOpen();
    let slot = this.pickSlot();
    if (slot < 0) {
      // Everything is held: take back holds of dead consumers and holds
      // past their lifespan, then try once more.
      this.maybeSweep(true);
      slot = this.pickSlot();
    }
    if (slot < 0) {
      this.dropped++;
      Atomics.add(this.data.i64, DataViews.dropped, 1n);
      return null;
    }
    const frame = new LoanedFrame(slot, this.slotViews[slot]!, this.layout);
    this.loaned[slot] = frame;
    return frame;
  }

  /**
   * The data segment's descriptor and where a loaned frame's slot lies in
   * it, for another process that fills the slot in place (the X server
   * writes screen captures straight into it with MIT-SHM). The descriptor
   * stays the producer's: do not close it; it closes with the producer.
   */
  sharedSlot(frame: LoanedFrame): SharedSlot {
    this.assertOpen();
    if (!(frame instanceof LoanedFrame) || !frame.active || this.loaned[frame.slot] !== frame) {
      throw new VidbusError('ERR_FRAME_RELEASED', 'This frame was already published or discarded, or belongs to another producer', { stream: this.name });
    }
    // The data segment is mapped whole from offset 0, so a view's offset in the mapping is its offset in the file.
    return { fd: this.dataFd, offset: frame.data.byteOffset, length: frame.data.byteLength };
  }

  private takeBack(frame: LoanedFrame): void {
    if (!(frame instanceof LoanedFrame) || !frame.active || this.loaned[frame.slot] !== frame) {
      throw new VidbusError('ERR_FRAME_RELEASED', 'This frame was already published or discarded, or belongs to another producer', {
        stream: this.name,
      });
    }
    frame.active = false;
    this.loaned[frame.slot] = undefined;
  }

  /** Publishes a loaned frame; returns its sequence number. */
  publish(frame: LoanedFrame, options: PublishOptions = NO_OPTIONS): number {
    this.assertOpen();
    return this.publishSized(frame, options.size ?? this.layout.frameBytes, options);
  }

  /** publish() with the payload size decided (write() knows it from its bytes). */
  private publishSized(frame: LoanedFrame, size: number, options: PublishOptions): number {
    const raw = this.layout.planes.length > 0;
    if (!Number.isInteger(size) || size < 0 || size > this.layout.frameBytes || (raw && size !== this.layout.frameBytes)) {
      throw new VidbusError(
        'ERR_FRAME_SIZE',
        raw
          ? `A ${this.layout.format} frame of ${this.layout.width}x${this.layout.height} is ${this.layout.frameBytes} bytes; received size ${size}`
          : `Encoded frames can be at most ${this.layout.frameBytes} bytes (maxFrameBytes); received size ${size}`,
        { stream: this.name },
      );
    }
    const meta = options.meta;
    if (meta !== undefined && (!(meta instanceof Uint8Array) || meta.length > MAX_USER_META)) {
      throw invalidOption('meta', `a Uint8Array of at most ${MAX_USER_META} bytes`, meta instanceof Uint8Array ? `${meta.length} bytes` : meta);
    }
    this.takeBack(frame);
    const slot = frame.slot;
    const { i32, i64, u8 } = this.data;
    const now = monoNs();
    i32[DataViews.desc32(slot, D.size)] = size;
    i32[DataViews.desc32(slot, D.flags)] = options.keyframe || raw ? FrameFlags.Keyframe : 0;
    i64[DataViews.desc64(slot, D.captureMonoNs)] = options.timestamp ?? now;
    i64[DataViews.desc64(slot, D.captureWallNs)] = options.wallClock ?? wallNs();
    i64[DataViews.desc64(slot, D.publishMonoNs)] = now;
    i32[DataViews.desc32(slot, D.userMetaBytes)] = meta?.length ?? 0;
    if (meta && meta.length > 0) u8.set(meta, DataViews.descByte(slot, D.userMeta));
    const seq = ++this.seq;
    // SYNC POINT (release): the frame bytes and the descriptor above become
    // visible to any consumer that sees this sequence number.
    Atomics.store(i64, DataViews.descSeq(slot), seq);
    Atomics.store(i32, DataViews.latestSlot, slot);
    Atomics.store(i64, DataViews.latestSeq, seq);
    Atomics.store(i64, DataViews.lastPublish, now);
    this.published++;
    this.notify();
    // After the wake, so it never delays a frame: holds past their lifespan
    // and dead consumers' holds are free again by the next loan (which
    // sweeps at once when it finds every slot held).
    this.maybeSweep(false, now);
    return Number(seq);
  }

  /** Publishes a copy of `bytes`: the one-copy convenience. Returns the sequence, or null if dropped. */
  write(bytes: Uint8Array, options: PublishOptions = NO_OPTIONS): number | null {
    this.assertOpen();
    if (!(bytes instanceof Uint8Array)) throw invalidOption('bytes', 'a Uint8Array (or Buffer)', bytes);
    const raw = this.layout.planes.length > 0;
    if (bytes.length > this.layout.frameBytes || (raw && bytes.length !== this.layout.frameBytes)) {
      throw new VidbusError(
        'ERR_FRAME_SIZE',
        `Expected ${raw ? '' : 'at most '}${this.layout.frameBytes} bytes for a ${this.layout.format} ${this.layout.width}x${this.layout.height} frame but received ${bytes.length}`,
        { stream: this.name },
      );
    }
    const frame = this.loan();
    if (frame === null) return null;
    frame.data.set(bytes);
    return this.publishSized(frame, bytes.length, options);
  }

  /** Gives a loaned frame back without publishing it. */
  discard(frame: LoanedFrame): void {
    this.assertOpen();
    this.takeBack(frame);
    // The slot's old content was already given up in claim(): mark it empty.
    Atomics.store(this.data.i64, DataViews.descSeq(frame.slot), 0n);
  }

  private notify(): void {
    // SYNC POINT (Dekker with Consumer.announceSleep): bump the word, then
    // read the waiting flags. No syscall when nobody sleeps; one datagram
    // per consumer asleep on its socket, one FUTEX_WAKE for the others.
    Atomics.add(this.data.i32, DataViews.notify, 1);
    if (this.consumers.wakeSleepers(this.sendWake)) futexWake(this.mapping.buffer, H.notify);
  }

  /** Counters so far; after close, the final ones (with no consumers). */
  stats(): ProducerStats {
    if (this.closed) return { published: this.published, dropped: this.dropped, consumers: 0 };
    this.maybeSweep(true);
    return { published: this.published, dropped: this.dropped, consumers: this.consumers.liveRecords().length };
  }

  /** The consumers attached now, as they describe themselves. */
  consumerList(): ConsumerInfo[] {
    this.assertOpen();
    this.maybeSweep(true);
    return this.consumers.snapshots();
  }

  /** True once the stream was closed (by close(), or by exit or signal cleanup). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the stream: consumers see a clean end, and the files are removed. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    unregisterExitCleanup(this);
    try {
      Atomics.store(this.data.i32, DataViews.state, StreamState.Closed);
      Atomics.add(this.data.i32, DataViews.notify, 1);
      this.consumers.wakeSleepers(this.sendWake);
      futexWake(this.mapping.buffer, H.notify);
    } finally {
      if (this.wakeSender >= 0) closeFd(this.wakeSender);
      this.wakeSender = -1;
      this.removeFiles();
      for (const f of this.loaned) if (f) f.active = false;
      this.mapping.release();
      this.ctlMapping.release();
      closeFd(this.ctlFd);
      closeFd(this.dataFd); // drops the liveness lock
      this.dataFd = -1;
      this.ctlFd = -1;
    }
  }

  /** @internal exit hook */
  closeSync(): void {
    this.close();
  }

  private removeFiles(): void {
    // We hold the liveness lock, so these paths are ours unless someone
    // removed them by hand; check the inode before unlinking.
    try {
      const mine = statFd(this.dataFd);
      const onDisk = lstatSync(dataPath(this.name));
      if (mine.ino !== onDisk.ino || mine.dev !== onDisk.dev) return;
    } catch {
      return;
    }
    for (const path of [ctlPath(this.name), dataPath(this.name)]) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Fills a fresh data segment: header, state Live, then the version word. */
function initDataSegment(mapping: Mapping, name: string, v: Validated): void {
  writeHeader(mapping.buffer, {
    name,
    layout: v.layout,
    fps: v.fps,
    slotCount: v.slots,
    producerPid: process.pid,
    holdLifespanMs: v.holdLifespanMs,
    maxConsumers: v.maxConsumers,
    createdWallNs: wallNs(),
    createdMonoNs: monoNs(),
  });
  const header = mapping.views32();
  Atomics.store(header, DataViews.state, StreamState.Live);
  // SYNC POINT (release): the version word goes last; openers wait for it.
  Atomics.store(header, H.version / 4, LAYOUT_VERSION);
}

/**
 * @internal A producer over private anonymous memory: no files, no name
 * in /dev/shm, nothing another process can see or that can outlive this
 * one. Only the consumer warm-up (warm-up.ts) uses it; it returns the two
 * mappings for the warm-up's own consumer.
 */
export function createPrivateProducer(name: string, options: ProducerOptions): { producer: Producer; mapping: Mapping; ctlMapping: Mapping } {
  const v = validate(options);
  const mapping = Mapping.anonymous(totalBytesOf(v.slots, v.layout.frameBytes));
  const ctlMapping = Mapping.anonymous(ctlBytes(v.maxConsumers));
  initDataSegment(mapping, name, v);
  writeCtlHeader(ctlMapping.buffer, v.maxConsumers, 0n);
  return { producer: new Producer(name, v, -1, -1, mapping, ctlMapping), mapping, ctlMapping };
}

/**
 * Creates a stream and becomes its producer: `using p = await createProducer('cam0', { width: 1280, height: 720, format: 'RGBA' })`.
 * The first call in a process also starts warming the publish path up in the background (0.1-0.2 s, once; see warm-up.ts; `VIDBUS_WARM_UP_ROUNDS=0` turns it off).
 */
export async function createProducer(name: string, options: ProducerOptions): Promise<Producer> {
  validateStreamName(name);
  const v = validate(options);
  const perms = streamPermissions(options.mode, options.group);
  const totalBytes = totalBytesOf(v.slots, v.layout.frameBytes);
  sweepOrphanedTemps(name);

  // 1. Build the data segment under a private temporary name, locked.
  const tempPath = tempDataPath(name);
  let dataFd: number;
  try {
    dataFd = openShmFile(tempPath, 'create', 0o600);
  } catch (e) {
    throw fsError(e, `creating ${tempPath}`, name);
  }
  let ctlFd = -1;
  let mapping: Mapping | undefined;
  let ctlMapping: Mapping | undefined;
  let named = false;
  try {
    lockTry(dataFd, PRODUCER_LOCK_OFFSET); // a fresh inode: always succeeds
    reserve(dataFd, totalBytes);
    mapping = new Mapping(dataFd, totalBytes, true);
    setPermissions(dataFd, perms.dataMode, perms.gid, dataPath(name));
    initDataSegment(mapping, name, v);

    // 2. Take the name.
    await takeName(name, tempPath);
    named = true;
    unlinkQuietly(tempPath);

    // 3. The control segment. Any ctl file at our path is stale: only the
    //    producer that owns the name creates one, and that is us now.
    //    Consumers that find the data file first wait for it.
    unlinkQuietly(ctlPath(name));
    try {
      ctlFd = openShmFile(ctlPath(name), 'create', 0o600);
    } catch (e) {
      throw fsError(e, `creating ${ctlPath(name)}`, name);
    }
    const ctlSize = ctlBytes(v.maxConsumers);
    reserve(ctlFd, ctlSize);
    ctlMapping = new Mapping(ctlFd, ctlSize, true);
    setPermissions(ctlFd, perms.ctlMode, perms.gid, ctlPath(name));
    writeCtlHeader(ctlMapping.buffer, v.maxConsumers, BigInt(statFd(dataFd).ino));

    const producer = new Producer(name, v, dataFd, ctlFd, mapping, ctlMapping);
    registerExitCleanup(producer, v.handleSignals);
    // The publish path gets optimised before camera rates would (warm-up.ts).
    void warmUp();
    return producer;
  } catch (e) {
    mapping?.release();
    ctlMapping?.release();
    unlinkQuietly(tempPath);
    if (named) {
      unlinkQuietly(ctlPath(name));
      unlinkQuietly(dataPath(name));
    }
    if (ctlFd >= 0) closeFd(ctlFd);
    closeFd(dataFd);
    throw e;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
