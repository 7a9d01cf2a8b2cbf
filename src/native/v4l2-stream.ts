/**
 * Typed wrappers for V4L2 formats, rates, enumeration and streaming I/O
 * (the addon runs the ioctls; sources and sinks decide what to do).
 * Capture (src/sources/) and the loopback output (src/sinks/) both
 * configure devices through these, so the set-format-then-check sequence
 * exists once.
 */
import { VidbusError, isVidbusError } from '../errors.js';
import { formatInfo, fourccToU32, u32ToFourcc, type PixelFormat, type Rational } from '../video/formats.js';
import { loadNative, type RawDequeued, type RawPixFormat } from './binding.js';

export const BUF_TYPE = { CAPTURE: 1, OUTPUT: 2, CAPTURE_MPLANE: 9, OUTPUT_MPLANE: 10 } as const;
export const MEMORY = { MMAP: 1, USERPTR: 2 } as const;
/** v4l2_buffer flags. */
export const BUF_FLAG = { ERROR: 0x40, TIMESTAMP_MONOTONIC: 0x2000, TIMESTAMP_MASK: 0xe000 } as const;
/** v4l2_fmtdesc flags. */
export const FMT_FLAG = { COMPRESSED: 0x1 } as const;

/** One format a device offers (VIDIOC_ENUM_FMT). */
export interface FormatDescription {
  /** the FourCC as text, e.g. 'YUYV' */
  fourcc: string;
  /** the FourCC as V4L2's little-endian number */
  pixelFormat: number;
  /** the driver's name for it */
  description: string;
  /** an encoded format (MJPEG, H.264, ...) */
  compressed: boolean;
}

/** Sizes a device offers for a format (VIDIOC_ENUM_FRAMESIZES): one size, or a range in steps. */
export type FrameSize =
  | {
      /** one fixed size */
      kind: 'discrete';
      /** pixels */
      width: number;
      /** pixels */
      height: number;
    }
  | {
      /** any size in the range, in steps */
      kind: 'range';
      /** smallest width */
      minWidth: number;
      /** largest width */
      maxWidth: number;
      /** width step */
      stepWidth: number;
      /** smallest height */
      minHeight: number;
      /** largest height */
      maxHeight: number;
      /** height step */
      stepHeight: number;
    };

/** A frame rate as frames per second, num/den (the inverse of V4L2's interval). */
export type FrameRate = Rational;

/** Rates a device offers for a format and size (VIDIOC_ENUM_FRAMEINTERVALS): a list, or a range. */
export type FrameRates =
  | {
      /** these rates only */
      kind: 'discrete';
      /** the rates offered */
      rates: FrameRate[];
    }
  | {
      /** any rate in the range */
      kind: 'range';
      /** the lowest rate */
      min: FrameRate;
      /** the highest rate */
      max: FrameRate;
    };


export function enumerateFormats(fd: number, bufType: number): FormatDescription[] {
  return loadNative()
    .v4l2EnumFormats(fd, bufType)
    .map((f) => ({ fourcc: u32ToFourcc(f.pixelFormat), pixelFormat: f.pixelFormat, description: f.description, compressed: (f.flags & FMT_FLAG.COMPRESSED) !== 0 }));
}

export function enumerateFrameSizes(fd: number, pixelFormat: number): FrameSize[] {
  return loadNative()
    .v4l2EnumFrameSizes(fd, pixelFormat)
    .map((s) =>
      s.type === 1
        ? { kind: 'discrete' as const, width: s.width!, height: s.height! }
        : { kind: 'range' as const, minWidth: s.minWidth!, maxWidth: s.maxWidth!, stepWidth: Math.max(1, s.stepWidth!), minHeight: s.minHeight!, maxHeight: s.maxHeight!, stepHeight: Math.max(1, s.stepHeight!) },
    );
}

export function enumerateFrameRates(fd: number, pixelFormat: number, width: number, height: number): FrameRates {
  const list = loadNative().v4l2EnumFrameIntervals(fd, pixelFormat, width, height);
  const first = list[0];
  if (first && first.type !== 1) {
    // the shortest interval is the highest rate
    return { kind: 'range', min: { num: first.maxDen!, den: first.maxNum! }, max: { num: first.minDen!, den: first.minNum! } };
  }
  return { kind: 'discrete', rates: list.filter((i) => i.num! > 0).map((i) => ({ num: i.den!, den: i.num! })) };
}

/** The frame rate the driver runs at now (VIDIOC_G_PARM). */
export function currentFrameRate(fd: number, bufType: number): FrameRate {
  const { num, den } = loadNative().v4l2GetFrameInterval(fd, bufType);
  return { num: den, den: num };
}

