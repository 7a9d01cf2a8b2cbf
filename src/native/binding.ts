/**
 * The only module that loads the C addon. It tries, in order, the path in
 * VIDBUS_NATIVE_PATH, build/Release and build/Debug, and fails with a
 * message listing every path tried and what to do.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VidbusError, nativeError } from '../errors.js';

/** Opaque handle to a native waiter thread. */
export type WaiterHandle = { readonly __brand: 'WaiterHandle' };

/** Opaque handle to a native JPEG decoder. */
export type JpegHandle = { readonly __brand: 'JpegHandle' };

/** Result codes a waiter reports: see native/waiter.h. */
export const WAIT_WOKEN = 0;
export const WAIT_TIMED_OUT = 1;
export const WAIT_CHANGED = 2;

/** The addon's exports, one by one. A test checks this against the addon. */
export interface Native {
  init(makeError: (code: string, message: string, syscall?: string, errno?: number) => Error): void;
  mmap(fd: number, length: number, writable: boolean, populate: boolean, offset?: number): ArrayBuffer;
  munmap(buffer: ArrayBuffer): void;
  fallocate(fd: number, length: number): void;
  futexWake(buffer: ArrayBuffer, byteOffset: number, count: number): number;
  futexWaitSync(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number): number;
  waiterCreate(buffer: ArrayBuffer, byteOffset: number, onResult: (result: number) => void): WaiterHandle;
  waiterArm(waiter: WaiterHandle, expected: number, timeoutMs: number): void;
  waiterClose(waiter: WaiterHandle): void;
  lockTry(fd: number, offset: number, exclusive: boolean): boolean;
  lockRelease(fd: number, offset: number): void;
  lockHeld(fd: number, offset: number): boolean;
  v4l2QueryCap(fd: number): RawCapability;
  v4l2GetFormat(fd: number, bufType: number): RawPixFormat;
  v4l2SetFormat(fd: number, bufType: number, width: number, height: number, pixelFormat: number): RawPixFormat;
  v4l2SetFrameRate(fd: number, bufType: number, num: number, den: number): void;
  v4l2Stream(fd: number, bufType: number, on: boolean): void;
  v4l2EnumFormats(fd: number, bufType: number): { pixelFormat: number; flags: number; description: string }[];
  v4l2EnumFrameSizes(fd: number, pixelFormat: number): RawFrameSize[];
  v4l2EnumFrameIntervals(fd: number, pixelFormat: number, width: number, height: number): RawFrameInterval[];
  v4l2GetFrameInterval(fd: number, bufType: number): { num: number; den: number };
  v4l2RequestBuffers(fd: number, bufType: number, memory: number, count: number): number;
  v4l2QueryBuffer(fd: number, bufType: number, index: number): { offset: number; length: number };
  v4l2QueueBuffer(fd: number, bufType: number, memory: number, index: number, userptr?: Uint8Array): void;
  v4l2DequeueBuffer(fd: number, bufType: number, memory: number): RawDequeued | null;
  fdWatchStart(fd: number, callback: (status: number, events: number) => void, drain?: number, stamp?: BigInt64Array): FdWatchHandle;
  fdWatchStop(handle: FdWatchHandle): void;
  fdWatchRef(handle: FdWatchHandle, keepAlive: boolean): void;
  wakeSocketOpen(token: bigint): number;
  wakeSenderOpen(): number;
  wakeSend(fd: number, token: bigint): number;
  streamSocketConnect(path: string, abstract: boolean): number;
  streamSocketSend(fd: number, bytes: Uint8Array, passFd: number): number;
  streamSocketReceive(fd: number, into: Uint8Array): number;
  drmResources(fd: number): { crtcs: number[]; connectors: number[]; encoders: number[] };
  drmConnector(fd: number, id: number): RawDrmConnector;
  drmEncoderCrtc(fd: number, id: number): number;
  drmCrtc(fd: number, id: number): RawDrmCrtc;
  drmFramebuffer(fd: number, fbId: number): RawDrmFramebuffer;
  drmExportHandle(fd: number, handle: number): number;
  drmDumbMapOffset(fd: number, handle: number): number;
  drmCloseHandle(fd: number, handle: number): void;
  dmaBufSync(fd: number, start: boolean): void;
  timerCreate(): number;
  timerArm(fd: number, atNs: number): void;
  fxMaskToAlpha(mask: Float32Array, maskWidth: number, maskHeight: number, alpha: Uint8Array, width: number, height: number): void;
  fxBlur(src: Uint8Array, dst: Uint8Array, width: number, height: number, radius: number): void;
  fxComposite(fg: Uint8Array, bg: Uint8Array, alpha: Uint8Array, out: Uint8Array, width: number, height: number): void;
  fxGuidedAlpha(mask: Float32Array, maskWidth: number, maskHeight: number, rgba: Uint8Array, width: number, height: number, alpha: Uint8Array, radius: number, eps: number, low: number, high: number): void;
  fxLevels(rgba: Uint8Array, pixels: number, lut: Uint8Array): void;
  fxResize(src: Uint8Array, srcWidth: number, srcHeight: number, dst: Uint8Array, dstWidth: number, dstHeight: number): void;
  pixelsFit(src: Uint8Array, srcDesc: Int32Array, dst: Uint8Array, dstDesc: Int32Array, box: Int32Array): void;
  pixelsOpaque(bytes: Uint8Array): void;
  pixelsCopyRows(src: Uint8Array, srcOffset: number, srcPitch: number, dst: Uint8Array, dstStride: number, rowBytes: number, rows: number, opaque: boolean): void;
  jpegCreate(encoder?: boolean): JpegHandle;
  jpegClose(handle: JpegHandle): void;
  jpegHeader(handle: JpegHandle, src: Uint8Array): { width: number; height: number; subsampling: number };
  jpegDecode(handle: JpegHandle, src: Uint8Array, dst: Uint8Array, dstDesc: Int32Array): string | null;
  jpegEncode(handle: JpegHandle, src: Uint8Array, srcDesc: Int32Array, quality: number): Buffer;
}

