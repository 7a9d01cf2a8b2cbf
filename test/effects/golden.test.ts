/**
 * Golden-picture tests of the effects on a real photograph of a person
 * (Eileen Collins, NASA, public domain; scripts/setup.sh takes it from
 * Debian's python3-skimage): the real model in its worker, the native
 * kernels, region averages with tolerances.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Segmenter } from '../../src/effects/segmenter.js';
import { Compositor } from '../../src/effects/compositor.js';
import { loadImage, type RgbaImage } from '../../src/video/image-file.js';
import { frameLayout } from '../../src/video/formats.js';

const PERSON = fileURLToPath(new URL('../../../test/fixtures/downloaded/astronaut.png', import.meta.url));
const skip = existsSync(PERSON) ? false : 'the person photo is missing (scripts/setup.sh fetches it from python3-skimage)';

type Box = { x0: number; y0: number; x1: number; y1: number };
// In the 512x512 photo: her face, her suit, and the grey studio wall on either side of her head.
const FACE: Box = { x0: 200, y0: 90, x1: 250, y1: 150 };
const SUIT: Box = { x0: 180, y0: 300, x1: 260, y1: 360 };
const WALL_RIGHT: Box = { x0: 320, y0: 20, x1: 350, y1: 80 };
const WALL_LEFT: Box = { x0: 110, y0: 10, x1: 140, y1: 40 };

function mean(img: Uint8Array, width: number, b: Box): number[] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = b.y0; y < b.y1; y++) {
    for (let x = b.x0; x < b.x1; x++) {
      for (let c = 0; c < 3; c++) sum[c] = sum[c]! + img[(y * width + x) * 4 + c]!;
      n++;
    }
  }
  return sum.map((s) => s / n);
}

/** Mean absolute difference between neighbouring pixels: high-frequency energy. */
function detail(img: Uint8Array, width: number, b: Box): number {
  let sum = 0;
  let n = 0;
  for (let y = b.y0; y < b.y1; y++) {
    for (let x = b.x0; x < b.x1 - 1; x++) {
      for (let c = 0; c < 3; c++) sum += Math.abs(img[(y * width + x) * 4 + c]! - img[(y * width + x + 1) * 4 + c]!);
      n += 3;
    }
  }
  return sum / n;
}

const meanDiff = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

