/**
 * A frame received by a consumer. `data` is a view straight into shared
 * memory, mapped read-only: reading is free, and writing to it kills the
 * process with SIGSEGV (copy it first: `Uint8Array.from(frame.data)`).
 *
 * The frame stays intact until release(): `using frame = await consumer.next()`,
 * a `for await` loop (which releases at the next iteration), or an explicit
 * frame.release(). A frame held longer than the stream's hold lifespan may
 * be taken back by the producer; release() then returns false, and
 * renew() restarts the lifespan for long reads. A frame handed to a
 * subscribe() callback is released when the callback returns, unless it
 * calls keep().
 */
import type { FrameLayout, PixelFormat } from '../video/formats.js';
import { planeViews } from './planes.js';

/** What a frame needs from its consumer to release or renew its hold (one per attachment, shared by its frames). */
export interface HoldOwner {
  releaseHold(frame: Frame, hold: number, seq: bigint): boolean;
  renewHold(hold: number, seq: bigint): boolean;
  holdValid(hold: number, seq: bigint): boolean;
}

/** A received frame: read-only views into shared memory, valid until released (or its lease expires). */
export class Frame implements Disposable {
  /** sequence number: 1 for the stream's first frame, +1 for each publish */
  readonly seq: number;
  /** bytes of this frame, in shared memory */
  readonly data: Uint8Array;
  /** bytes of frame data (the encoded frame's size; the frame size for raw formats) */
  readonly size: number;
  /** true for keyframes (every raw frame is one) */
  readonly keyframe: boolean;
  /** capture time, CLOCK_MONOTONIC ns */
  readonly timestamp: bigint;
  /** capture time, ns since the Unix epoch */
  readonly wallClock: bigint;
  /** when the producer published, CLOCK_MONOTONIC ns */
  readonly publishTimestamp: bigint;
  /** the user metadata published with the frame (a view into shared memory) */
  readonly meta: Uint8Array;
  /** format, size, planes and strides of the stream */
  readonly layout: FrameLayout;
  private released = false;
  private kept = false;
  private cachedPlanes: Uint8Array[] | undefined;

  /** @internal made by Consumer (one small object per frame: the views are the attachment's, made once per slot) */
  constructor(
    data: Uint8Array,
    meta: Uint8Array,
    private readonly rawSeq: bigint,
    size: number,
    keyframe: boolean,
    timestamp: bigint,
    wallClock: bigint,
    publishTimestamp: bigint,
    layout: FrameLayout,
    private readonly owner: HoldOwner,
    private readonly hold: number,
  ) {
    this.seq = Number(rawSeq);
    this.data = data;
    this.meta = meta;
    this.size = size;
    this.keyframe = keyframe;
    this.timestamp = timestamp;
    this.wallClock = wallClock;
    this.publishTimestamp = publishTimestamp;
    this.layout = layout;
  }

  /** The pixel format. */
  get format(): PixelFormat {
    return this.layout.format;
  }
  /** Width in pixels. */
  get width(): number {
    return this.layout.width;
  }
  /** Height in pixels. */
  get height(): number {
    return this.layout.height;
  }
  /** Bytes per row of each plane. */
  get strides(): number[] {
    return this.layout.planes.map((p) => p.stride);
  }
  /** One view per plane (empty for encoded formats). */
  get planes(): Uint8Array[] {
    this.cachedPlanes ??= planeViews(this.data, this.layout);
    return this.cachedPlanes;
  }

  /** True while the frame is held and the producer has not taken it back. */
  get valid(): boolean {
    return !this.released && this.owner.holdValid(this.hold, this.rawSeq);
  }

  /**
   * Lets the producer reuse the slot. Returns true if the frame stayed
   * intact until now, false if it was released already or its lifespan ran
   * out (its bytes may have been overwritten meanwhile).
   */
  release(): boolean {
    if (this.released) return false;
    this.released = true;
    return this.owner.releaseHold(this, this.hold, this.rawSeq);
  }

  /**
   * In a subscribe() callback: keep this frame after the callback returns
   * (release it yourself, within the stream's hold lifespan or renewing it).
   * Elsewhere frames are kept until released anyway. Returns the frame.
   */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** @internal after a subscribe() callback: release() unless keep() was called */
  releaseUnlessKept(): void {
    if (!this.kept) this.release();
  }

  /** Restarts the hold's lifespan, for long reads. False if already taken back. */
  renew(): boolean {
    return !this.released && this.owner.renewHold(this.hold, this.rawSeq);
  }

  /** Same as release(). */
  [Symbol.dispose](): void {
    this.release();
  }
}