/** Opaque handle to a file-descriptor watch on the event loop. */
export type FdWatchHandle = { readonly __brand: 'FdWatchHandle' };

/** struct v4l2_frmsizeenum: type 1 discrete (width, height), 2 continuous / 3 stepwise (ranges). */
export interface RawFrameSize {
  type: number;
  width?: number;
  height?: number;
  minWidth?: number;
  maxWidth?: number;
  stepWidth?: number;
  minHeight?: number;
  maxHeight?: number;
  stepHeight?: number;
}

/** struct v4l2_frmivalenum: seconds per frame, num/den; type 1 discrete, else a range. */
export interface RawFrameInterval {
  type: number;
  num?: number;
  den?: number;
  minNum?: number;
  minDen?: number;
  maxNum?: number;
  maxDen?: number;
}

/** A dequeued struct v4l2_buffer. */
export interface RawDequeued {
  index: number;
  bytesUsed: number;
  flags: number;
  sequence: number;
  timestampNs: bigint;
}

/** struct v4l2_pix_format as the addon returns it. */
export interface RawPixFormat {
  width: number;
  height: number;
  pixelFormat: number;
  bytesPerLine: number;
  sizeImage: number;
  field: number;
}

/** struct v4l2_capability as the addon returns it. */
export interface RawCapability {
  driver: string;
  card: string;
  busInfo: string;
  version: number;
  capabilities: number;
  deviceCaps: number;
}

