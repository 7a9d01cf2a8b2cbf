import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { drawPlaceholder, fitBox, fitToRgba, PLACEHOLDER_BACKGROUND } from './resample.js';
import { convertFrame } from './convert.js';
import { frameLayout, type PixelFormat } from './formats.js';

function solidRgba(w: number, h: number, rgb: number[]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let i = 0; i < out.length; i += 4) out.set([rgb[0]!, rgb[1]!, rgb[2]!, 255], i);
  return out;
}

describe('fitToRgba', () => {
  it('letterboxes a different aspect ratio', () => {
    assert.deepEqual(fitBox(640, 360, 320, 240), { x: 0, y: 30, w: 320, h: 180 });
    assert.deepEqual(fitBox(100, 100, 320, 240), { x: 40, y: 0, w: 240, h: 240 });
  });

  for (const format of ['RGBA', 'BGRA', 'RGB24', 'BGR24', 'YUYV', 'UYVY', 'NV12', 'I420'] as PixelFormat[]) {
    it(`reads ${format} and scales it, keeping the colour`, () => {
      const colour = [200, 60, 40];
      const src = frameLayout(format, 64, 36);
      let data: Uint8Array;
      if (format === 'RGBA') data = solidRgba(64, 36, colour);
      else {
        data = new Uint8Array(src.frameBytes);
        if (format === 'BGRA' || format === 'RGB24' || format === 'BGR24') {
          const bpp = format === 'BGRA' ? 4 : 3;
          const px = format.startsWith('BGR') ? [colour[2]!, colour[1]!, colour[0]!] : colour;
          for (let i = 0; i < 64 * 36; i++) data.set(px, i * bpp);
        } else convertFrame(solidRgba(64, 36, colour), frameLayout('RGBA', 64, 36), data, src);
      }
      const out = new Uint8Array(32 * 24 * 4);
      fitToRgba(data, src, out, 32, 24);
      const centre = (12 * 32 + 16) * 4;
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(out[centre + c]! - colour[c]!) <= 4, `${format} channel ${c}: ${out[centre + c]}`);
      assert.deepEqual([...out.subarray(0, 4)], [0, 0, 0, 255], 'bars are black');
    });
  }

  it('refuses encoded frames', () => {
    assert.throws(() => fitToRgba(new Uint8Array(10), frameLayout('MJPEG', 8, 8), new Uint8Array(256), 8, 8), { code: 'ERR_INVALID_OPTION' });
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
