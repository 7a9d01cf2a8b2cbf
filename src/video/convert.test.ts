import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canConvert, convertFrame, rgbToYuv, yuvToRgb } from './convert.js';
import { frameLayout, type PixelFormat } from './formats.js';

function solid(format: PixelFormat, w: number, h: number, [r, g, b]: number[], strideAlign = 1) {
  const layout = frameLayout(format, w, h, { strideAlign });
  const data = new Uint8Array(layout.frameBytes);
  const bpp = format === 'RGBA' || format === 'BGRA' ? 4 : 3;
  const bgr = format.startsWith('BGR');
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * layout.planes[0]!.stride + x * bpp;
      data.set(bgr ? [b!, g!, r!] : [r!, g!, b!], o);
      if (bpp === 4) data[o + 3] = 255;
    }
  }
  return { layout, data };
}

describe('convertFrame', () => {
  it('uses BT.601 limited range', () => {
    assert.deepEqual(rgbToYuv(255, 255, 255), [235, 128, 128]);
    assert.deepEqual(rgbToYuv(0, 0, 0), [16, 128, 128]);
    assert.deepEqual(rgbToYuv(255, 0, 0), [82, 90, 240]);
  });

  for (const source of ['RGBA', 'BGRA', 'RGB24', 'BGR24'] as const) {
    for (const target of ['YUYV', 'UYVY', 'I420', 'NV12'] as const) {
      it(`${source} -> ${target} gives the expected solid colour, honouring strides`, () => {
        const colour = [200, 60, 40];
        const [y, u, v] = rgbToYuv(200, 60, 40);
        const { layout, data } = solid(source, 6, 4, colour, 32);
        const to = frameLayout(target, 6, 4, { strideAlign: 16 });
        const out = new Uint8Array(to.frameBytes);
        convertFrame(data, layout, out, to);
        const p = to.planes;
        if (target === 'YUYV' || target === 'UYVY') {
          const [iy, iu, iv] = target === 'YUYV' ? [0, 1, 3] : [1, 0, 2];
          for (let row = 0; row < 4; row++) {
            const o = row * p[0]!.stride;
            assert.deepEqual([out[o + iy], out[o + iu], out[o + iv]], [y, u, v]);
          }
        } else {
          assert.equal(out[p[0]!.offset + 3 * p[0]!.stride + 5], y);
          if (target === 'NV12') assert.deepEqual([out[p[1]!.offset + p[1]!.stride + 4], out[p[1]!.offset + p[1]!.stride + 5]], [u, v]);
          else assert.deepEqual([out[p[1]!.offset + p[1]!.stride + 2], out[p[2]!.offset + p[2]!.stride + 2]], [u, v]);
        }
      });
    }
  }

  it('averages chroma over the pixels it covers', () => {
    const layout = frameLayout('RGB24', 2, 2);
    const src = new Uint8Array([255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0]);
    const to = frameLayout('I420', 2, 2);
    const out = new Uint8Array(to.frameBytes);
    convertFrame(src, layout, out, to);
    assert.deepEqual([...out.subarray(0, 4)], [235, 16, 235, 16]);
    assert.deepEqual([out[4], out[5]], rgbToYuv(128, 128, 128).slice(1));
  });

  it('copies same-format frames row by row across different strides', () => {
    const from = frameLayout('YUYV', 4, 2, { strides: [8] });
    const to = frameLayout('YUYV', 4, 2, { strides: [16] });
    const src = Uint8Array.from({ length: 16 }, (_, i) => i);
    const out = new Uint8Array(32);
    convertFrame(src, from, out, to);
    assert.deepEqual([...out.subarray(16, 24)], [8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('matches the TypeScript colour maths exactly for every packed RGB order', () => {
    for (const colour of [[0, 0, 0], [255, 255, 255], [200, 60, 40], [13, 250, 128]]) {
      for (const source of ['RGBA', 'BGRA', 'RGB24', 'BGR24'] as const) {
        const { layout, data } = solid(source, 8, 2, colour);
        const to = frameLayout('YUYV', 8, 2);
        const out = new Uint8Array(to.frameBytes);
        convertFrame(data, layout, out, to);
        const [y, u, v] = rgbToYuv(colour[0]!, colour[1]!, colour[2]!);
        assert.deepEqual([...out.subarray(0, 4)], [y, u, y, v], `${source} ${colour}`);
      }
    }
  });

  it('converts between packed RGB orders without loss', () => {
    const from = frameLayout('RGBA', 3, 1);
    const src = Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255]);
    const to = frameLayout('BGR24', 3, 1);
    const out = new Uint8Array(to.frameBytes);
    convertFrame(src, from, out, to);
    assert.deepEqual([...out], [3, 2, 1, 6, 5, 4, 9, 8, 7]);
  });

  it('never reads or writes outside the buffers, even when the layout lies', () => {
    const native = frameLayout('RGBA', 64, 64);
    const lying = { ...native, planes: [{ ...native.planes[0]!, stride: 1 << 20 }] };
    assert.throws(() => convertFrame(new Uint8Array(native.frameBytes), lying, new Uint8Array(64 * 64 * 2), frameLayout('YUYV', 64, 64)), { code: 'ERR_NATIVE_ARGUMENT' });
  });

  it('turns YUV into RGB exactly as yuvToRgb says, for every YUV layout', () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
    for (const format of ['NV12', 'I420', 'YUYV', 'UYVY'] as const) {
      const from = frameLayout(format, 8, 4, { strideAlign: 16 });
      const src = Uint8Array.from({ length: from.frameBytes }, rand);
      const out = new Uint8Array(8 * 4 * 4);
      convertFrame(src, from, out, frameLayout('RGBA', 8, 4));
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 8; x++) {
          const p = from.planes;
          let yv: number, u: number, v: number;
          if (format === 'NV12') [yv, u, v] = [src[p[0]!.offset + y * p[0]!.stride + x]!, src[p[1]!.offset + (y >> 1) * p[1]!.stride + (x & ~1)]!, src[p[1]!.offset + (y >> 1) * p[1]!.stride + (x & ~1) + 1]!];
          else if (format === 'I420') [yv, u, v] = [src[p[0]!.offset + y * p[0]!.stride + x]!, src[p[1]!.offset + (y >> 1) * p[1]!.stride + (x >> 1)]!, src[p[2]!.offset + (y >> 1) * p[2]!.stride + (x >> 1)]!];
          else {
            const o = y * p[0]!.stride + (x >> 1) * 4;
            const [yo, uo, vo] = format === 'YUYV' ? [0, 1, 3] : [1, 0, 2];
            [yv, u, v] = [src[o + yo + (x & 1) * 2]!, src[o + uo]!, src[o + vo]!];
          }
          assert.deepEqual([...out.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)], [...yuvToRgb(yv, u, v), 255], `${format} (${x},${y})`);
        }
      }
    }
  });

  it('refuses what it cannot do', () => {
    assert.equal(canConvert('NV12', 'RGBA'), true);
    assert.equal(canConvert('MJPEG', 'RGBA'), false);
    assert.throws(() => convertFrame(new Uint8Array(24), frameLayout('MJPEG', 4, 4), new Uint8Array(64), frameLayout('RGBA', 4, 4)), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => convertFrame(new Uint8Array(4), frameLayout('RGBA', 2, 2), new Uint8Array(8), frameLayout('YUYV', 2, 2)), { code: 'ERR_FRAME_SIZE' });
    assert.throws(() => convertFrame(new Uint8Array(16), frameLayout('RGBA', 2, 2), new Uint8Array(8), frameLayout('YUYV', 4, 2)), { code: 'ERR_INVALID_OPTION' });
  });
});
