import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Compositor } from './compositor.js';

/** A 512x256 picture: warm "person" on the left, dark "wall" on the right, the edge at x = 256. */
function scene(): Uint8Array {
  const img = new Uint8Array(512 * 256 * 4);
  for (let y = 0; y < 256; y++) for (let x = 0; x < 512; x++) img.set(x < 256 ? [200, 80, 60, 255] : [40, 40, 40, 255], (y * 512 + x) * 4);
  return img;
}

/** A coarse 64x32 mask whose soft edge spans x = 224..288 (cells 28..36), as a model's would. */
function coarseMask(): Float32Array {
  const m = new Float32Array(64 * 32);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) m[y * 64 + x] = Math.min(1, Math.max(0, (36 - x) / 8));
  return m;
}

describe('Compositor', () => {
  it('makes the mask edge follow the picture edge (guided), where bilinear leaves a wide ramp', () => {
    const img = scene();
    const out = new Uint8Array(img.length);
    const opts = { responsiveness: 1 };
    const guided = new Compositor(512, 256, { kind: 'color', rgb: [0, 255, 0] }, opts);
    guided.apply(img, coarseMask(), 64, 32, out);
    const bilinear = new Compositor(512, 256, { kind: 'color', rgb: [0, 255, 0] }, { ...opts, edges: 'bilinear' });
    bilinear.apply(img, coarseMask(), 64, 32, out);
    const at = (c: Compositor, x: number) => c.lastAlpha[128 * 512 + x]!;
    // Guided: a step exactly at the picture's edge. Bilinear: the model's ramp, tens of pixels wide.
    assert.ok(at(guided, 252) > 245 && at(guided, 259) < 15, `guided: ${at(guided, 252)} at x=252, ${at(guided, 259)} at x=259`);
    assert.ok(at(bilinear, 256) > 60 && at(bilinear, 256) < 220 && at(bilinear, 264) > 40, `bilinear: ${at(bilinear, 256)} at x=256, ${at(bilinear, 264)} at x=264`);
  });

  it('touches up the person only: brightness and contrast leave the new background alone', () => {
    const img = scene();
    const out = new Uint8Array(img.length);
    new Compositor(512, 256, { kind: 'color', rgb: [0, 255, 0] }, { responsiveness: 1, brightness: 20, contrast: 1.2 }).apply(img, coarseMask(), 64, 32, out);
    const px = (x: number) => [...out.subarray((128 * 512 + x) * 4, (128 * 512 + x) * 4 + 3)];
    const curve = (v: number) => Math.min(255, Math.max(0, Math.round((v - 128) * 1.2 + 128 + 25.6)));
    assert.deepEqual(px(100), [curve(200), curve(80), curve(60)]);
    assert.deepEqual(px(400), [0, 255, 0]);
    assert.deepEqual([...img.subarray((128 * 512 + 100) * 4, (128 * 512 + 100) * 4 + 3)], [200, 80, 60], "the caller's frame is untouched");
  });

  it('refuses bad options', () => {
    assert.throws(() => new Compositor(64, 64, { kind: 'blur', radius: 0 }), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => new Compositor(64, 64, { kind: 'color', rgb: [0, 0, 0] }, { low: 0.8, high: 0.2 }), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => new Compositor(64, 64, { kind: 'color', rgb: [0, 0, 0] }, { edges: 'sharp' as 'guided' }), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => new Compositor(64, 64, { kind: 'color', rgb: [0, 0, 0] }, { contrast: 3 }), { code: 'ERR_INVALID_OPTION' });
  });
});
