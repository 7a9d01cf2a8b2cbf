/**
 * A test pattern for raw RGBA/BGRA frames: eight colour bars and a white
 * marker that moves one step per frame, so a viewer sees motion and a
 * test can find the frame number from the marker position.
 */
import type { FrameLayout } from './formats.js';

const BARS_RGB = [
  [235, 235, 235],
  [235, 235, 16],
  [16, 235, 235],
  [16, 235, 16],
  [235, 16, 235],
  [235, 16, 16],
  [16, 16, 235],
  [16, 16, 16],
];

/** Draws frame `n` of the pattern into `data` (RGBA or BGRA layouts only). */
export function drawPattern(data: Uint8Array, layout: FrameLayout, n: number): void {
  if (layout.format !== 'RGBA' && layout.format !== 'BGRA') {
    throw new RangeError(`drawPattern supports RGBA and BGRA, not ${layout.format}`);
  }
  const plane = layout.planes[0]!;
  const { width, height } = layout;
  const bgr = layout.format === 'BGRA';
  const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2);
  const strideWords = plane.stride >>> 2;
  const pixel = ([r, g, b]: number[]) => (bgr ? (b! | (g! << 8) | (r! << 16)) : (r! | (g! << 8) | (b! << 16))) | (0xff << 24);
  const barWidth = Math.ceil(width / BARS_RGB.length);
  const row = new Uint32Array(width);
  for (let i = 0; i < BARS_RGB.length; i++) row.fill(pixel(BARS_RGB[i]!) >>> 0, i * barWidth, Math.min(width, (i + 1) * barWidth));
  const markerSize = Math.max(2, Math.floor(Math.min(width, height) / 12));
  const markerX = (n * 4) % Math.max(1, width - markerSize);
  const markerY = Math.floor((height - markerSize) / 2);
  const white = pixel([255, 255, 255]) >>> 0;
  for (let y = 0; y < height; y++) {
    const start = y * strideWords;
    words.set(row, start);
    if (y >= markerY && y < markerY + markerSize) words.fill(white, start + markerX, start + markerX + markerSize);
  }
}
