/**
 * Opening one generation of a stream for reading: map the data segment
 * read-only, validate its header, map the control segment and claim a
 * consumer record. The result is an Attachment; a following consumer gets
 * a new one each time a new producer takes the name.
 */
import { VidbusError, fsError } from '../errors.js';
import { closeFd, lockHeld, lockTry, Mapping, openShmFile, statFd } from '../native/shm.js';
import { sleep, wallNs } from '../util/clock.js';
import { checkCtl, POLICY_CODES, type Policy } from './ctl.js';
import { checkIdentity, readHeader, type StreamDescription } from './header.js';
import { H, HEADER_BYTES, HeaderFlags, HOLDS_PER_RECORD, PRODUCER_LOCK_OFFSET, R, recordOffset, ctlBytes, StreamState } from './layout.js';
import { ctlPath, dataPath } from './names.js';
import { slotViews } from './planes.js';
import { reclaimStream } from './reclaim.js';
import { CtlViews, DataViews } from './views.js';
import { FutexSleeper } from './wake.js';

export class Attachment {
  readonly data: DataViews;
  readonly ctl: CtlViews;
  readonly slots: Uint8Array[];
  /** the metadata of frames published without any (one shared empty view) */
  readonly noMeta: Uint8Array;
  /** the producer wakes consumers asleep on their wake socket (else only the futex) */
  readonly wakesSockets: boolean;
  /** set when a socket sleep timed out although the producer had published: use the futex from then on */
  socketWakeFailed = false;
  // Element indices the per-frame path uses, computed once (views.ts has
  // the arithmetic; calling it per frame costs microseconds on a cold CPU).
  /** ctl.i32: this record's `waiting`, `received`, `missed` words */
  readonly waitingWord: number;
  readonly receivedWord: number;
  readonly missedWord: number;
  /** ctl.i64: this record's `lastSeq` */
  readonly lastSeqWord: number;
  /** ctl.i64: each hold entry's sequence word (its time is the next one) */
  readonly holdEntry: readonly number[];
  /** data.i64: each slot's descriptor, first element (its sequence) */
  readonly desc64: readonly number[];
  /** data.i32: each slot's descriptor, first element */
  readonly desc32: readonly number[];
  private futex: FutexSleeper | undefined;
  private detached = false;

  constructor(
    readonly desc: StreamDescription,
    readonly dataFd: number,
    readonly ctlFd: number,
    readonly mapping: Mapping,
    readonly ctlMapping: Mapping,
    readonly record: number,
  ) {
    this.data = new DataViews(mapping.buffer, desc.slotCount);
    this.ctl = new CtlViews(ctlMapping.buffer, desc.maxConsumers);
    this.slots = slotViews(mapping.buffer, desc.slotCount, desc.layout.frameBytes);
    this.noMeta = new Uint8Array(mapping.buffer, 0, 0);
    this.wakesSockets = (Atomics.load(this.data.i32, H.flags / 4) & HeaderFlags.WakesSockets) !== 0;
    this.waitingWord = CtlViews.rec32(record, R.waiting);
    this.receivedWord = CtlViews.rec32(record, R.received);
    this.missedWord = CtlViews.rec32(record, R.missed);
    this.lastSeqWord = CtlViews.rec64(record, R.lastSeq);
    this.holdEntry = Array.from({ length: HOLDS_PER_RECORD }, (_, h) => CtlViews.holdSeq(record, h));
    this.desc64 = Array.from({ length: desc.slotCount }, (_, s) => DataViews.descSeq(s));
    this.desc32 = Array.from({ length: desc.slotCount }, (_, s) => DataViews.desc32(s, 0));
  }

  /** The futex sleeper of this generation (its native thread starts on first use). */
  get futexSleeper(): FutexSleeper {
    this.futex ??= new FutexSleeper(this.mapping.buffer);
    return this.futex;
  }

  producerAlive(): boolean {
    return lockHeld(this.dataFd, PRODUCER_LOCK_OFFSET);
  }

  rec32(field: number): number {
    return CtlViews.rec32(this.record, field);
  }

  /**
   * Leaves this generation: stops the futex sleeper, gives up the record, closes
   * the files. Mappings stay while frames from it are still held (each
   * frame retains them).
   */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.futex?.close();
    Atomics.store(this.ctl.i32, this.rec32(R.waiting), 0);
    Atomics.store(this.ctl.i32, this.rec32(R.active), 0);
    // A warm-up attachment (src/bus/warm-up.ts) has no files.
    if (this.ctlFd >= 0) closeFd(this.ctlFd); // drops the record lock
    if (this.dataFd >= 0) closeFd(this.dataFd);
    this.mapping.release();
    this.ctlMapping.release();
  }
}

export type AttachResult = Attachment | 'missing';

function claimRecord(ctlFd: number, ctl: CtlViews, count: number, policy: Policy): number {
  for (let i = 0; i < count; i++) {
    if (!lockTry(ctlFd, recordOffset(i))) continue;
    activateRecord(ctl, i, policy);
    return i;
  }
  return -1;
}

/**
 * @internal Resets record `i` and marks it active (its lock is the
 * caller's; the warm-up stream, which has no files, needs none). The
 * producer treats a new generation as alive and honours its holds at once.
 */
