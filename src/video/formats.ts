/**
 * The one pixel-format table. Each format has a FourCC (the V4L2 one
 * where V4L2 has it), how its planes are laid out, and which sizes it
 * allows. Everything that needs a frame size or a plane offset asks here.
 */
import { VidbusError } from '../errors.js';

export type RawFormat = 'RGBA' | 'BGRA' | 'RGB24' | 'BGR24' | 'YUYV' | 'UYVY' | 'NV12' | 'I420' | 'GRAY8';
export type EncodedFormat = 'MJPEG' | 'H264' | 'HEVC';
export type PixelFormat = RawFormat | EncodedFormat;

interface PlaneSpec {
  /** bytes per pixel along a row at full resolution (before horizontal subsampling) */
  bytesPerPixel: number;
  /** horizontal and vertical subsampling divisors */
  xDiv: number;
  yDiv: number;
}

export interface FormatInfo {
  readonly name: PixelFormat;
  readonly fourcc: string;
  readonly encoded: boolean;
  readonly planes: readonly PlaneSpec[];
  /** width and height must be multiples of these */
  readonly widthMultiple: number;
  readonly heightMultiple: number;
}

const packed = (bytesPerPixel: number): PlaneSpec[] => [{ bytesPerPixel, xDiv: 1, yDiv: 1 }];

const TABLE: Record<PixelFormat, FormatInfo> = {
  // V4L2_PIX_FMT_RGBA32 'AB24': bytes R, G, B, A in memory.
  RGBA: { name: 'RGBA', fourcc: 'AB24', encoded: false, planes: packed(4), widthMultiple: 1, heightMultiple: 1 },
  // V4L2_PIX_FMT_ARGB32 'BA24' is A,R,G,B; 'AR24' (ABGR32) is B,G,R,A in memory.
  BGRA: { name: 'BGRA', fourcc: 'AR24', encoded: false, planes: packed(4), widthMultiple: 1, heightMultiple: 1 },
  RGB24: { name: 'RGB24', fourcc: 'RGB3', encoded: false, planes: packed(3), widthMultiple: 1, heightMultiple: 1 },
  BGR24: { name: 'BGR24', fourcc: 'BGR3', encoded: false, planes: packed(3), widthMultiple: 1, heightMultiple: 1 },
  YUYV: { name: 'YUYV', fourcc: 'YUYV', encoded: false, planes: packed(2), widthMultiple: 2, heightMultiple: 1 },
  UYVY: { name: 'UYVY', fourcc: 'UYVY', encoded: false, planes: packed(2), widthMultiple: 2, heightMultiple: 1 },
  NV12: {
    name: 'NV12',
    fourcc: 'NV12',
    encoded: false,
    planes: [
      { bytesPerPixel: 1, xDiv: 1, yDiv: 1 },
      { bytesPerPixel: 2, xDiv: 2, yDiv: 2 }, // interleaved U,V at half resolution
    ],
    widthMultiple: 2,
    heightMultiple: 2,
  },
  I420: {
    name: 'I420',
    fourcc: 'YU12',
    encoded: false,
    planes: [
      { bytesPerPixel: 1, xDiv: 1, yDiv: 1 },
      { bytesPerPixel: 1, xDiv: 2, yDiv: 2 },
      { bytesPerPixel: 1, xDiv: 2, yDiv: 2 },
    ],
    widthMultiple: 2,
    heightMultiple: 2,
  },
  GRAY8: { name: 'GRAY8', fourcc: 'GREY', encoded: false, planes: packed(1), widthMultiple: 1, heightMultiple: 1 },
  MJPEG: { name: 'MJPEG', fourcc: 'MJPG', encoded: true, planes: [], widthMultiple: 1, heightMultiple: 1 },
  H264: { name: 'H264', fourcc: 'H264', encoded: true, planes: [], widthMultiple: 1, heightMultiple: 1 },
  HEVC: { name: 'HEVC', fourcc: 'HEVC', encoded: true, planes: [], widthMultiple: 1, heightMultiple: 1 },
};

export const PIXEL_FORMATS = Object.keys(TABLE) as PixelFormat[];
export const MAX_PLANES = 3;
export const MAX_DIMENSION = 16384;

export function isPixelFormat(name: unknown): name is PixelFormat {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(TABLE, name);
}

export function formatInfo(name: PixelFormat): FormatInfo {
  return TABLE[name];
}

