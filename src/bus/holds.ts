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
 *
 * A hold entry is two BigInt64 elements of the control segment: `entry`
 * (the held sequence, 0 when free) and `entry + 1` (when it was taken,
 * CLOCK_MONOTONIC ns); Attachment.holdEntry gives their index.
 */
import { SEQ_WRITING } from './layout.js';

/** How often a consumer re-reads a slot marked SEQ_WRITING before giving up:
 * a producer that backs off restores the slot within a few instructions. */
const WRITING_SPINS = 256;

/**
 * Holds `seq`, published in the slot whose sequence word is data element
 * `slotSeq`, in the hold entry whose words are ctl elements `entry` (the
 * sequence) and `entry + 1` (since when). Returns false if the slot moved on.
 */
export function tryHold(data: BigInt64Array, ctl: BigInt64Array, entry: number, slotSeq: number, seq: bigint, nowNs: bigint): boolean {
  Atomics.store(ctl, entry + 1, nowNs);
  // SYNC POINT (Dekker, consumer side 1/2): announce the hold...
  Atomics.store(ctl, entry, seq);
  // ...then check the slot (2/2).
  for (let spin = 0; spin < WRITING_SPINS; spin++) {
    const current = Atomics.load(data, slotSeq);
    if (current === seq) return true;
    if (current !== SEQ_WRITING) break;
  }
  Atomics.store(ctl, entry, 0n);
  return false;
}

/** Drops the hold in entry `entry`. Returns false if the producer had revoked it (lifespan over). */
export function releaseHold(ctl: BigInt64Array, entry: number, seq: bigint): boolean {
  return Atomics.compareExchange(ctl, entry, seq, 0n) === seq;
}

/** Restarts a hold's lifespan. Returns false if it was already revoked. */
export function renewHold(ctl: BigInt64Array, entry: number, seq: bigint, nowNs: bigint): boolean {
  if (Atomics.load(ctl, entry) !== seq) return false;
  Atomics.store(ctl, entry + 1, nowNs);
  // The producer may have revoked between the two accesses; report that.
  return Atomics.load(ctl, entry) === seq;
}

export function holdStillValid(ctl: BigInt64Array, entry: number, seq: bigint): boolean {
  return Atomics.load(ctl, entry) === seq;
}
