/**
 * The one pixel-format table. Each format has a FourCC (the V4L2 one
 * where V4L2 has it), how its planes are laid out, and which sizes it
 * allows. Everything that needs a frame size or a plane offset asks here.
 */
import { VidbusError } from '../errors.js';

/** Uncompressed formats: fixed frame size, planes and strides. */
export type RawFormat = 'RGBA' | 'BGRA' | 'RGB24' | 'BGR24' | 'YUYV' | 'UYVY' | 'NV12' | 'I420' | 'GRAY8';
/** Compressed formats: one encoded frame (access unit) per slot, with its size and a keyframe flag. */
export type EncodedFormat = 'MJPEG' | 'H264' | 'HEVC';
/** Every format a stream can carry. */
export type PixelFormat = RawFormat | EncodedFormat;

/** How one plane of a format is laid out. */
export interface PlaneSpec {
  /** bytes per pixel along a row at full resolution (before horizontal subsampling) */
  bytesPerPixel: number;
  /** horizontal subsampling divisor (2 for 4:2:x chroma) */
  xDiv: number;
  /** vertical subsampling divisor (2 for 4:2:0 chroma) */
  yDiv: number;
}

/** What vidbus knows about a format: its FourCC, ffmpeg name and planes. */
export interface FormatInfo {
  /** vidbus's name */
  readonly name: PixelFormat;
  /** the V4L2 FourCC (also what the stream header stores) */
  readonly fourcc: string;
  /** ffmpeg's -pix_fmt name (raw formats), or its demuxer/codec name (encoded) */
  readonly ffmpeg: string;
  /** a compressed format */
  readonly encoded: boolean;
  /** the planes of a raw frame (none for encoded formats) */
  readonly planes: readonly PlaneSpec[];
  /** width and height must be multiples of these */
  readonly widthMultiple: number;
  /** see widthMultiple */
  readonly heightMultiple: number;
}

const packed = (bytesPerPixel: number): PlaneSpec[] => [{ bytesPerPixel, xDiv: 1, yDiv: 1 }];

