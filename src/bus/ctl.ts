/** The control segment: its header, and the consumer records in it. */
import { VidbusError } from '../errors.js';
import { C, CTL_MAGIC, HOLDS_PER_RECORD, LAYOUT_VERSION, R, RECORD_BYTES, CTL_HEADER_BYTES, ctlBytes } from './layout.js';
import { CtlViews } from './views.js';

export function writeCtlHeader(buffer: ArrayBuffer, recordCount: number, dataInode: bigint): void {
  const view = new DataView(buffer);
  view.setUint32(C.magic, CTL_MAGIC, true);
  view.setUint32(C.recordCount, recordCount, true);
  view.setUint32(C.recordBytes, RECORD_BYTES, true);
  view.setUint32(C.holdsPerRecord, HOLDS_PER_RECORD, true);
  view.setUint32(C.recordsOffset, CTL_HEADER_BYTES, true);
  view.setBigInt64(C.dataInode, dataInode, true);
  // SYNC POINT (release): version last, so a reader that sees it sees the rest.
  Atomics.store(new Int32Array(buffer, 0, 2), CtlViews.version, LAYOUT_VERSION);
}

export type CtlStatus = 'ready' | 'initializing' | 'replaced';

/**
 * Checks the control segment against the data segment it must belong to.
 * 'replaced' means it belongs to another generation of the stream (the
 * producer was replaced between our two opens): open again.
 */
export function checkCtl(buffer: ArrayBuffer, fileBytes: number, name: string, recordCount: number, dataInode: bigint): CtlStatus {
  if (fileBytes < CTL_HEADER_BYTES) return 'initializing';
  const view = new DataView(buffer);
  if (Atomics.load(new Int32Array(buffer, 0, 2), CtlViews.version) === 0) return 'initializing';
  if (view.getBigInt64(C.dataInode, true) !== dataInode) return 'replaced';
  const bad = (field: string, detail: string) =>
    new VidbusError('ERR_STREAM_CORRUPT', `Stream "${name}" has a corrupt control segment: ${field} ${detail}.`, { stream: name });
  if (view.getUint32(C.magic, true) !== CTL_MAGIC) throw bad('magic', 'is wrong');
  if (view.getUint32(C.version, true) !== LAYOUT_VERSION) throw bad('version', `is ${view.getUint32(C.version, true)}`);
  if (view.getUint32(C.recordCount, true) !== recordCount) throw bad('recordCount', `is ${view.getUint32(C.recordCount, true)}`);
  if (view.getUint32(C.recordBytes, true) !== RECORD_BYTES) throw bad('recordBytes', `is ${view.getUint32(C.recordBytes, true)}`);
  if (view.getUint32(C.holdsPerRecord, true) !== HOLDS_PER_RECORD) throw bad('holdsPerRecord', 'is wrong');
  if (view.getUint32(C.recordsOffset, true) !== CTL_HEADER_BYTES) throw bad('recordsOffset', 'is wrong');
  if (fileBytes < ctlBytes(recordCount)) throw bad('size', `is ${fileBytes}, expected ${ctlBytes(recordCount)} (truncated)`);
  return 'ready';
}

/** How a consumer takes frames: 'latest' hands the newest (skipping the rest), 'every' hands each in order and counts what it could not keep. */
export type Policy = 'latest' | 'every';
export const POLICY_CODES: Record<Policy, number> = { latest: 1, every: 2 };

/** What a consumer record says about its owner; all values untrusted. */
export interface ConsumerInfo {
  /** the record's index in the ctl segment */
  readonly index: number;
  /** the consumer's process id */
  readonly pid: number;
  /** its policy, as the record says */
  readonly policy: Policy | 'unknown';
  /** frames it received */
  readonly received: number;
  /** frames it missed (policy 'every') */
  readonly missed: number;
  /** holds the producer took back after their lifespan */
  readonly expired: number;
  /** frames it holds now */
  readonly holds: number;
  /** when it opened, wall clock in ns since the epoch */
  readonly openedWallNs: bigint;
  /** the sequence of the last frame it took */
  readonly lastSeq: bigint;
}

export function snapshotRecord(ctl: CtlViews, index: number): ConsumerInfo {
  const i32 = ctl.i32;
  let holds = 0;
  for (let h = 0; h < HOLDS_PER_RECORD; h++) if (Atomics.load(ctl.i64, CtlViews.holdSeq(index, h)) > 0n) holds++;
  const policyCode = Atomics.load(i32, CtlViews.rec32(index, R.policy));
  return {
    index,
    pid: Atomics.load(i32, CtlViews.rec32(index, R.pid)),
    policy: policyCode === 1 ? 'latest' : policyCode === 2 ? 'every' : 'unknown',
    received: Atomics.load(i32, CtlViews.rec32(index, R.received)) >>> 0,
    missed: Atomics.load(i32, CtlViews.rec32(index, R.missed)) >>> 0,
    expired: Atomics.load(i32, CtlViews.rec32(index, R.expired)) >>> 0,
    holds,
    openedWallNs: Atomics.load(ctl.i64, CtlViews.rec64(index, R.openedWallNs)),
    lastSeq: Atomics.load(ctl.i64, CtlViews.rec64(index, R.lastSeq)),
  };
}