export function activateRecord(ctl: CtlViews, i: number, policy: Policy): void {
  Atomics.add(ctl.i32, CtlViews.rec32(i, R.generation), 1);
  for (let h = 0; h < HOLDS_PER_RECORD; h++) Atomics.store(ctl.i64, CtlViews.holdSeq(i, h), 0n);
  for (const field of [R.waiting, R.expired, R.received, R.missed]) Atomics.store(ctl.i32, CtlViews.rec32(i, field), 0);
  Atomics.store(ctl.i32, CtlViews.rec32(i, R.pid), process.pid);
  Atomics.store(ctl.i32, CtlViews.rec32(i, R.policy), POLICY_CODES[policy]);
  Atomics.store(ctl.i64, CtlViews.rec64(i, R.openedWallNs), wallNs());
  Atomics.store(ctl.i64, CtlViews.rec64(i, R.lastSeq), 0n);
  Atomics.store(ctl.i64, CtlViews.rec64(i, R.wakeToken), 0n);
  Atomics.store(ctl.i32, CtlViews.rec32(i, R.active), 1);
}

function openOrMissing(path: string, mode: 'read-only' | 'read-write', name: string): number | 'missing' {
  try {
    return openShmFile(path, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw fsError(e, `opening stream "${name}" (${path})`, name);
  }
}

/**
 * One attempt to attach; waits up to `timeoutMs` for a stream that is
 * still being created. Stale streams found on the way are reclaimed.
 */
export async function attach(name: string, policy: Policy, timeoutMs: number): Promise<AttachResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = attachOnce(name, policy);
    if (result !== 'retry') return result;
    if (Date.now() >= deadline) {
      throw new VidbusError(
        'ERR_STREAM_NOT_READY',
        `Stream "${name}" exists but its producer has not finished creating it within ${timeoutMs} ms. Try again, or raise openTimeoutMs.`,
        { stream: name },
      );
    }
    await sleep(5);
  }
}

function attachOnce(name: string, policy: Policy): AttachResult | 'retry' {
  const dataFd = openOrMissing(dataPath(name), 'read-only', name);
  if (dataFd === 'missing') return 'missing';
  let ctlFd = -1;
  let mapping: Mapping | undefined;
  let ctlMapping: Mapping | undefined;
  let keep = false;
  try {
    const dataStat = statFd(dataFd);
    const size = dataStat.size;
    const producerAlive = lockHeld(dataFd, PRODUCER_LOCK_OFFSET);
    if (size < HEADER_BYTES) {
      if (producerAlive) return 'retry';
      return staleOrNotAStream(name, size);
    }
    // Map only the header until it is validated: the file size is not to
    // be trusted (a huge sparse file would take forever to pre-fault).
    const headerMapping = new Mapping(dataFd, HEADER_BYTES, false, false);
    let desc: StreamDescription;
    try {
      if (checkIdentity(headerMapping.buffer, name) === 'initializing') {
        if (producerAlive) return 'retry';
        return staleOrNotAStream(name, size);
      }
      desc = readHeader(headerMapping.buffer, name, size);
    } finally {
      headerMapping.release();
    }
    if (!producerAlive) {
      // A producer that died after creating the stream: clean up after it.
      reclaimStream(name);
      return 'missing';
    }
    mapping = new Mapping(dataFd, desc.totalBytes, false);
    if (Atomics.load(mapping.views32(), DataViews.state) === StreamState.Closed) return 'missing';

    const opened = openOrMissing(ctlPath(name), 'read-write', name);
    if (opened === 'missing') return 'retry';
    ctlFd = opened;
    const ctlSize = statFd(ctlFd).size;
    if (ctlSize < ctlBytes(desc.maxConsumers)) return 'retry';
    ctlMapping = new Mapping(ctlFd, ctlBytes(desc.maxConsumers), true);
    const status = checkCtl(ctlMapping.buffer, ctlSize, name, desc.maxConsumers, BigInt(dataStat.ino));
    if (status !== 'ready') return 'retry';
    const ctl = new CtlViews(ctlMapping.buffer, desc.maxConsumers);
    const record = claimRecord(ctlFd, ctl, desc.maxConsumers, policy);
    if (record < 0) {
      throw new VidbusError(
        'ERR_TOO_MANY_CONSUMERS',
        `Stream "${name}" already has ${desc.maxConsumers} consumers (its maxConsumers). Close one, or restart the producer with a larger maxConsumers.`,
        { stream: name },
      );
    }
    keep = true;
    return new Attachment(desc, dataFd, ctlFd, mapping, ctlMapping, record);
  } finally {
    if (!keep) {
      mapping?.release();
      ctlMapping?.release();
      if (ctlFd >= 0) closeFd(ctlFd);
      closeFd(dataFd);
    }
  }
}

/** A file with no live producer that never became ready. */
function staleOrNotAStream(name: string, size: number): AttachResult {
  const result = reclaimStream(name);
  if (result === 'reclaimed' || result === 'missing') return 'missing';
  if (result === 'alive') return 'missing';
  throw new VidbusError(
    'ERR_NOT_A_STREAM',
    `${dataPath(name)} (${size} bytes) is not a ready vidbus stream and has no live producer, and this user cannot remove it.`,
    { stream: name },
  );
}
