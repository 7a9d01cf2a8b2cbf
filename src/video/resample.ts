/**
 * Fits a raw frame of any size and raw format into an RGBA picture of
 * another size: aspect ratio kept, black bars where the shapes differ,
 * nearest-neighbour sampling, BT.601 limited-range YUV to RGB. The virtual
 * camera uses it so a device keeps one fixed size while producers change
 * theirs.
 */
import { VidbusError } from '../errors.js';
import type { FrameLayout } from './formats.js';

/** The box a `sw`x`sh` picture occupies inside `dw`x`dh`, letterboxed. */
export function fitBox(sw: number, sh: number, dw: number, dh: number): { x: number; y: number; w: number; h: number } {
  const scale = Math.min(dw / sw, dh / sh);
  const w = Math.max(1, Math.min(dw, Math.round(sw * scale)));
  const h = Math.max(1, Math.min(dh, Math.round(sh * scale)));
  return { x: (dw - w) >> 1, y: (dh - h) >> 1, w, h };
}

/**
 * Fills one output row from source row `sy`: `xs[i]` is the source column
 * for output column `x0 + i`. One specialised loop per format: a function
 * call per pixel made this 20x slower.
 */
type RowFiller = (sy: number, out: Uint8ClampedArray, o: number) => void;

function rowFillerFor(src: Uint8Array, layout: FrameLayout, xs: Int32Array): RowFiller {
  const p = layout.planes;
  if (p.length === 0) {
    throw new VidbusError('ERR_INVALID_OPTION', `Cannot resample ${layout.format} frames: encoded formats need decoding first`);
  }
  const s0 = p[0]!.stride;
  // BT.601 limited range, integer arithmetic; results clamped by the Uint8ClampedArray view.
  const packed = (r: number, g: number, b: number, bpp: number): RowFiller => (sy, out, o) => {
    const row = sy * s0;
    for (let i = 0; i < xs.length; i++, o += 4) {
      const q = row + xs[i]! * bpp;
      out[o] = src[q + r]!;
      out[o + 1] = src[q + g]!;
      out[o + 2] = src[q + b]!;
    }
  };
  switch (layout.format) {
    case 'RGBA':
      return packed(0, 1, 2, 4);
    case 'BGRA':
      return packed(2, 1, 0, 4);
    case 'RGB24':
      return packed(0, 1, 2, 3);
    case 'BGR24':
      return packed(2, 1, 0, 3);
    case 'GRAY8':
      return (sy, out, o) => {
        const row = sy * s0;
        for (let i = 0; i < xs.length; i++, o += 4) out[o] = out[o + 1] = out[o + 2] = src[row + xs[i]!]!;
      };
    default:
      break;
  }
  // YUV formats: where Y, U and V of column x live, relative to the row start.
  let yAt: (row: number, x: number) => number;
  let uAt: (sy: number, x: number) => number;
  let vAt: (sy: number, x: number) => number;
  if (layout.format === 'YUYV' || layout.format === 'UYVY') {
    const [yo, uo, vo] = layout.format === 'YUYV' ? [0, 1, 3] : [1, 0, 2];
    yAt = (row, x) => row + (x >> 1) * 4 + yo + (x & 1) * 2;
    uAt = (sy, x) => sy * s0 + (x >> 1) * 4 + uo;
    vAt = (sy, x) => sy * s0 + (x >> 1) * 4 + vo;
  } else if (layout.format === 'NV12') {
    const c = p[1]!;
    yAt = (row, x) => row + x;
    uAt = (sy, x) => c.offset + (sy >> 1) * c.stride + (x & ~1);
    vAt = (sy, x) => c.offset + (sy >> 1) * c.stride + (x & ~1) + 1;
  } else {
    const u = p[1]!;
    const v = p[2]!;
    yAt = (row, x) => row + x;
    uAt = (sy, x) => u.offset + (sy >> 1) * u.stride + (x >> 1);
    vAt = (sy, x) => v.offset + (sy >> 1) * v.stride + (x >> 1);
  }
  // Column offsets are the same for every row: compute them once.
  const yCol = Int32Array.from(xs, (x) => yAt(0, x));
  const cCol = Int32Array.from(xs, (x) => uAt(0, x) - uAt(0, 0));
  return (sy, out, o) => {
    const row = sy * s0;
    const u0 = uAt(sy, 0);
    const v0 = vAt(sy, 0);
    const c = out; // a clamped view: YUV to RGB overshoots 0..255
    for (let i = 0; i < xs.length; i++, o += 4) {
      const y = 298 * (src[row + yCol[i]!]! - 16);
      const d = src[u0 + cCol[i]!]! - 128;
      const e = src[v0 + cCol[i]!]! - 128;
      c[o] = (y + 409 * e + 128) >> 8;
      c[o + 1] = (y - 100 * d - 208 * e + 128) >> 8;
      c[o + 2] = (y + 516 * d + 128) >> 8;
    }
  };
}

