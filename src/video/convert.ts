/**
 * Pixel-format conversion and scaling between any two raw formats, run by
 * the native kernels (native/pixels.c): BT.601 limited range (src/video/yuv.ts),
 * chroma averaged over the pixels it covers, nearest-neighbour scaling,
 * letterboxing when the shapes differ. Same-format, same-size frames are
 * copied row by row, so differing strides are handled everywhere.
 */
import { VidbusError } from '../errors.js';
import { nativeFit, type Box } from '../native/pixels.js';
import { formatInfo, type FrameLayout, type PixelFormat } from './formats.js';

export { rgbToYuv, yuvToRgb } from './yuv.js';

const SUBSAMPLED = new Set<PixelFormat>(['YUYV', 'UYVY', 'NV12', 'I420']);

/** Every raw format converts to every other; encoded ones need decoding first. */
export function canConvert(from: PixelFormat, to: PixelFormat): boolean {
  return !formatInfo(from).encoded && !formatInfo(to).encoded;
}

/** The box a `sw`x`sh` picture occupies inside `dw`x`dh`, letterboxed and centred. */
export function fitBox(sw: number, sh: number, dw: number, dh: number): Box {
  const scale = Math.min(dw / sw, dh / sh);
  const w = Math.max(1, Math.min(dw, Math.round(sw * scale)));
  const h = Math.max(1, Math.min(dh, Math.round(sh * scale)));
  return { x: (dw - w) >> 1, y: (dh - h) >> 1, w, h };
}

function check(src: Uint8Array, from: FrameLayout, dst: Uint8Array, to: FrameLayout, what: string): void {
  if (!canConvert(from.format, to.format)) {
    const encoded = formatInfo(from.format).encoded ? from.format : to.format;
    throw new VidbusError('ERR_INVALID_OPTION', `${what}: ${encoded} is an encoded format; decode it first (vidbus converts between raw formats only)`);
  }
  if (src.length < from.frameBytes || dst.length < to.frameBytes) {
    throw new VidbusError('ERR_FRAME_SIZE', `${what}: source has ${src.length} of ${from.frameBytes} bytes, target ${dst.length} of ${to.frameBytes}`);
  }
}

/** Converts `src` (laid out as `from`) into `dst` (laid out as `to`). Sizes must match. */
export function convertFrame(src: Uint8Array, from: FrameLayout, dst: Uint8Array, to: FrameLayout): void {
  if (from.width !== to.width || from.height !== to.height) {
    throw new VidbusError('ERR_INVALID_OPTION', `convertFrame needs equal sizes; received ${from.width}x${from.height} -> ${to.width}x${to.height} (fitFrame scales)`);
  }
  check(src, from, dst, to, 'convertFrame');
  nativeFit(src, from, dst, to, { x: 0, y: 0, w: to.width, h: to.height });
}

/** Scales `src` into `dst` keeping its aspect ratio, black bars around it. */
export function fitFrame(src: Uint8Array, from: FrameLayout, dst: Uint8Array, to: FrameLayout): void {
  check(src, from, dst, to, 'fitFrame');
  const box = fitBox(from.width, from.height, to.width, to.height);
  if (SUBSAMPLED.has(to.format)) {
    // Even edges keep chroma samples whole, and let the kernels scale each
    // plane on its own (no trip through RGB).
    const even = (v: number) => v & ~1;
    nativeFit(src, from, dst, to, { x: even(box.x), y: even(box.y), w: Math.max(2, even(box.w)), h: Math.max(2, even(box.h)) });
    return;
  }
  nativeFit(src, from, dst, to, box);
}

/** Scales `src` to fill all of `dst`, not keeping the aspect ratio (model inputs, masks). */
export function stretchFrame(src: Uint8Array, from: FrameLayout, dst: Uint8Array, to: FrameLayout): void {
  check(src, from, dst, to, 'stretchFrame');
  nativeFit(src, from, dst, to, { x: 0, y: 0, w: to.width, h: to.height });
}
