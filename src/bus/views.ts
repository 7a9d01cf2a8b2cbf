/**
 * Typed-array views over a stream's two segments, with the index
 * arithmetic for every field named in layout.ts. Hot paths use these
 * (Atomics on Int32Array / BigInt64Array); nothing here crosses into C.
 */
import { C, CTL_HEADER_BYTES, D, DESCRIPTOR_BYTES, DESCRIPTOR_OFFSET, H, HOLD_BYTES, R, RECORD_BYTES } from './layout.js';

export class DataViews {
  readonly i32: Int32Array;
  readonly i64: BigInt64Array;
  readonly u8: Uint8Array;

  constructor(readonly buffer: ArrayBuffer, readonly slotCount: number) {
    this.i32 = new Int32Array(buffer, 0, (DESCRIPTOR_OFFSET + slotCount * DESCRIPTOR_BYTES) / 4);
    this.i64 = new BigInt64Array(buffer, 0, (DESCRIPTOR_OFFSET + slotCount * DESCRIPTOR_BYTES) / 8);
    this.u8 = new Uint8Array(buffer);
  }

  static readonly notify = H.notify / 4;
  static readonly state = H.state / 4;
  static readonly latestSlot = H.latestSlot / 4;
  static readonly latestSeq = H.latestSeq / 8;
  static readonly dropped = H.dropped / 8;
  static readonly lastPublish = H.lastPublishMonoNs / 8;

  static descByte(slot: number, field: number): number {
    return DESCRIPTOR_OFFSET + slot * DESCRIPTOR_BYTES + field;
  }
  static descSeq(slot: number): number {
    return DataViews.descByte(slot, D.seq) / 8;
  }
  static desc32(slot: number, field: number): number {
    return DataViews.descByte(slot, field) / 4;
  }
  static desc64(slot: number, field: number): number {
    return DataViews.descByte(slot, field) / 8;
  }
}

export class CtlViews {
  readonly i32: Int32Array;
  readonly i64: BigInt64Array;

  constructor(readonly buffer: ArrayBuffer, readonly recordCount: number) {
    const bytes = CTL_HEADER_BYTES + recordCount * RECORD_BYTES;
    this.i32 = new Int32Array(buffer, 0, bytes / 4);
    this.i64 = new BigInt64Array(buffer, 0, bytes / 8);
  }

  static readonly version = C.version / 4;

  static rec32(record: number, field: number): number {
    return (CTL_HEADER_BYTES + record * RECORD_BYTES + field) / 4;
  }
  static rec64(record: number, field: number): number {
    return (CTL_HEADER_BYTES + record * RECORD_BYTES + field) / 8;
  }
  static holdSeq(record: number, hold: number): number {
    return (CTL_HEADER_BYTES + record * RECORD_BYTES + R.holds + hold * HOLD_BYTES) / 8;
  }
  static holdSince(record: number, hold: number): number {
    return CtlViews.holdSeq(record, hold) + 1;
  }
}
