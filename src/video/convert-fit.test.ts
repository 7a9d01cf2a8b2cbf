import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { convertFrame, fitBox, fitFrame, rgbToYuv, yuvToRgb } from './convert.js';
import { frameLayout, type RawFormat } from './formats.js';
import { drawPlaceholder, PLACEHOLDER_BACKGROUND } from './placeholder.js';

const RAW: RawFormat[] = ['RGBA', 'BGRA', 'RGB24', 'BGR24', 'YUYV', 'UYVY', 'NV12', 'I420', 'GRAY8'];

function solidRgba(w: number, h: number, rgb: readonly number[]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let i = 0; i < out.length; i += 4) out.set([rgb[0]!, rgb[1]!, rgb[2]!, 255], i);
  return out;
}

/** A solid frame in any raw format, made by the converter from RGBA. */
function solid(format: RawFormat, w: number, h: number, rgb: readonly number[]) {
  const layout = frameLayout(format, w, h, { strideAlign: 32 });
  const data = new Uint8Array(layout.frameBytes);
  convertFrame(solidRgba(w, h, rgb), frameLayout('RGBA', w, h), data, layout);
  return { layout, data };
}

/** Reads pixel (x, y) of an RGBA frame. */
const rgbaAt = (data: Uint8Array, w: number, x: number, y: number) => [...data.subarray((y * w + x) * 4, (y * w + x) * 4 + 3)];

describe('fitFrame', () => {
  it('letterboxes a different aspect ratio', () => {
    assert.deepEqual(fitBox(640, 360, 320, 240), { x: 0, y: 30, w: 320, h: 180 });
    assert.deepEqual(fitBox(100, 100, 320, 240), { x: 40, y: 0, w: 240, h: 240 });
  });

  // The expected colour after a trip through YUV (exact integer maths) or through gray.
  const expected = (via: RawFormat, rgb: readonly number[]) => {
    if (via === 'GRAY8') {
      const g = (77 * rgb[0]! + 150 * rgb[1]! + 29 * rgb[2]! + 128) >> 8;
      return [g, g, g];
    }
    if (['YUYV', 'UYVY', 'NV12', 'I420'].includes(via)) return yuvToRgb(...rgbToYuv(rgb[0]!, rgb[1]!, rgb[2]!));
    return [...rgb];
  };

  for (const from of RAW) {
    for (const to of RAW) {
      it(`${from} 64x36 -> ${to} 32x24 keeps the colour and draws black bars`, () => {
        const colour = [200, 60, 40];
        const src = solid(from, 64, 36, colour);
        const dst = frameLayout(to, 32, 24, { strideAlign: 16 });
        const out = new Uint8Array(dst.frameBytes);
        fitFrame(src.data, src.layout, out, dst);
        const back = new Uint8Array(32 * 24 * 4);
        convertFrame(out, dst, back, frameLayout('RGBA', 32, 24));
        const want = expected(to, expected(from, colour));
        const got = rgbaAt(back, 32, 16, 12);
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c]! - want[c]!) <= 2, `channel ${c}: got ${got} want ${want}`);
        // 64x36 in 32x24 is 32x18 at y=3: rows 0..2 are bars.
        assert.deepEqual(rgbaAt(back, 32, 0, 0), [0, 0, 0], 'bars are black');
      });
    }
  }

  // Quadrants of red, green, blue and white, through every pair of formats.
  const quadrants = (w: number, h: number) => {
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = y < h / 2 ? (x < w / 2 ? [255, 0, 0] : [0, 255, 0]) : x < w / 2 ? [0, 0, 255] : [255, 255, 255];
        rgba.set([...c, 255], (y * w + x) * 4);
      }
    }
    return rgba;
  };
  for (const from of RAW.filter((f) => f !== 'GRAY8')) {
    for (const to of RAW.filter((f) => f !== 'GRAY8')) {
      for (const [dw, dh] of [
        [64, 48],
        [160, 120],
      ] as const) {
        it(`${from} 64x48 -> ${to} ${dw}x${dh}: each quadrant keeps its colour`, () => {
          const src = frameLayout(from, 64, 48, { strideAlign: 64 });
          const input = new Uint8Array(src.frameBytes);
          convertFrame(quadrants(64, 48), frameLayout('RGBA', 64, 48), input, src);
          const dst = frameLayout(to, dw, dh, { strideAlign: 16 });
          const out = new Uint8Array(dst.frameBytes);
          fitFrame(input, src, out, dst);
          const back = new Uint8Array(dw * dh * 4);
          convertFrame(out, dst, back, frameLayout('RGBA', dw, dh));
          const q = quadrants(dw, dh);
          for (const [x, y] of [
            [dw / 4, dh / 4],
            [(3 * dw) / 4, dh / 4],
            [dw / 4, (3 * dh) / 4],
            [(3 * dw) / 4, (3 * dh) / 4],
          ] as const) {
            const got = rgbaAt(back, dw, x, y);
            const want = rgbaAt(q, dw, x, y);
            for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c]! - want[c]!) <= 6, `(${x},${y}) got ${got} want ${want}`);
          }
        });
      }
    }
  }

  it('refuses encoded frames and short buffers with typed errors', () => {
    assert.throws(() => fitFrame(new Uint8Array(10), frameLayout('MJPEG', 8, 8), new Uint8Array(256), frameLayout('RGBA', 8, 8)), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => fitFrame(new Uint8Array(10), frameLayout('RGBA', 8, 8), new Uint8Array(256), frameLayout('RGBA', 8, 8)), { code: 'ERR_FRAME_SIZE' });
  });

  it('draws a placeholder whose dot moves', () => {
    const a = new Uint8Array(64 * 48 * 4);
    const b = new Uint8Array(64 * 48 * 4);
    drawPlaceholder(a, 64, 48, 0);
    drawPlaceholder(b, 64, 48, 5);
    assert.deepEqual([...a.subarray(0, 3)], [...PLACEHOLDER_BACKGROUND]);
    assert.notDeepEqual(a, b);
  });
});
