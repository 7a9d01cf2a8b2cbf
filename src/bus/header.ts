/**
 * Writes the data-segment header (producer) and reads it back with every
 * field checked against the mapping (consumers, listStreams). A consumer
 * reads the header once, validates it, and from then on uses only its own
 * validated copy: a producer that rewrites the header later cannot steer a
 * consumer outside its mapping.
 */
import { VidbusError } from '../errors.js';
import {
  formatFromFourcc,
  formatInfo,
  fourccToU32,
  frameLayout,
  MAX_DIMENSION,
  MAX_PLANES,
  type FrameLayout,
  type PixelFormat,
  type Rational,
} from '../video/formats.js';
import {
  DATA_MAGIC,
  dataOffsetFor,
  DESCRIPTOR_BYTES,
  DESCRIPTOR_OFFSET,
  H,
  HEADER_BYTES,
  HeaderFlags,
  LAYOUT_VERSION,
  MAX_CONSUMERS,
  MAX_NAME_BYTES,
  MAX_SLOTS,
  MIN_SLOTS,
  slotStrideFor,
  StreamState,
} from './layout.js';

/** A stream as its header describes it, validated against the file. */
export interface StreamDescription {
  /** the stream name */
  readonly name: string;
  /** format, size, planes and strides of every slot */
  readonly layout: FrameLayout;
  /** the nominal frame rate, num/den frames per second */
  readonly fps: Rational;
  /** slots in the ring */
  readonly slotCount: number;
  /** bytes from one slot to the next (page aligned) */
  readonly slotStride: number;
  /** where the first slot starts in the data segment */
  readonly dataOffset: number;
  /** size of the data segment */
  readonly totalBytes: number;
  /** the producer's process id */
  readonly producerPid: number;
  /** how long a consumer may hold a frame without renewing it */
  readonly holdLifespanMs: number;
  /** consumer records in the ctl segment */
  readonly maxConsumers: number;
  /** when the stream was created, wall clock in ns since the epoch */
  readonly createdWallNs: bigint;
}

export interface HeaderFields extends Omit<StreamDescription, 'totalBytes' | 'dataOffset' | 'slotStride'> {
  readonly createdMonoNs: bigint;
}

export function totalBytesOf(slotCount: number, frameBytes: number): number {
  return dataOffsetFor(slotCount) + slotCount * slotStrideFor(frameBytes);
}

/**
 * Fills in a fresh (zeroed) header. The version word is NOT written here:
 * the caller stores it last, once the whole segment is ready.
 */
export function writeHeader(buffer: ArrayBuffer, fields: HeaderFields): void {
  const view = new DataView(buffer);
  const { layout } = fields;
  const frameBytes = layout.frameBytes;
  const dataOffset = dataOffsetFor(fields.slotCount);
  view.setUint32(H.magic, DATA_MAGIC, true);
  view.setUint32(H.headerBytes, HEADER_BYTES, true);
  // This implementation's producer wakes socket sleepers (consumer.ts, wake.ts).
  view.setUint32(H.flags, HeaderFlags.WakesSockets, true);
  view.setBigInt64(H.totalBytes, BigInt(totalBytesOf(fields.slotCount, frameBytes)), true);
  view.setUint32(H.slotCount, fields.slotCount, true);
  view.setUint32(H.slotStride, slotStrideFor(frameBytes), true);
  view.setUint32(H.descriptorOffset, DESCRIPTOR_OFFSET, true);
  view.setUint32(H.descriptorBytes, DESCRIPTOR_BYTES, true);
  view.setBigInt64(H.dataOffset, BigInt(dataOffset), true);
  view.setUint32(H.fourcc, fourccToU32(formatInfo(layout.format).fourcc), true);
  view.setUint32(H.width, layout.width, true);
  view.setUint32(H.height, layout.height, true);
  view.setUint32(H.planeCount, layout.planes.length, true);
  layout.planes.forEach((plane, i) => {
    view.setUint32(H.planeOffsets + 4 * i, plane.offset, true);
    view.setUint32(H.planeStrides + 4 * i, plane.stride, true);
  });
  view.setUint32(H.frameBytes, frameBytes, true);
  view.setUint32(H.fpsNum, fields.fps.num, true);
  view.setUint32(H.fpsDen, fields.fps.den, true);
  view.setInt32(H.producerPid, fields.producerPid, true);
  view.setUint32(H.holdLifespanMs, fields.holdLifespanMs, true);
  view.setUint32(H.maxConsumers, fields.maxConsumers, true);
  view.setBigInt64(H.createdWallNs, fields.createdWallNs, true);
  view.setBigInt64(H.createdMonoNs, fields.createdMonoNs, true);
  view.setUint32(H.state, StreamState.Init, true);
  view.setInt32(H.latestSlot, -1, true);
  new Uint8Array(buffer, H.name, MAX_NAME_BYTES).set(new TextEncoder().encode(fields.name));
}

function corrupt(name: string, field: string, detail: string): VidbusError {
  return new VidbusError(
    'ERR_STREAM_CORRUPT',
    `Stream "${name}" has a corrupt header: ${field} ${detail}. Stop its producer; if it is gone, \`vidbus list --reclaim\` removes the stream.`,
    { stream: name },
  );
}

function expectRange(name: string, field: string, value: number, min: number, max: number): number {
  if (!(value >= min && value <= max)) corruptThrow(name, field, `is ${value}, expected ${min}..${max}`);
  return value;
}

function corruptThrow(name: string, field: string, detail: string): never {
  throw corrupt(name, field, detail);
}

/** Result of peeking at the first words before trusting anything else. */
export type HeaderStatus = 'ready' | 'initializing';

