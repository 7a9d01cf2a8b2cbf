/**
 * A test pattern for raw RGBA/BGRA frames: eight colour bars and a white
 * marker that moves one step per frame, so a viewer sees motion and a
 * test can find the frame number from the marker position.
 */
import type { FrameLayout } from './formats.js';
import { drawText, textWidth } from './text.js';

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

/** Where the burned-in label sits, and its size: top left, 1/60 of the height per font pixel, at most 60% of the width. */
export function labelGeometry(layout: FrameLayout): { x: number; y: number; scale: number } {
  const scale = Math.max(1, Math.min(Math.floor(layout.height / 60), Math.floor((layout.width * 0.6) / textWidth('#000000 00:00:00.000', 1))));
  return { x: 2 * scale, y: 2 * scale, scale };
}

/** The label of frame `n` captured at `wallMs` (ms since the epoch): '#000123 12:34:56.789' in UTC. */
export function patternLabel(n: number, wallMs: number): string {
  const t = new Date(wallMs);
  const two = (v: number) => String(v).padStart(2, '0');
  return `#${String(n % 1_000_000).padStart(6, '0')} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}.${String(t.getUTCMilliseconds()).padStart(3, '0')}`;
}

/**
 * Draws frame `n` of the pattern into `data` (RGBA or BGRA layouts only).
 * With `label`, the frame number and the time are burned in at the top left.
 */
export function drawPattern(data: Uint8Array, layout: FrameLayout, n: number, label?: string): void {
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
  if (label !== undefined) {
    const { x, y, scale } = labelGeometry(layout);
    drawText(data, layout, x, y, label, scale);
  }
}
