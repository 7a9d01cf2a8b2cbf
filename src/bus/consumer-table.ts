/**
 * The producer's view of the consumer records: which are alive, which
 * sequences they hold, whether any sleeps, and revoking holds that died
 * with their owner or outlived their lifespan.
 *
 * A record's owner is alive while it holds the write lock on the record's
 * byte of the ctl file. The producer never writes a record's `active` or
 * `generation` words (a new consumer may be claiming it at that moment);
 * it remembers "record i, generation g, is dead" instead, and treats any
 * generation it has not checked as alive.
 */
import { lockHeld } from '../native/shm.js';
import { monoNs } from '../util/clock.js';
import { HOLDS_PER_RECORD, R, recordOffset, WaitMode } from './layout.js';
import { CtlViews } from './views.js';
import { snapshotRecord, type ConsumerInfo } from './ctl.js';

const LIVENESS_RECHECK_MS = 1000;

interface Liveness {
  generation: number;
  alive: boolean;
  checkedAtMs: number;
}

export class ConsumerTable {
  private readonly liveness: Liveness[];

  constructor(
    private readonly ctl: CtlViews,
    private readonly ctlFd: number,
    private readonly recordCount: number,
    private readonly holdLifespanNs: bigint,
  ) {
    this.liveness = Array.from({ length: recordCount }, () => ({ generation: -1, alive: false, checkedAtMs: 0 }));
  }

  private active(i: number): boolean {
    return Atomics.load(this.ctl.i32, CtlViews.rec32(i, R.active)) === 1;
  }

  private generation(i: number): number {
    return Atomics.load(this.ctl.i32, CtlViews.rec32(i, R.generation));
  }

  /** Known dead for its current generation? Never does a syscall. */
  private knownDead(i: number): boolean {
    const l = this.liveness[i]!;
    return !l.alive && l.generation === this.generation(i);
  }

  /** Checks the record's lock (one syscall) and caches the answer. */
  private checkAlive(i: number, nowMs: number): boolean {
    const l = this.liveness[i]!;
    l.generation = this.generation(i);
    // A warm-up stream (warm-up.ts) has no files: its one consumer is in this process.
    l.alive = this.ctlFd < 0 || lockHeld(this.ctlFd, recordOffset(i));
    l.checkedAtMs = nowMs;
    return l.alive;
  }

  /** Considered live: active and not known dead. */
  private considered(i: number): boolean {
    return this.active(i) && !this.knownDead(i);
  }

  /**
   * Marks in `held` (one byte per slot, cleared first) the slots whose
   * sequence in `slotSeqs` a consumer not known to be dead holds. Allocates
   * nothing: the producer runs it on every loan.
   */
  markHeldSlots(slotSeqs: BigInt64Array, slotCount: number, held: Uint8Array): void {
    held.fill(0, 0, slotCount);
    for (let i = 0; i < this.recordCount; i++) {
      if (!this.considered(i)) continue;
      for (let h = 0; h < HOLDS_PER_RECORD; h++) {
        const seq = Atomics.load(this.ctl.i64, CtlViews.holdSeq(i, h));
        if (seq <= 0n) continue;
        for (let slot = 0; slot < slotCount; slot++) if (slotSeqs[slot] === seq) held[slot] = 1;
      }
    }
  }

  /** The re-check after marking a slot SEQ_WRITING (see holds.ts). */
  isHeld(seq: bigint): boolean {
    for (let i = 0; i < this.recordCount; i++) {
      if (!this.considered(i)) continue;
      for (let h = 0; h < HOLDS_PER_RECORD; h++) {
        if (Atomics.load(this.ctl.i64, CtlViews.holdSeq(i, h)) === seq) return true;
      }
    }
    return false;
  }

  /**
   * Wakes the live consumers asleep on their wake socket (through
   * `sendWake`, with the token from their record) and returns true if any
   * live consumer sleeps on the notify futex (the caller wakes those with
   * one FUTEX_WAKE). Reads only the `waiting` words when nobody sleeps.
   * A record's values are untrusted: an unknown mode or a zero token is
   * treated as the futex, which wakes every futex sleeper at worst.
   */
  wakeSleepers(sendWake: (token: bigint) => void): boolean {
    let futex = false;
    for (let i = 0; i < this.recordCount; i++) {
      const waiting = CtlViews.rec32(i, R.waiting);
      const mode = Atomics.load(this.ctl.i32, waiting);
      if (mode === WaitMode.Awake || mode === WaitMode.SocketSignalled || !this.considered(i)) continue;
      const token = mode === WaitMode.Socket ? BigInt.asUintN(64, Atomics.load(this.ctl.i64, CtlViews.rec64(i, R.wakeToken))) : 0n;
      if (token === 0n) futex = true;
      // One datagram per sleep: mark it signalled first (if the consumer
      // changed the word meanwhile, it is awake or sleeping anew).
      else if (Atomics.compareExchange(this.ctl.i32, waiting, WaitMode.Socket, WaitMode.SocketSignalled) === WaitMode.Socket) sendWake(token);
    }
    return futex;
  }

  /**
   * Re-checks liveness of active records (at most once a second each unless
   * forced) and revokes holds past their lifespan. Returns how many holds
   * were revoked or released from dead owners.
   */
  sweep(force: boolean): number {
    const nowMs = Date.now();
    const now = monoNs();
    let freed = 0;
    for (let i = 0; i < this.recordCount; i++) {
      if (!this.active(i)) continue;
      const l = this.liveness[i]!;
      const stale = force || l.generation !== this.generation(i) || nowMs - l.checkedAtMs >= LIVENESS_RECHECK_MS;
      if (stale && !this.checkAlive(i, nowMs)) {
        // Dead owner: its holds no longer count (markHeldSlots skips it).
        for (let h = 0; h < HOLDS_PER_RECORD; h++) if (Atomics.load(this.ctl.i64, CtlViews.holdSeq(i, h)) > 0n) freed++;
        continue;
      }
      if (!l.alive) continue;
      for (let h = 0; h < HOLDS_PER_RECORD; h++) {
        const seq = Atomics.load(this.ctl.i64, CtlViews.holdSeq(i, h));
        if (seq <= 0n) continue;
        const since = Atomics.load(this.ctl.i64, CtlViews.holdSince(i, h));
        if (now - since <= this.holdLifespanNs) continue;
        // Lifespan over: revoke, and tell the consumer through its counter.
        if (Atomics.compareExchange(this.ctl.i64, CtlViews.holdSeq(i, h), seq, 0n) === seq) {
          Atomics.add(this.ctl.i32, CtlViews.rec32(i, R.expired), 1);
          freed++;
        }
      }
    }
    return freed;
  }

  /** Records of consumers alive as of the last check (sweep first for fresh answers). */
  liveRecords(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.recordCount; i++) if (this.active(i) && this.liveness[i]!.alive && !this.knownDead(i)) out.push(i);
    return out;
  }

  snapshots(): ConsumerInfo[] {
    return this.liveRecords().map((i) => snapshotRecord(this.ctl, i));
  }
}
