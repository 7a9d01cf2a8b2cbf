/**
 * Typed wrappers for V4L2 enumeration and streaming I/O (the addon runs the
 * ioctls; src/sources/camera.ts decides what to do) and FdWatch, which
 * reports a file descriptor's readiness on Node's event loop.
 */
import { loadNative, type FdWatchHandle, type RawDequeued } from './binding.js';

export const BUF_TYPE = { CAPTURE: 1, OUTPUT: 2, CAPTURE_MPLANE: 9, OUTPUT_MPLANE: 10 } as const;
export const MEMORY = { MMAP: 1, USERPTR: 2 } as const;
/** v4l2_buffer flags. */
export const BUF_FLAG = { ERROR: 0x40, TIMESTAMP_MONOTONIC: 0x2000, TIMESTAMP_MASK: 0xe000 } as const;
/** v4l2_fmtdesc flags. */
export const FMT_FLAG = { COMPRESSED: 0x1 } as const;
/** libuv poll events. */
export const POLL_EVENT = { READABLE: 1, DISCONNECT: 4 } as const;

export interface FormatDescription {
  fourcc: string;
  pixelFormat: number;
  description: string;
  compressed: boolean;
}

export type FrameSize = { kind: 'discrete'; width: number; height: number } | { kind: 'range'; minWidth: number; maxWidth: number; stepWidth: number; minHeight: number; maxHeight: number; stepHeight: number };

/** A frame rate as frames per second, num/den (the inverse of V4L2's interval). */
export interface FrameRate {
  num: number;
  den: number;
}

export type FrameRates = { kind: 'discrete'; rates: FrameRate[] } | { kind: 'range'; min: FrameRate; max: FrameRate };

const fourccOf = (v: number) => String.fromCharCode(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);

export function enumerateFormats(fd: number, bufType: number): FormatDescription[] {
  return loadNative()
    .v4l2EnumFormats(fd, bufType)
    .map((f) => ({ fourcc: fourccOf(f.pixelFormat), pixelFormat: f.pixelFormat, description: f.description, compressed: (f.flags & FMT_FLAG.COMPRESSED) !== 0 }));
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

export const requestBuffers = (fd: number, memory: number, count: number): number => loadNative().v4l2RequestBuffers(fd, BUF_TYPE.CAPTURE, memory, count);
export const queryBuffer = (fd: number, index: number): { offset: number; length: number } => loadNative().v4l2QueryBuffer(fd, BUF_TYPE.CAPTURE, index);
export const queueMmapBuffer = (fd: number, index: number): void => loadNative().v4l2QueueBuffer(fd, BUF_TYPE.CAPTURE, MEMORY.MMAP, index);
export const queueUserBuffer = (fd: number, index: number, memory: Uint8Array): void => loadNative().v4l2QueueBuffer(fd, BUF_TYPE.CAPTURE, MEMORY.USERPTR, index, memory);
export const dequeueBuffer = (fd: number, memory: number): RawDequeued | null => loadNative().v4l2DequeueBuffer(fd, BUF_TYPE.CAPTURE, memory);

/** Calls `onReady(status, events)` whenever `fd` is readable or fails. Stop it before closing the fd. */
export class FdWatch implements Disposable {
  private handle: FdWatchHandle | undefined;

  constructor(fd: number, onReady: (status: number, events: number) => void) {
    this.handle = loadNative().fdWatchStart(fd, onReady);
  }

  /** Idempotent. */
  stop(): void {
    if (this.handle) loadNative().fdWatchStop(this.handle);
    this.handle = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}
