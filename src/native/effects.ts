/** The compositing kernels in the addon (native/effects.c); callers use src/effects/. */
import { loadNative } from './binding.js';

/** Scales a 0..1 mask (maskWidth x maskHeight) up to an alpha plane of width x height, bilinear. */
export function maskToAlpha(mask: Float32Array, maskWidth: number, maskHeight: number, alpha: Uint8Array, width: number, height: number): void {
  loadNative().fxMaskToAlpha(mask, maskWidth, maskHeight, alpha, width, height);
}

/** Blurs a tight RGBA picture (three box passes each way, about a Gaussian of `radius`). */
export function blurRgba(src: Uint8Array, dst: Uint8Array, width: number, height: number, radius: number): void {
  loadNative().fxBlur(src, dst, width, height, radius);
}

/** out = fg * alpha + bg * (1 - alpha), tight RGBA pictures and a one-byte-per-pixel alpha. */
export function compositeRgba(fg: Uint8Array, bg: Uint8Array, alpha: Uint8Array, out: Uint8Array, width: number, height: number): void {
  loadNative().fxComposite(fg, bg, alpha, out, width, height);
}

/** Bilinear resize of a tight RGBA picture. */
export function resizeRgba(src: Uint8Array, srcWidth: number, srcHeight: number, dst: Uint8Array, dstWidth: number, dstHeight: number): void {
  loadNative().fxResize(src, srcWidth, srcHeight, dst, dstWidth, dstHeight);
}

/**
 * Scales a 0..1 mask up to an alpha plane whose edges follow the picture's
 * (a fast guided filter on the picture's luma; `radius` in mask cells,
 * `eps` the smoothing: smaller follows edges more closely), then shapes it
 * with a smoothstep from `low` (background) to `high` (person).
 */
export function guidedAlpha(mask: Float32Array, maskWidth: number, maskHeight: number, rgba: Uint8Array, width: number, height: number, alpha: Uint8Array, radius: number, eps: number, low: number, high: number): void {
  loadNative().fxGuidedAlpha(mask, maskWidth, maskHeight, rgba, width, height, alpha, radius, eps, low, high);
}

/** Maps R, G and B of `pixels` RGBA pixels through a 256-entry curve. */
export function levelsRgba(rgba: Uint8Array, pixels: number, lut: Uint8Array): void {
  loadNative().fxLevels(rgba, pixels, lut);
}