const TABLE: Record<PixelFormat, FormatInfo> = {
  // V4L2_PIX_FMT_RGBA32 'AB24': bytes R, G, B, A in memory.
  RGBA: { name: 'RGBA', ffmpeg: 'rgba', fourcc: 'AB24', encoded: false, planes: packed(4), widthMultiple: 1, heightMultiple: 1 },
  // V4L2_PIX_FMT_ARGB32 'BA24' is A,R,G,B; 'AR24' (ABGR32) is B,G,R,A in memory.
  BGRA: { name: 'BGRA', ffmpeg: 'bgra', fourcc: 'AR24', encoded: false, planes: packed(4), widthMultiple: 1, heightMultiple: 1 },
  RGB24: { name: 'RGB24', ffmpeg: 'rgb24', fourcc: 'RGB3', encoded: false, planes: packed(3), widthMultiple: 1, heightMultiple: 1 },
  BGR24: { name: 'BGR24', ffmpeg: 'bgr24', fourcc: 'BGR3', encoded: false, planes: packed(3), widthMultiple: 1, heightMultiple: 1 },
  YUYV: { name: 'YUYV', ffmpeg: 'yuyv422', fourcc: 'YUYV', encoded: false, planes: packed(2), widthMultiple: 2, heightMultiple: 1 },
  UYVY: { name: 'UYVY', ffmpeg: 'uyvy422', fourcc: 'UYVY', encoded: false, planes: packed(2), widthMultiple: 2, heightMultiple: 1 },
  NV12: {
    name: 'NV12',
    ffmpeg: 'nv12',
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
    ffmpeg: 'yuv420p',
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
  GRAY8: { name: 'GRAY8', ffmpeg: 'gray', fourcc: 'GREY', encoded: false, planes: packed(1), widthMultiple: 1, heightMultiple: 1 },
  MJPEG: { name: 'MJPEG', ffmpeg: 'mjpeg', fourcc: 'MJPG', encoded: true, planes: [], widthMultiple: 1, heightMultiple: 1 },
  H264: { name: 'H264', ffmpeg: 'h264', fourcc: 'H264', encoded: true, planes: [], widthMultiple: 1, heightMultiple: 1 },
  HEVC: { name: 'HEVC', ffmpeg: 'hevc', fourcc: 'HEVC', encoded: true, planes: [], widthMultiple: 1, heightMultiple: 1 },
};

/** Every format, raw then encoded. */
export const PIXEL_FORMATS = Object.keys(TABLE) as PixelFormat[];
/** The raw formats: what conversions, the virtual camera and test patterns take. */
export const RAW_FORMATS = PIXEL_FORMATS.filter((f) => !TABLE[f].encoded) as RawFormat[];
/** The encoded formats: one compressed frame per slot, with a size and a keyframe flag. */
export const ENCODED_FORMATS = PIXEL_FORMATS.filter((f) => TABLE[f].encoded) as EncodedFormat[];
export const MAX_PLANES = 3;
export const MAX_DIMENSION = 16384;

/** True for a name vidbus knows (RGBA, NV12, MJPEG, ...). */
export function isPixelFormat(name: unknown): name is PixelFormat {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(TABLE, name);
}

/** True for an uncompressed format. */
export function isRawFormat(name: unknown): name is RawFormat {
  return isPixelFormat(name) && !TABLE[name].encoded;
}

/** The table entry of a format. */
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

/** The format of a V4L2 FourCC number, if vidbus knows it. */
export function formatFromFourcc(value: number): PixelFormat | undefined {
  return byFourcc.get(value >>> 0);
}

/** Where one plane of a frame lives. */
export interface Plane {
  /** byte offset of the plane inside the frame */
  readonly offset: number;
  /** bytes from one row to the next */
  readonly stride: number;
  /** bytes of pixel data in one row (stride minus padding) */
  readonly rowBytes: number;
  /** rows of this plane (fewer than the height for subsampled chroma) */
  readonly rows: number;
}

/** A frame's format, size and planes: everything needed to find a pixel. */
export interface FrameLayout {
  /** the pixel format */
  readonly format: PixelFormat;
  /** pixels */
  readonly width: number;
  /** pixels */
  readonly height: number;
  /** one entry per plane (none for encoded formats) */
  readonly planes: readonly Plane[];
  /** bytes of one raw frame, or the largest encoded frame the slot holds */
  readonly frameBytes: number;
}

/** Options of frameLayout(). */
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

/** A frame rate as a fraction: frames per second = num / den. */
export interface Rational {
  /** numerator */
  num: number;
  /** denominator (above 0) */
  den: number;
}

/**
 * Frames per second as a reduced fraction: integers as n/1, fractions to
 * a thousandth (29.97 -> 2997/100). Throws ERR_INVALID_OPTION outside (0, max].
 */
export function fpsToRational(fps: number, max = 100000): Rational {
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps < 0 || fps > max) throw invalid(`Expected fps to be a number from 0 to ${max} but received ${String(fps)}`);
  if (Number.isInteger(fps)) return { num: fps, den: 1 };
  const num = Math.round(fps * 1000);
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(num, 1000);
  return { num: num / g, den: 1000 / g };
}

/** num/den as frames per second. */
export function rationalToFps(rate: Rational): number {
  return rate.den === 0 ? 0 : rate.num / rate.den;
}

/** True when frames of layout `a` can be written as they are where `b` is expected (same format, size, planes and strides). */
export function sameLayout(a: FrameLayout, b: FrameLayout): boolean {
  return (
    a.format === b.format &&
    a.width === b.width &&
    a.height === b.height &&
    a.frameBytes === b.frameBytes &&
    a.planes.length === b.planes.length &&
    a.planes.every((p, i) => p.offset === b.planes[i]!.offset && p.stride === b.planes[i]!.stride)
  );
}