/** The buffer queues a node has; single-planar only (what cameras and v4l2loopback use). */
export type BufferType = 'capture' | 'output';
const TYPE_CODE: Record<BufferType, number> = { capture: BUF_TYPE.CAPTURE, output: BUF_TYPE.OUTPUT };

/** What the caller asked S_FMT for. */
export interface WantedFormat {
  width: number;
  height: number;
  format: PixelFormat;
}

/** How to word the failures of setFormatExactly for this caller. */
export interface FormatProblems {
  /** the device refused with EBUSY (another process configured it) */
  busy: string;
  /** the driver settled on something else: the error to throw */
  mismatch: (got: RawPixFormat) => VidbusError;
}

/**
 * VIDIOC_S_FMT, then checks that the driver took exactly the size and
 * format asked for (drivers answer S_FMT with what they will do instead,
 * rather than failing). Returns what the driver settled on.
 */
export function setFormatExactly(fd: number, type: BufferType, want: WantedFormat, problems: FormatProblems): RawPixFormat {
  const pixelFormat = fourccToU32(formatInfo(want.format).fourcc);
  let got: RawPixFormat;
  try {
    got = loadNative().v4l2SetFormat(fd, TYPE_CODE[type], want.width, want.height, pixelFormat);
  } catch (e) {
    if (isVidbusError(e) && e.errno === 'EBUSY') throw new VidbusError('ERR_DEVICE_BUSY', problems.busy, { errno: e.errno });
    throw e;
  }
  if (got.width !== want.width || got.height !== want.height || got.pixelFormat !== pixelFormat) throw problems.mismatch(got);
  return got;
}

/**
 * VIDIOC_S_PARM. With `optional`, a driver without frame-rate control
 * (ENOTTY) is not an error: it runs at its own rate, and false is returned.
 */
export function setFrameRate(fd: number, type: BufferType, rate: FrameRate, options: { optional?: boolean } = {}): boolean {
  try {
    loadNative().v4l2SetFrameRate(fd, TYPE_CODE[type], rate.num, rate.den);
    return true;
  } catch (e) {
    if (options.optional && isVidbusError(e) && e.errno === 'ENOTTY') return false;
    throw e;
  }
}

/** VIDIOC_STREAMON / VIDIOC_STREAMOFF. */
export function setStreaming(fd: number, type: BufferType, on: boolean): void {
  loadNative().v4l2Stream(fd, TYPE_CODE[type], on);
}

/** The memory a buffer queue uses: driver buffers mapped by us, or our memory handed to the driver. */
export type BufferMemory = 'mmap' | 'userptr';
const MEMORY_CODE: Record<BufferMemory, number> = { mmap: MEMORY.MMAP, userptr: MEMORY.USERPTR };

/** VIDIOC_REQBUFS: returns how many buffers the driver granted (0 frees them). */
export const requestBuffers = (fd: number, type: BufferType, memory: BufferMemory, count: number): number => loadNative().v4l2RequestBuffers(fd, TYPE_CODE[type], MEMORY_CODE[memory], count);
/** VIDIOC_QUERYBUF: where an MMAP buffer lives. */
export const queryBuffer = (fd: number, type: BufferType, index: number): { offset: number; length: number } => loadNative().v4l2QueryBuffer(fd, TYPE_CODE[type], index);
/** VIDIOC_QBUF of a driver (MMAP) buffer. */
export const queueMmapBuffer = (fd: number, type: BufferType, index: number): void => loadNative().v4l2QueueBuffer(fd, TYPE_CODE[type], MEMORY.MMAP, index);
/** VIDIOC_QBUF of our memory (USERPTR): the driver writes into `memory`. */
export const queueUserBuffer = (fd: number, type: BufferType, index: number, memory: Uint8Array): void => loadNative().v4l2QueueBuffer(fd, TYPE_CODE[type], MEMORY.USERPTR, index, memory);
/** VIDIOC_DQBUF; null when no buffer is ready (the fd is non-blocking). */
export const dequeueBuffer = (fd: number, type: BufferType, memory: BufferMemory): RawDequeued | null => loadNative().v4l2DequeueBuffer(fd, TYPE_CODE[type], MEMORY_CODE[memory]);

/** Maps a driver buffer (from queryBuffer) read-only; unmap it with unmapDriverBuffer. */
export const mapDriverBuffer = (fd: number, offset: number, length: number): ArrayBuffer => loadNative().mmap(fd, length, false, false, offset);
export const unmapDriverBuffer = (buffer: ArrayBuffer): void => loadNative().munmap(buffer);
