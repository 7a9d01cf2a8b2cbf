/**
 * The hold protocol: how a consumer keeps the producer off a slot while it
 * reads, without locks and without trusting the consumer.
 *
 * Consumer, to hold sequence q in slot s:
 *   1. store q into a free hold entry of its own record   (seq_cst)
 *   2. load slot s's sequence; if it is still q, the hold is good
 * Producer, to reuse slot s that holds q:
 *   1. store SEQ_WRITING into slot s's sequence             (seq_cst)
 *   2. scan the hold entries of live consumers for q; if found, put q
 *      back and choose another slot
 * All four accesses are sequentially consistent Atomics, so (as in
 * Dekker's algorithm) at least one side sees the other's store: either
 * the producer sees the hold and backs off, or the consumer sees the slot
 * change and gives up. Neither can both succeed.
 */
import { VidbusError } from '../errors.js';
import { HOLDS_PER_RECORD, SEQ_WRITING } from './layout.js';
import { CtlViews, DataViews } from './views.js';

/** How often a consumer re-reads a slot marked SEQ_WRITING before giving up:
 * a producer that backs off restores the slot within a few instructions. */
const WRITING_SPINS = 256;

export function freeHoldIndex(ctl: CtlViews, record: number): number {
  for (let h = 0; h < HOLDS_PER_RECORD; h++) {
    if (Atomics.load(ctl.i64, CtlViews.holdSeq(record, h)) === 0n) return h;
  }
  return -1;
}

/** Holds `seq` in `slot`. Returns the hold index, or -1 if the slot moved on. */
export function tryHold(data: DataViews, ctl: CtlViews, record: number, slot: number, seq: bigint, nowNs: bigint): number {
  const h = freeHoldIndex(ctl, record);
  if (h < 0) {
    throw new VidbusError(
      'ERR_TOO_MANY_HOLDS',
      `This consumer already holds ${HOLDS_PER_RECORD} frames; release one (frame.release()) before receiving another.`,
    );
  }
  Atomics.store(ctl.i64, CtlViews.holdSince(record, h), nowNs);
  // SYNC POINT (Dekker, consumer side 1/2): announce the hold...
  Atomics.store(ctl.i64, CtlViews.holdSeq(record, h), seq);
  // ...then check the slot (2/2).
  const index = DataViews.descSeq(slot);
  for (let spin = 0; spin < WRITING_SPINS; spin++) {
    const current = Atomics.load(data.i64, index);
    if (current === seq) return h;
    if (current !== SEQ_WRITING) break;
  }
  Atomics.store(ctl.i64, CtlViews.holdSeq(record, h), 0n);
  return -1;
}

/** Drops a hold. Returns false if the producer had revoked it (lifespan over). */
export function releaseHold(ctl: CtlViews, record: number, hold: number, seq: bigint): boolean {
  return Atomics.compareExchange(ctl.i64, CtlViews.holdSeq(record, hold), seq, 0n) === seq;
}

/** Restarts a hold's lifespan. Returns false if it was already revoked. */
export function renewHold(ctl: CtlViews, record: number, hold: number, seq: bigint, nowNs: bigint): boolean {
  if (Atomics.load(ctl.i64, CtlViews.holdSeq(record, hold)) !== seq) return false;
  Atomics.store(ctl.i64, CtlViews.holdSince(record, hold), nowNs);
  // The producer may have revoked between the two accesses; report that.
  return Atomics.load(ctl.i64, CtlViews.holdSeq(record, hold)) === seq;
}

export function holdStillValid(ctl: CtlViews, record: number, hold: number, seq: bigint): boolean {
  return Atomics.load(ctl.i64, CtlViews.holdSeq(record, hold)) === seq;
}