/** FourCC string <-> the little-endian u32 V4L2 uses (and the shm header stores). */
export function fourccToU32(fourcc: string): number {
  return (fourcc.charCodeAt(0) | (fourcc.charCodeAt(1) << 8) | (fourcc.charCodeAt(2) << 16) | (fourcc.charCodeAt(3) << 24)) >>> 0;
}

export function u32ToFourcc(value: number): string {
  return String.fromCharCode(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}

const byFourcc = new Map<number, PixelFormat>(PIXEL_FORMATS.map((f) => [fourccToU32(TABLE[f].fourcc), f]));

export function formatFromFourcc(value: number): PixelFormat | undefined {
  return byFourcc.get(value >>> 0);
}

export interface Plane {
  /** byte offset of the plane inside the frame */
  readonly offset: number;
  /** bytes from one row to the next */
  readonly stride: number;
  /** bytes of pixel data in one row (stride minus padding) */
  readonly rowBytes: number;
  readonly rows: number;
}

export interface FrameLayout {
  readonly format: PixelFormat;
  readonly width: number;
  readonly height: number;
  readonly planes: readonly Plane[];
  /** bytes of one raw frame, or the largest encoded frame the slot holds */
  readonly frameBytes: number;
}

export interface LayoutOptions {
  /** explicit bytes per row for each plane (at least the row's pixel bytes) */
  strides?: readonly number[];
  /** round every plane's stride up to a multiple of this (power of two) */
  strideAlign?: number;
  /** for encoded formats: the largest frame a slot must hold */
  maxFrameBytes?: number;
}

function invalid(message: string): VidbusError {
  return new VidbusError('ERR_INVALID_OPTION', message);
}

export function defaultMaxEncodedBytes(width: number, height: number): number {
  // An encoded frame larger than the raw 4:2:0 picture does not happen in
  // practice; 64 KiB keeps tiny test streams usable.
  return Math.max(65536, Math.ceil((width * height * 3) / 2));
}

/** Computes plane offsets, strides and the frame size; throws ERR_INVALID_OPTION. */
export function frameLayout(format: PixelFormat, width: number, height: number, options: LayoutOptions = {}): FrameLayout {
  if (!isPixelFormat(format)) {
    throw invalid(`Expected format to be one of ${PIXEL_FORMATS.join(', ')} but received ${JSON.stringify(format)}`);
  }
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_DIMENSION) {
      throw invalid(`Expected ${name} to be an integer from 1 to ${MAX_DIMENSION} but received ${String(value)}`);
    }
  }
  const info = TABLE[format];
  if (width % info.widthMultiple !== 0 || height % info.heightMultiple !== 0) {
    throw invalid(
      `${format} needs ${info.widthMultiple === 2 ? 'an even width' : 'any width'}${info.heightMultiple === 2 ? ' and an even height' : ''}, but received ${width}x${height}`,
    );
  }
  if (info.encoded) {
    const max = options.maxFrameBytes ?? defaultMaxEncodedBytes(width, height);
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 31) {
      throw invalid(`Expected maxFrameBytes to be an integer from 1 to 2^31 but received ${String(max)}`);
    }
    return { format, width, height, planes: [], frameBytes: max };
  }
  if (options.maxFrameBytes !== undefined) {
    throw invalid(`maxFrameBytes applies to encoded formats only; ${format} frames have a fixed size`);
  }
  const align = options.strideAlign ?? 1;
  if (!Number.isInteger(align) || align < 1 || align > 4096 || (align & (align - 1)) !== 0) {
    throw invalid(`Expected strideAlign to be a power of two from 1 to 4096 but received ${String(align)}`);
  }
  if (options.strides !== undefined && options.strides.length !== info.planes.length) {
    throw invalid(`${format} has ${info.planes.length} plane(s); strides has ${options.strides.length} entries`);
  }
  const planes: Plane[] = [];
  let offset = 0;
  info.planes.forEach((spec, i) => {
    const rowBytes = Math.ceil(width / spec.xDiv) * spec.bytesPerPixel;
    const rows = Math.ceil(height / spec.yDiv);
    let stride = options.strides?.[i] ?? Math.ceil(rowBytes / align) * align;
    if (!Number.isInteger(stride) || stride < rowBytes || stride > 4 * MAX_DIMENSION * 4) {
      throw invalid(`Expected strides[${i}] to be an integer of at least ${rowBytes} but received ${String(stride)}`);
    }
    stride = Math.trunc(stride);
    planes.push({ offset, stride, rowBytes, rows });
    offset += stride * rows;
  });
  return { format, width, height, planes, frameBytes: offset };
}