export const NATIVE_EXPORTS: readonly (keyof Native)[] = [
  'init',
  'mmap',
  'munmap',
  'fallocate',
  'futexWake',
  'futexWaitSync',
  'waiterCreate',
  'waiterArm',
  'waiterClose',
  'lockTry',
  'lockRelease',
  'lockHeld',
  'v4l2QueryCap',
  'v4l2GetFormat',
  'v4l2SetFormat',
  'v4l2SetFrameRate',
  'v4l2Stream',
  'v4l2EnumFormats',
  'v4l2EnumFrameSizes',
  'v4l2EnumFrameIntervals',
  'v4l2GetFrameInterval',
  'v4l2RequestBuffers',
  'v4l2QueryBuffer',
  'v4l2QueueBuffer',
  'v4l2DequeueBuffer',
  'fdWatchStart',
  'fdWatchStop',
  'fdWatchRef',
  'wakeSocketOpen',
  'wakeSenderOpen',
  'wakeSend',
  'streamSocketConnect',
  'streamSocketSend',
  'streamSocketReceive',
  'drmResources',
  'drmConnector',
  'drmEncoderCrtc',
  'drmCrtc',
  'drmFramebuffer',
  'drmExportHandle',
  'drmDumbMapOffset',
  'drmCloseHandle',
  'dmaBufSync',
  'timerCreate',
  'timerArm',
  'pixelsFit',
  'pixelsOpaque',
  'pixelsCopyRows',
  'fxMaskToAlpha',
  'fxBlur',
  'fxComposite',
  'fxResize',
  'fxGuidedAlpha',
  'fxLevels',
  'jpegCreate',
  'jpegClose',
  'jpegHeader',
  'jpegDecode',
  'jpegEncode',
];

function packageRoot(): string {
  // dist/src/native/binding.js -> package root is three levels up.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

export function candidatePaths(): string[] {
  const root = packageRoot();
  const paths: string[] = [];
  const override = process.env.VIDBUS_NATIVE_PATH;
  if (override) paths.push(resolve(override));
  paths.push(join(root, 'build', 'Release', 'vidbus_native.node'));
  paths.push(join(root, 'build', 'Debug', 'vidbus_native.node'));
  return paths;
}

let loaded: Native | undefined;

export function loadNative(): Native {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidatePaths()) {
    if (!existsSync(path)) {
      tried.push(`${path} (missing)`);
      continue;
    }
    try {
      const mod = require(path) as Native;
      mod.init(nativeError);
      loaded = mod;
      return mod;
    } catch (e) {
      tried.push(`${path} (${(e as Error).message})`);
    }
  }
  throw new VidbusError(
    'ERR_NATIVE_LOAD',
    [
      'The vidbus native addon could not be loaded. Paths tried:',
      ...tried.map((t) => `  - ${t}`),
      'Possible solutions:',
      '  - Build it: `npm run build:native` (needs python3, make and a C compiler: apt-get install build-essential python3).',
      '  - Point VIDBUS_NATIVE_PATH at a vidbus_native.node you built.',
    ].join('\n'),
  );
}

/** A DRM display mode (drmConnector, drmCrtc). */
export interface RawDrmMode {
  width: number;
  height: number;
  refresh: number;
  name: string;
}

/** DRM_IOCTL_MODE_GETCONNECTOR, the parts capture uses. */
export interface RawDrmConnector {
  id: number;
  /** DRM_MODE_CONNECTOR_* */
  type: number;
  typeId: number;
  /** 1 connected, 2 disconnected, 3 unknown */
  connection: number;
  encoderId: number;
  modes: RawDrmMode[];
}

/** DRM_IOCTL_MODE_GETCRTC. */
export interface RawDrmCrtc {
  id: number;
  /** the framebuffer scanned out now (0: none) */
  fbId: number;
  x: number;
  y: number;
  /** null when the CRTC is off */
  mode: RawDrmMode | null;
}

/** DRM_IOCTL_MODE_GETFB2. */
export interface RawDrmFramebuffer {
  width: number;
  height: number;
  /** DRM fourcc, little-endian code */
  fourcc: number;
  flags: number;
  /** modifier of plane 0, high and low 32 bits */
  modifierHigh: number;
  modifierLow: number;
  /** GEM handles (0 without DRM master or CAP_SYS_ADMIN) */
  handles: number[];
  pitches: number[];
  offsets: number[];
}
