/**
 * The shared-memory layout of a stream: the single source of truth.
 * Every offset anyone reads or writes is named here. Bump LAYOUT_VERSION
 * on any change; openers refuse other versions (ERR_VERSION_MISMATCH).
 *
 * A stream is two files in /dev/shm:
 *
 *   vidbus-<name>      the data segment. Created and written only by the
 *                      producer; consumers map it read-only, so no consumer
 *                      can corrupt frames, the header or other consumers.
 *       [0, 4096)                     header
 *       [4096, 4096 + 256*slots)      slot descriptors (sequence, size, times, user metadata)
 *       [dataOffset + i*slotStride)   frame bytes of slot i (page aligned)
 *
 *   vidbus-<name>.ctl  the control segment. Each consumer owns one record in
 *                      it (claimed with a byte lock) holding its holds, its
 *                      "I am asleep" flag and its counters. The producer
 *                      treats every value in it as untrusted: it only
 *                      compares sequence numbers and reads counters.
 *
 * Liveness is tracked with open-file-description byte locks, which the
 * kernel drops when a process dies: the producer write-locks byte 0 of the
 * data file; consumer i write-locks byte recordOffset(i) of the ctl file.
 *
 * All integers are little-endian (native on every platform vidbus runs on)
 * and naturally aligned, so they can be accessed with Atomics.
 */

export const LAYOUT_VERSION = 1;

export const DATA_MAGIC = 0x53554256; // 'VBUS'
export const CTL_MAGIC = 0x54434256; // 'VBCT'

export const PAGE = 4096;
export const HEADER_BYTES = PAGE;
export const DESCRIPTOR_OFFSET = HEADER_BYTES;
export const DESCRIPTOR_BYTES = 256;
export const MAX_SLOTS = 64;
export const MIN_SLOTS = 2;
export const MAX_USER_META = 192;
export const MAX_NAME_BYTES = 64;

/** Byte offsets inside the data header. */
export const H = {
  magic: 0, // u32
  version: 4, // u32, written last by the creator (SYNC POINT: publish the header)
  headerBytes: 8, // u32
  flags: 12, // u32: HeaderFlags
  totalBytes: 16, // i64
  slotCount: 24, // u32
  slotStride: 28, // u32 (bytes between slot starts, page multiple; slots are < 2 GiB)
  descriptorOffset: 32, // u32
  descriptorBytes: 36, // u32
  dataOffset: 40, // i64
  fourcc: 48, // u32
  width: 52, // u32
  height: 56, // u32
  planeCount: 60, // u32
  planeOffsets: 64, // 3 x u32
  planeStrides: 76, // 3 x u32
  frameBytes: 88, // u32, capacity of one slot
  fpsNum: 92, // u32
  fpsDen: 96, // u32
  producerPid: 100, // i32
  holdLifespanMs: 104, // u32
  maxConsumers: 108, // u32
  createdWallNs: 112, // i64
  createdMonoNs: 120, // i64
  state: 128, // u32: StreamState
  name: 136, // MAX_NAME_BYTES of UTF-8, zero padded
  // Hot words, on their own cache line so that header reads do not
  // bounce with publishes.
  notify: 256, // u32 futex word: +1 on every publish and on close
  latestSlot: 260, // i32, -1 until the first publish
  latestSeq: 264, // i64, 0 until the first publish
  dropped: 272, // i64, frames the producer could not place
  lastPublishMonoNs: 280, // i64
} as const;

/** Bits of the header's `flags`. */
export const enum HeaderFlags {
  /** the producer wakes consumers asleep on a wake socket (waiting = WaitMode.Socket) */
  WakesSockets = 1,
}

/**
 * What a consumer stores in its record's `waiting` word: awake, asleep on
 * the notify futex, or asleep on its wake socket (one hop to its event
 * loop; only when the producer sets HeaderFlags.WakesSockets).
 */
export const enum WaitMode {
  Awake = 0,
  Futex = 1,
  Socket = 2,
  /** asleep on its socket, and the producer has sent the datagram (it swaps 2 for 3 first: one datagram per sleep) */
  SocketSignalled = 3,
}

export const enum StreamState {
  Init = 0,
  Live = 1,
  Closed = 2,
}

/** Byte offsets inside one slot descriptor. */
export const D = {
  seq: 0, // i64: 0 empty, -1 being written, > 0 the committed sequence number
  size: 8, // u32 payload bytes
  flags: 12, // u32: FrameFlags
  captureMonoNs: 16, // i64
  captureWallNs: 24, // i64
  publishMonoNs: 32, // i64
  userMetaBytes: 40, // u32
  userMeta: 64, // MAX_USER_META bytes
} as const;

export const SEQ_EMPTY = 0n;
export const SEQ_WRITING = -1n;

export const enum FrameFlags {
  Keyframe = 1,
}

/** Layout of the control segment. */
export const CTL_HEADER_BYTES = 256;
export const RECORD_BYTES = 256;
export const HOLDS_PER_RECORD = 8;
export const MAX_CONSUMERS = 256;

export const C = {
  magic: 0, // u32
  version: 4, // u32, written last
  recordCount: 8, // u32
  recordBytes: 12, // u32
  holdsPerRecord: 16, // u32
  recordsOffset: 20, // u32
  dataInode: 24, // i64: inode of the data file this ctl belongs to
} as const;

/** Byte offsets inside one consumer record. */
export const R = {
  generation: 0, // u32, +1 each time a consumer claims the record
  active: 4, // u32, 1 while claimed
  pid: 8, // i32
  waiting: 12, // u32: WaitMode, how the consumer sleeps (0 while awake)
  policy: 16, // u32: 1 latest, 2 every
  expired: 20, // u32, incremented by the producer when it revokes a hold
  received: 24, // u32, wraps
  missed: 28, // u32, wraps
  openedWallNs: 32, // i64
  lastSeq: 40, // i64
  wakeToken: 48, // u64: names the consumer's wake socket (0: none)
  holds: 64, // HOLDS_PER_RECORD x { seq: i64, sinceMonoNs: i64 }
} as const;
export const HOLD_BYTES = 16;

/** The producer's liveness lock: byte 0 of the data file. */
export const PRODUCER_LOCK_OFFSET = 0;

export function recordOffset(index: number): number {
  return CTL_HEADER_BYTES + index * RECORD_BYTES;
}

export function ctlBytes(recordCount: number): number {
  return CTL_HEADER_BYTES + recordCount * RECORD_BYTES;
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** Where the frame bytes begin, given a slot count. */
export function dataOffsetFor(slotCount: number): number {
  return roundUp(DESCRIPTOR_OFFSET + slotCount * DESCRIPTOR_BYTES, PAGE);
}

export function slotStrideFor(frameBytes: number): number {
  return roundUp(frameBytes, PAGE);
}

export function dataBytesFor(slotCount: number, frameBytes: number): number {
  return dataOffsetFor(slotCount) + slotCount * slotStrideFor(frameBytes);
}
