/**
 * Pixel-format conversion for raw frames of the same size: packed RGB
 * (RGBA, BGRA, RGB24, BGR24) to the formats cameras and browsers take
 * (YUYV, UYVY, I420, NV12), BT.601 limited range in integer arithmetic, as
 * v4l2 consumers expect. Chroma is the average of the 2 (4:2:2) or 2x2
 * (4:2:0) pixels it covers. Same-format frames are copied row by row.
 */
import { VidbusError } from '../errors.js';
import type { FrameLayout, PixelFormat } from './formats.js';

const RGB_ORDER: Partial<Record<PixelFormat, { r: number; g: number; b: number; bpp: number }>> = {
  RGBA: { r: 0, g: 1, b: 2, bpp: 4 },
  BGRA: { r: 2, g: 1, b: 0, bpp: 4 },
  RGB24: { r: 0, g: 1, b: 2, bpp: 3 },
  BGR24: { r: 2, g: 1, b: 0, bpp: 3 },
};

export const CONVERTIBLE_SOURCES = Object.keys(RGB_ORDER) as PixelFormat[];
export const CONVERTIBLE_TARGETS: PixelFormat[] = ['YUYV', 'UYVY', 'I420', 'NV12'];

const y601 = (r: number, g: number, b: number) => ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
const u601 = (r: number, g: number, b: number) => ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
const v601 = (r: number, g: number, b: number) => ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;

/** BT.601 limited-range Y, U, V of one RGB colour (tests and placeholders use it too). */
export function rgbToYuv(r: number, g: number, b: number): [number, number, number] {
  return [y601(r, g, b), u601(r, g, b), v601(r, g, b)];
}

export function canConvert(from: PixelFormat, to: PixelFormat): boolean {
  return from === to || (RGB_ORDER[from] !== undefined && CONVERTIBLE_TARGETS.includes(to));
}

function copyRows(src: Uint8Array, from: FrameLayout, dst: Uint8Array, to: FrameLayout): void {
  from.planes.forEach((p, i) => {
    const q = to.planes[i]!;
    for (let row = 0; row < p.rows; row++) {
      dst.set(src.subarray(p.offset + row * p.stride, p.offset + row * p.stride + p.rowBytes), q.offset + row * q.stride);
    }
  });
}

/** Converts `src` (laid out as `from`) into `dst` (laid out as `to`). Sizes must match. */
export function convertFrame(src: Uint8Array, from: FrameLayout, dst: Uint8Array, to: FrameLayout): void {
  if (from.width !== to.width || from.height !== to.height) {
    throw new VidbusError('ERR_INVALID_OPTION', `convertFrame needs equal sizes; received ${from.width}x${from.height} -> ${to.width}x${to.height}`);
  }
  if (src.length < from.frameBytes || dst.length < to.frameBytes) {
    throw new VidbusError('ERR_FRAME_SIZE', `convertFrame: source has ${src.length} of ${from.frameBytes} bytes, target ${dst.length} of ${to.frameBytes}`);
  }
  if (from.format === to.format) return copyRows(src, from, dst, to);
  const order = RGB_ORDER[from.format];
  if (!order || !CONVERTIBLE_TARGETS.includes(to.format)) {
    throw new VidbusError('ERR_INVALID_OPTION', `No conversion from ${from.format} to ${to.format}; sources: ${CONVERTIBLE_SOURCES.join(', ')}; targets: ${CONVERTIBLE_TARGETS.join(', ')}`);
  }
  const { width, height } = from;
  const { r: ro, g: go, b: bo, bpp } = order;
  const sStride = from.planes[0]!.stride;
  if (to.format === 'YUYV' || to.format === 'UYVY') {
    const dStride = to.planes[0]!.stride;
    const [iy0, iu, iy1, iv] = to.format === 'YUYV' ? [0, 1, 2, 3] : [1, 0, 3, 2];
    for (let y = 0; y < height; y++) {
      let s = y * sStride;
      let d = y * dStride;
      for (let x = 0; x < width; x += 2, s += 2 * bpp, d += 4) {
        const r0 = src[s + ro]!, g0 = src[s + go]!, b0 = src[s + bo]!;
        const r1 = src[s + bpp + ro]!, g1 = src[s + bpp + go]!, b1 = src[s + bpp + bo]!;
        const r = (r0 + r1 + 1) >> 1, g = (g0 + g1 + 1) >> 1, b = (b0 + b1 + 1) >> 1;
        dst[d + iy0] = y601(r0, g0, b0);
        dst[d + iy1] = y601(r1, g1, b1);
        dst[d + iu] = u601(r, g, b);
        dst[d + iv] = v601(r, g, b);
      }
    }
    return;
  }
  // 4:2:0: luma per pixel, chroma per 2x2 block.
  const [yp, p1, p2] = to.planes as [(typeof to.planes)[0], (typeof to.planes)[0], (typeof to.planes)[0] | undefined];
  const nv12 = to.format === 'NV12';
  for (let y = 0; y < height; y += 2) {
    const s0 = y * sStride;
    const s1 = s0 + sStride;
    const d0 = yp.offset + y * yp.stride;
    const d1 = d0 + yp.stride;
    const c1 = p1.offset + (y >> 1) * p1.stride;
    const c2 = nv12 ? 0 : p2!.offset + (y >> 1) * p2!.stride;
    for (let x = 0; x < width; x += 2) {
      const a = s0 + x * bpp, b = a + bpp, c = s1 + x * bpp, e = c + bpp;
      dst[d0 + x] = y601(src[a + ro]!, src[a + go]!, src[a + bo]!);
      dst[d0 + x + 1] = y601(src[b + ro]!, src[b + go]!, src[b + bo]!);
      dst[d1 + x] = y601(src[c + ro]!, src[c + go]!, src[c + bo]!);
      dst[d1 + x + 1] = y601(src[e + ro]!, src[e + go]!, src[e + bo]!);
      const r = (src[a + ro]! + src[b + ro]! + src[c + ro]! + src[e + ro]! + 2) >> 2;
      const g = (src[a + go]! + src[b + go]! + src[c + go]! + src[e + go]! + 2) >> 2;
      const bl = (src[a + bo]! + src[b + bo]! + src[c + bo]! + src[e + bo]! + 2) >> 2;
      if (nv12) {
        dst[c1 + x] = u601(r, g, bl);
        dst[c1 + x + 1] = v601(r, g, bl);
      } else {
        dst[c1 + (x >> 1)] = u601(r, g, bl);
        dst[c2 + (x >> 1)] = v601(r, g, bl);
      }
    }
  }
}