/**
 * Checks magic and version. Returns 'initializing' while the creator has
 * not yet stored the version word.
 */
export function checkIdentity(buffer: ArrayBuffer, name: string): HeaderStatus {
  if (buffer.byteLength < HEADER_BYTES) return 'initializing';
  const words = new Uint32Array(buffer, 0, 2);
  // SYNC POINT (acquire): the version word is stored last by the creator;
  // once we see it, the whole header is visible.
  const version = Atomics.load(words, H.version / 4);
  const magic = words[H.magic / 4];
  if (version === 0) return 'initializing';
  if (magic !== DATA_MAGIC) {
    throw new VidbusError('ERR_NOT_A_STREAM', `/dev/shm entry for "${name}" is not a vidbus stream (bad magic). Remove it if nothing uses it.`, {
      stream: name,
    });
  }
  if (version !== LAYOUT_VERSION) {
    throw new VidbusError(
      'ERR_VERSION_MISMATCH',
      `Stream "${name}" uses shared-memory layout version ${version}; this vidbus understands version ${LAYOUT_VERSION}. Run the same vidbus version on both sides.`,
      { stream: name },
    );
  }
  return 'ready';
}

/** Reads and validates the whole header of a ready segment of `fileBytes` bytes. */
export function readHeader(buffer: ArrayBuffer, name: string, fileBytes: number): StreamDescription {
  const view = new DataView(buffer);
  const u32 = (offset: number) => view.getUint32(offset, true);
  if (u32(H.headerBytes) !== HEADER_BYTES) corruptThrow(name, 'headerBytes', `is ${u32(H.headerBytes)}`);
  if (u32(H.descriptorOffset) !== DESCRIPTOR_OFFSET) corruptThrow(name, 'descriptorOffset', `is ${u32(H.descriptorOffset)}`);
  if (u32(H.descriptorBytes) !== DESCRIPTOR_BYTES) corruptThrow(name, 'descriptorBytes', `is ${u32(H.descriptorBytes)}`);

  const nameBytes = new Uint8Array(buffer, H.name, MAX_NAME_BYTES);
  const end = nameBytes.indexOf(0);
  const storedName = new TextDecoder().decode(nameBytes.subarray(0, end < 0 ? MAX_NAME_BYTES : end));
  if (storedName !== name) corruptThrow(name, 'name', `is ${JSON.stringify(storedName)}`);

  const slotCount = expectRange(name, 'slotCount', u32(H.slotCount), MIN_SLOTS, MAX_SLOTS);
  const fourcc = u32(H.fourcc);
  const format: PixelFormat | undefined = formatFromFourcc(fourcc);
  if (format === undefined) corruptThrow(name, 'fourcc', `0x${fourcc.toString(16)} is not a known format`);
  const width = expectRange(name, 'width', u32(H.width), 1, MAX_DIMENSION);
  const height = expectRange(name, 'height', u32(H.height), 1, MAX_DIMENSION);
  const planeCount = expectRange(name, 'planeCount', u32(H.planeCount), 0, MAX_PLANES);
  const frameBytes = expectRange(name, 'frameBytes', u32(H.frameBytes), 1, 2 ** 31);

  let layout: FrameLayout;
  try {
    if (formatInfo(format).encoded) {
      if (planeCount !== 0) corruptThrow(name, 'planeCount', `is ${planeCount} for encoded ${format}`);
      layout = frameLayout(format, width, height, { maxFrameBytes: frameBytes });
    } else {
      const strides = Array.from({ length: planeCount }, (_, i) => u32(H.planeStrides + 4 * i));
      layout = frameLayout(format, width, height, { strides });
    }
  } catch (e) {
    if (e instanceof VidbusError && e.code === 'ERR_STREAM_CORRUPT') throw e;
    throw corrupt(name, 'format', (e as Error).message);
  }
  layout.planes.forEach((plane, i) => {
    if (u32(H.planeOffsets + 4 * i) !== plane.offset) corruptThrow(name, `planeOffsets[${i}]`, `is ${u32(H.planeOffsets + 4 * i)}`);
  });
  if (layout.frameBytes !== frameBytes) corruptThrow(name, 'frameBytes', `is ${frameBytes}, the layout needs ${layout.frameBytes}`);

  const slotStride = u32(H.slotStride);
  if (slotStride !== slotStrideFor(frameBytes)) corruptThrow(name, 'slotStride', `is ${slotStride}`);
  const dataOffset = Number(view.getBigInt64(H.dataOffset, true));
  if (dataOffset !== dataOffsetFor(slotCount)) corruptThrow(name, 'dataOffset', `is ${dataOffset}`);
  const totalBytes = Number(view.getBigInt64(H.totalBytes, true));
  if (totalBytes !== totalBytesOf(slotCount, frameBytes)) corruptThrow(name, 'totalBytes', `is ${totalBytes}`);
  if (totalBytes > fileBytes) {
    corruptThrow(name, 'totalBytes', `is ${totalBytes} but the segment has only ${fileBytes} bytes (truncated)`);
  }

  const fpsNum = u32(H.fpsNum);
  const fpsDen = expectRange(name, 'fpsDen', u32(H.fpsDen), 1, 2 ** 31);
  return {
    name,
    layout,
    fps: { num: fpsNum, den: fpsDen },
    slotCount,
    slotStride,
    dataOffset,
    totalBytes,
    producerPid: view.getInt32(H.producerPid, true),
    holdLifespanMs: expectRange(name, 'holdLifespanMs', u32(H.holdLifespanMs), 1, 2 ** 31),
    maxConsumers: expectRange(name, 'maxConsumers', u32(H.maxConsumers), 1, MAX_CONSUMERS),
    createdWallNs: view.getBigInt64(H.createdWallNs, true),
  };
}