/** Fits `src` into `out`, an RGBA picture of `dw`x`dh` (tight rows). */
export function fitToRgba(src: Uint8Array, layout: FrameLayout, out: Uint8Array, dw: number, dh: number): void {
  if (out.length < dw * dh * 4) throw new VidbusError('ERR_FRAME_SIZE', `fitToRgba needs ${dw * dh * 4} bytes of output; received ${out.length}`);
  const box = fitBox(layout.width, layout.height, dw, dh);
  const xs = new Int32Array(box.w);
  for (let x = 0; x < box.w; x++) xs[x] = Math.min(layout.width - 1, Math.floor(((x + 0.5) * layout.width) / box.w));
  const fill = rowFillerFor(src, layout, xs);
  // Opaque black everywhere first: the bars, and the alpha of the picture.
  if (out.byteOffset % 4 === 0) new Uint32Array(out.buffer, out.byteOffset, dw * dh).fill(0xff000000);
  else for (let i = 0; i < dw * dh * 4; i += 4) out.set([0, 0, 0, 255], i);
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, dw * dh * 4);
  for (let y = box.y; y < box.y + box.h; y++) {
    const sy = Math.min(layout.height - 1, Math.floor(((y - box.y + 0.5) * layout.height) / box.h));
    fill(sy, clamped, (y * dw + box.x) * 4);
  }
}

export const PLACEHOLDER_BACKGROUND: readonly [number, number, number] = [28, 32, 48];

/**
 * The card shown while no producer is attached: a dark background, a frame,
 * and a dot that moves one step per frame so viewers see a live camera.
 */
export function drawPlaceholder(out: Uint8Array, w: number, h: number, n: number): void {
  const [br, bg, bb] = PLACEHOLDER_BACKGROUND;
  for (let i = 0; i < w * h * 4; i += 4) {
    out[i] = br;
    out[i + 1] = bg;
    out[i + 2] = bb;
    out[i + 3] = 255;
  }
  const border = Math.max(2, Math.round(Math.min(w, h) / 60));
  const light = (x: number, y: number, v: number) => out.set([v, v, v], (y * w + x) * 4);
  const inset = Math.round(Math.min(w, h) / 10);
  for (let t = 0; t < border; t++) {
    for (let x = inset; x < w - inset; x++) {
      light(x, inset + t, 90);
      light(x, h - inset - 1 - t, 90);
    }
    for (let y = inset; y < h - inset; y++) {
      light(inset + t, y, 90);
      light(w - inset - 1 - t, y, 90);
    }
  }
  const size = Math.max(2, Math.round(Math.min(w, h) / 16));
  const span = Math.max(1, w - 2 * inset - 2 * size);
  const dotX = inset + size + ((n * 3) % span);
  const dotY = h - inset - 2 * size;
  for (let y = dotY; y < dotY + size; y++) for (let x = dotX; x < dotX + size; x++) light(x, y, 220);
}
