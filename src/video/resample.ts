/**
 * Fits a raw frame of any size and raw format into an RGBA picture of
 * another size: aspect ratio kept, black bars where the shapes differ,
 * nearest-neighbour sampling, BT.601 limited-range YUV to RGB. The virtual
 * camera uses it so a device keeps one fixed size while producers change
 * theirs.
 */
import { VidbusError } from '../errors.js';
import type { FrameLayout } from './formats.js';

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** The box a `sw`x`sh` picture occupies inside `dw`x`dh`, letterboxed. */
export function fitBox(sw: number, sh: number, dw: number, dh: number): { x: number; y: number; w: number; h: number } {
  const scale = Math.min(dw / sw, dh / sh);
  const w = Math.max(1, Math.min(dw, Math.round(sw * scale)));
  const h = Math.max(1, Math.min(dh, Math.round(sh * scale)));
  return { x: (dw - w) >> 1, y: (dh - h) >> 1, w, h };
}

/** Writes the RGB of source pixel (sx, sy) at `out[o..o+3]`. */
type Sampler = (sx: number, sy: number, out: Uint8Array, o: number) => void;

function samplerFor(src: Uint8Array, layout: FrameLayout): Sampler {
  const p = layout.planes;
  if (p.length === 0) {
    throw new VidbusError('ERR_INVALID_OPTION', `Cannot resample ${layout.format} frames: encoded formats need decoding first`);
  }
  const s0 = p[0]!.stride;
  const yuv = (y: number, u: number, v: number, out: Uint8Array, o: number) => {
    const c = 298 * (y - 16);
    const d = u - 128;
    const e = v - 128;
    out[o] = clamp((c + 409 * e + 128) >> 8);
    out[o + 1] = clamp((c - 100 * d - 208 * e + 128) >> 8);
    out[o + 2] = clamp((c + 516 * d + 128) >> 8);
  };
  const packed = (r: number, g: number, b: number, bpp: number): Sampler => (sx, sy, out, o) => {
    const i = sy * s0 + sx * bpp;
    out[o] = src[i + r]!;
    out[o + 1] = src[i + g]!;
    out[o + 2] = src[i + b]!;
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
      return (sx, sy, out, o) => {
        const v = src[sy * s0 + sx]!;
        out[o] = out[o + 1] = out[o + 2] = v;
      };
    case 'YUYV':
    case 'UYVY': {
      const [yo, uo, vo] = layout.format === 'YUYV' ? [0, 1, 3] : [1, 0, 2];
      return (sx, sy, out, o) => {
        const pair = sy * s0 + (sx >> 1) * 4;
        yuv(src[pair + yo + (sx & 1) * 2]!, src[pair + uo]!, src[pair + vo]!, out, o);
      };
    }
    case 'NV12': {
      const uv = p[1]!;
      return (sx, sy, out, o) => {
        const c = uv.offset + (sy >> 1) * uv.stride + (sx & ~1);
        yuv(src[sy * s0 + sx]!, src[c]!, src[c + 1]!, out, o);
      };
    }
    case 'I420': {
      const [, u, v] = p as [unknown, (typeof p)[0], (typeof p)[0]];
      return (sx, sy, out, o) => {
        yuv(src[sy * s0 + sx]!, src[u.offset + (sy >> 1) * u.stride + (sx >> 1)]!, src[v.offset + (sy >> 1) * v.stride + (sx >> 1)]!, out, o);
      };
    }
    default:
      throw new VidbusError('ERR_INVALID_OPTION', `Cannot resample ${layout.format} frames: encoded formats need decoding first`);
  }
}

/** Fits `src` into `out`, an RGBA picture of `dw`x`dh` (tight rows). */
export function fitToRgba(src: Uint8Array, layout: FrameLayout, out: Uint8Array, dw: number, dh: number): void {
  if (out.length < dw * dh * 4) throw new VidbusError('ERR_FRAME_SIZE', `fitToRgba needs ${dw * dh * 4} bytes of output; received ${out.length}`);
  const sample = samplerFor(src, layout);
  const box = fitBox(layout.width, layout.height, dw, dh);
  const xs = new Int32Array(box.w);
  for (let x = 0; x < box.w; x++) xs[x] = Math.min(layout.width - 1, Math.floor(((x + 0.5) * layout.width) / box.w));
  out.fill(0);
  for (let y = 0; y < dh; y++) {
    const row = y * dw * 4;
    if (y < box.y || y >= box.y + box.h) {
      for (let x = 0; x < dw; x++) out[row + x * 4 + 3] = 255;
      continue;
    }
    const sy = Math.min(layout.height - 1, Math.floor(((y - box.y + 0.5) * layout.height) / box.h));
    for (let x = 0; x < dw; x++) {
      const o = row + x * 4;
      out[o + 3] = 255;
      if (x >= box.x && x < box.x + box.w) sample(xs[x - box.x]!, sy, out, o);
    }
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
