/**
 * The pixel kernels in the addon (native/pixels.c). This file turns frame
 * layouts into the addon's descriptors; callers use src/video/convert.ts.
 */
import type { FrameLayout, RawFormat } from '../video/formats.js';
import { loadNative } from './binding.js';

/** Format codes of native/pixels.h (enum vb_pixel_format). */
const PIXEL_CODES: Record<RawFormat, number> = { RGBA: 1, BGRA: 2, RGB24: 3, BGR24: 4, YUYV: 5, UYVY: 6, NV12: 7, I420: 8, GRAY8: 9 };

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The addon's image descriptor for a raw layout (see native/convert.c). */
export function imageDescriptor(layout: FrameLayout): Int32Array {
  const d = new Int32Array(9);
  d[0] = PIXEL_CODES[layout.format as RawFormat] ?? 0;
  d[1] = layout.width;
  d[2] = layout.height;
  layout.planes.forEach((p, i) => {
    d[3 + 2 * i] = p.offset;
    d[4 + 2 * i] = p.stride;
  });
  return d;
}

/**
 * Draws `src` scaled into `box` of `dst`, black around it. Both layouts
 * must be raw and the buffers large enough (the addon checks again and
 * throws ERR_NATIVE_ARGUMENT rather than touch memory outside them).
 */
export function nativeFit(src: Uint8Array, from: FrameLayout, dst: Uint8Array, to: FrameLayout, box: Box): void {
  loadNative().pixelsFit(src, imageDescriptor(from), dst, imageDescriptor(to), Int32Array.of(box.x, box.y, box.w, box.h));
}

/** Sets the alpha byte (every fourth, from byte 3) of RGBA or BGRA pixels to 255. */
export function opaqueAlpha(pixels: Uint8Array): void {
  loadNative().pixelsOpaque(pixels);
}