describe('effects on a photograph of a person', { skip }, () => {
  let photo: RgbaImage;
  let segmenter: Segmenter;
  let mask: Float32Array;

  before(async () => {
    photo = loadImage(PERSON);
    segmenter = await Segmenter.create();
    mask = await segmenter.segment(photo.data, frameLayout('RGBA', photo.width, photo.height));
  });
  after(() => segmenter?.close());

  it('finds the person: the mask is high on her face and suit, low on the wall', () => {
    const c = new Compositor(photo.width, photo.height, { kind: 'color', rgb: [0, 255, 0] }, { responsiveness: 1 });
    c.apply(photo.data, mask, segmenter.inputWidth, segmenter.inputHeight, new Uint8Array(photo.data.length));
    const alphaAt = (b: Box) => {
      let s = 0;
      for (let y = b.y0; y < b.y1; y++) for (let x = b.x0; x < b.x1; x++) s += c.lastAlpha[y * photo.width + x]!;
      return s / ((b.x1 - b.x0) * (b.y1 - b.y0));
    };
    assert.ok(alphaAt(FACE) > 240 && alphaAt(SUIT) > 240, `person alpha ${alphaAt(FACE)}, ${alphaAt(SUIT)}`);
    assert.ok(alphaAt(WALL_RIGHT) < 15 && alphaAt(WALL_LEFT) < 15, `wall alpha ${alphaAt(WALL_RIGHT)}, ${alphaAt(WALL_LEFT)}`);
  });

  it('replaces the background with a colour and keeps the person', () => {
    const out = new Uint8Array(photo.data.length);
    new Compositor(photo.width, photo.height, { kind: 'color', rgb: [0, 255, 0] }, { responsiveness: 1 }).apply(photo.data, mask, segmenter.inputWidth, segmenter.inputHeight, out);
    for (const wall of [WALL_RIGHT, WALL_LEFT]) assert.ok(meanDiff(mean(out, photo.width, wall), [0, 255, 0]) < 20, `wall became ${mean(out, photo.width, wall).map(Math.round)}`);
    for (const part of [FACE, SUIT]) assert.ok(meanDiff(mean(out, photo.width, part), mean(photo.data, photo.width, part)) < 6, 'the person keeps her pixels');
  });

  it('replaces the background with a picture scaled to cover the frame', () => {
    const bg = { width: 64, height: 32, data: new Uint8Array(64 * 32 * 4) };
    for (let i = 0; i < bg.data.length; i += 4) bg.data.set([30, 60, 200, 255], i);
    const out = new Uint8Array(photo.data.length);
    new Compositor(photo.width, photo.height, { kind: 'image', image: bg }, { responsiveness: 1 }).apply(photo.data, mask, segmenter.inputWidth, segmenter.inputHeight, out);
    assert.ok(meanDiff(mean(out, photo.width, WALL_RIGHT), [30, 60, 200]) < 20);
    assert.ok(meanDiff(mean(out, photo.width, FACE), mean(photo.data, photo.width, FACE)) < 6);
  });

  it('blurs only the background: detail drops on the wall and the flag, not on her face', () => {
    const out = new Uint8Array(photo.data.length);
    new Compositor(photo.width, photo.height, { kind: 'blur', radius: 12 }, { responsiveness: 1 }).apply(photo.data, mask, segmenter.inputWidth, segmenter.inputHeight, out);
    const FLAG: Box = { x0: 5, y0: 60, x1: 60, y1: 200 };
    const SHUTTLE: Box = { x0: 380, y0: 60, x1: 450, y1: 240 };
    for (const [name, b] of [['flag', FLAG], ['shuttle', SHUTTLE]] as const) {
      const before = detail(photo.data, photo.width, b);
      const afterBlur = detail(out, photo.width, b);
      assert.ok(afterBlur < 0.6 * before, `${name} detail ${afterBlur.toFixed(2)} vs ${before.toFixed(2)}`);
    }
    assert.ok(Math.abs(detail(out, photo.width, FACE) - detail(photo.data, photo.width, FACE)) < 0.1 * detail(photo.data, photo.width, FACE), 'her face keeps its detail');
  });

  it('the landscape model (144x256) finds her too', async () => {
    const landscape = await Segmenter.create({ model: 'landscape' });
    try {
      assert.deepEqual([landscape.inputWidth, landscape.inputHeight], [256, 144]);
      const m = await landscape.segment(photo.data, frameLayout('RGBA', photo.width, photo.height));
      const at = (x: number, y: number) => m[Math.floor((y / photo.height) * 144) * 256 + Math.floor((x / photo.width) * 256)]!;
      assert.ok(at(225, 120) > 0.9 && at(335, 50) < 0.1, `face ${at(225, 120)}, wall ${at(335, 50)}`);
    } finally {
      await landscape.close();
    }
  });

  it('smooths masks over time: a one-frame glitch moves the edge only part of the way', () => {
    const c = new Compositor(photo.width, photo.height, { kind: 'color', rgb: [0, 0, 0] }, { responsiveness: 0.5 });
    const out = new Uint8Array(photo.data.length);
    c.apply(photo.data, mask, segmenter.inputWidth, segmenter.inputHeight, out);
    const glitch = new Float32Array(mask.length); // the model misses the person for one frame
    c.apply(photo.data, glitch, segmenter.inputWidth, segmenter.inputHeight, out);
    const face = c.lastAlpha[120 * photo.width + 225]!;
    assert.ok(face > 100 && face < 255, `after one empty mask the face is still partly kept (alpha ${face})`);
  });
});
