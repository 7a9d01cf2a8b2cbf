/**
 * The frames a consumer took from one attachment and still holds: which of
 * its record's hold entries are in use (so taking a hold reads no shared
 * memory to find a free one), the frames themselves (close() releases
 * them), and the two mappings, which stay alive after the attachment is
 * left until its last frame is released. One per attachment, shared by its
 * frames as their HoldOwner: releasing a frame is one call, with no Set,
 * closure or mapping bookkeeping per frame.
 */
import { VidbusError } from '../errors.js';
import type { Attachment } from './attach.js';
import type { Frame, HoldOwner } from './frame.js';
import { holdStillValid, releaseHold, renewHold } from './holds.js';
import { HOLDS_PER_RECORD } from './layout.js';
import { monoNs } from '../util/clock.js';

const ALL_IN_USE = (1 << HOLDS_PER_RECORD) - 1;

export class HeldFrames implements HoldOwner {
  /** bit h: hold entry h is in use (read by the consumer's per-frame path: none in use means entry 0) */
  inUse = 0;
  private readonly frames: (Frame | undefined)[] = new Array<Frame | undefined>(HOLDS_PER_RECORD).fill(undefined);
  /** frames handed out and not yet released */
  count = 0;
  private left = false;

  constructor(private readonly a: Attachment) {
    // Our own reference to the mappings, dropped once the attachment is
    // left and nothing is held (frames are views into them).
    a.mapping.retain();
    a.ctlMapping.retain();
  }

  /** A free hold entry of the record. Throws ERR_TOO_MANY_HOLDS when all are held. */
  freeEntry(): number {
    const mask = this.inUse;
    if (mask === ALL_IN_USE) {
      throw new VidbusError(
        'ERR_TOO_MANY_HOLDS',
        `This consumer already holds ${HOLDS_PER_RECORD} frames; release one (frame.release()) before receiving another.`,
      );
    }
    const lowestFree = ~mask & (mask + 1);
    return 31 - Math.clz32(lowestFree);
  }

  /** Entry `hold` now holds `frame`. */
  add(hold: number, frame: Frame): void {
    this.inUse |= 1 << hold;
    this.frames[hold] = frame;
    this.count++;
  }

  releaseHold(_frame: Frame, hold: number, seq: bigint): boolean {
    const intact = releaseHold(this.a.ctl.i64, this.a.holdEntry[hold]!, seq);
    this.inUse &= ~(1 << hold);
    this.frames[hold] = undefined;
    if (--this.count === 0 && this.left) this.unmap();
    return intact;
  }

  renewHold(hold: number, seq: bigint): boolean {
    return renewHold(this.a.ctl.i64, this.a.holdEntry[hold]!, seq, monoNs());
  }

  holdValid(hold: number, seq: bigint): boolean {
    return holdStillValid(this.a.ctl.i64, this.a.holdEntry[hold]!, seq);
  }

  /** The attachment was left: the mappings go with the last frame. Idempotent. */
  leave(): void {
    if (this.left) return;
    this.left = true;
    if (this.count === 0) this.unmap();
  }

  /** True once left with nothing held: nothing more to track. */
  get finished(): boolean {
    return this.left && this.count === 0;
  }

  /** Releases every frame still held (consumer.close()). */
  releaseAll(): void {
    for (const frame of this.frames) frame?.release();
  }

  private unmap(): void {
    this.a.mapping.release();
    this.a.ctlMapping.release();
  }
}
