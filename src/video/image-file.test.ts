import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage, flattenAlpha, loadImage } from './image-file.js';
import { JpegDecoder, JpegEncoder } from '../native/jpeg.js';
import { frameLayout } from './formats.js';

// dist/src/video -> the repository's test/fixtures/images (made by its make.sh)
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/images/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

const QUADRANTS = { topLeft: [255, 0, 0], topRight: [0, 255, 0], bottomLeft: [0, 0, 255], bottomRight: [255, 255, 255] };
const at = (img: { width: number; data: Uint8Array }, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4)];

function assertQuadrants(img: { width: number; height: number; data: Uint8Array }, tolerance: number, gray = false) {
  assert.equal(img.width, 64);
  assert.equal(img.height, 48);
  const points: [number, number, number[]][] = [
    [24, 12, QUADRANTS.topLeft],
    [48, 12, QUADRANTS.topRight],
    [24, 36, QUADRANTS.bottomLeft],
    [48, 36, QUADRANTS.bottomRight],
  ];
  for (const [x, y, rgb] of points) {
    const want = gray ? Array(3).fill(Math.round(0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!)) : rgb;
    const got = at(img, x, y);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c]! - want[c]!) <= tolerance, `(${x},${y}) got ${got} want ${want}`);
  }
}

describe('loadImage', () => {
  for (const name of ['quadrants.png', 'quadrants-rgb48.png', 'quadrants-alpha.png']) {
    it(`decodes ${name} exactly`, () => assertQuadrants(loadImage(fixture(name)), 0));
  }
  it('decodes a palette PNG (ffmpeg quantises the palette slightly)', () => assertQuadrants(loadImage(fixture('quadrants-palette.png')), 4));
  it('decodes 16-bit gray PNG', () => assertQuadrants(loadImage(fixture('quadrants-gray16.png')), 3, true));
  for (const name of ['quadrants-420.jpg', 'quadrants-422.jpg', 'quadrants-444.jpg']) {
    it(`decodes ${name} (JPEG, libjpeg-turbo)`, () => assertQuadrants(loadImage(fixture(name)), 12));
  }

  it('keeps alpha and flattens it over a background on request', () => {
    const img = loadImage(fixture('quadrants-alpha.png'));
    assert.equal(at(img, 2, 2)[3], 0);
    flattenAlpha(img, [10, 20, 30]);
    assert.deepEqual(at(img, 2, 2), [10, 20, 30, 255]);
    assert.deepEqual(at(img, 24, 12), [255, 0, 0, 255]);
  });

  it('gives ERR_BAD_IMAGE for damaged, truncated or unknown files, and a clear error for a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-img-'));
    try {
      const png = readFileSync(fixture('quadrants.png'));
      const jpg = readFileSync(fixture('quadrants-420.jpg'));
      const flip = (b: Buffer, at: number) => {
        const c = Buffer.from(b);
        c[at]! ^= 0xff;
        return c;
      };
      const cases: [string, Uint8Array][] = [
        ['png-truncated', png.subarray(0, png.length - 20)],
        ['png-bad-crc', flip(png, 20)],
        ['png-only-signature', png.subarray(0, 8)],
        ['jpg-truncated', jpg.subarray(0, 120)],
        ['jpg-header-only', jpg.subarray(0, 4)],
        ['text', Buffer.from('hello, not a picture')],
        ['empty', Buffer.alloc(0)],
      ];
      for (const [name, bytes] of cases) {
        const path = join(dir, name);
        writeFileSync(path, bytes);
        assert.throws(() => loadImage(path), (e: Error & { code?: string }) => e.code === 'ERR_BAD_IMAGE' && e.message.includes(path), name);
      }
      assert.throws(() => loadImage(join(dir, 'missing.png')), { code: 'ERR_INVALID_OPTION', message: /does not exist/ });
      assert.throws(() => loadImage(dir), { code: 'ERR_INVALID_OPTION', message: /is a folder/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives random corruption of a JPEG without crashing', () => {
    const jpg = readFileSync(fixture('quadrants-422.jpg'));
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let i = 0; i < 300; i++) {
      const c = Buffer.from(jpg);
      for (let k = 0; k < 4; k++) c[Math.floor(rand() * c.length)] = Math.floor(rand() * 256);
      try {
        decodeImage(c);
      } catch (e) {
        assert.equal((e as { code?: string }).code, 'ERR_BAD_IMAGE', (e as Error).message);
      }
    }
  });
});

describe('JpegDecoder', () => {
  it('decodes into a strided RGB layout and refuses a JPEG of another size', () => {
    const jpg = readFileSync(fixture('quadrants-444.jpg'));
    using decoder = new JpegDecoder();
    assert.deepEqual(decoder.info(jpg), { width: 64, height: 48 });
    const layout = frameLayout('BGR24', 64, 48, { strideAlign: 256 });
    const out = new Uint8Array(layout.frameBytes);
    decoder.decode(jpg, out, layout);
    const o = 12 * layout.planes[0]!.stride + 48 * 3; // top right: green
    assert.ok(out[o + 1]! > 240 && out[o]! < 15 && out[o + 2]! < 15, `${[...out.subarray(o, o + 3)]}`);
    const small = frameLayout('RGBA', 32, 24);
    assert.throws(() => decoder.decode(jpg, new Uint8Array(small.frameBytes), small), { code: 'ERR_BAD_IMAGE' });
    assert.throws(() => decoder.decode(jpg, new Uint8Array(64 * 48 * 2), frameLayout('YUYV', 64, 48)), { code: 'ERR_INVALID_OPTION' });
    decoder.close();
    decoder.close();
    assert.throws(() => decoder.info(jpg), { code: 'ERR_CLOSED' });
  });
});

describe('JpegEncoder', () => {
  it('encodes a picture that decodes back to the same colours', () => {
    const original = loadImage(fixture('quadrants.png'));
    using encoder = new JpegEncoder();
    const jpeg = encoder.encode(original.data, frameLayout('RGBA', 64, 48), 90);
    assert.deepEqual([jpeg[0], jpeg[1]], [0xff, 0xd8]);
    assertQuadrants(decodeImage(jpeg), 12);
    assert.throws(() => encoder.encode(original.data, frameLayout('RGBA', 64, 48), 0), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => encoder.encode(original.data.subarray(0, 100), frameLayout('RGBA', 64, 48)), { code: 'ERR_NATIVE_ARGUMENT' });
    encoder.close();
    assert.throws(() => encoder.encode(original.data, frameLayout('RGBA', 64, 48)), { code: 'ERR_CLOSED' });
  });
});
