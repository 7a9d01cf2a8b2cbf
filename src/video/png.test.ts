import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import { decodePng } from './png.js';

/**
 * A small PNG writer for the tests: every colour type and depth, any row
 * filter, Adam7 interlacing. Pixels come from `value(x, y, channel)` in
 * the file's own sample range; the decoder must give them back as RGBA.
 */
interface Spec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlaced: boolean;
  value: (x: number, y: number, c: number) => number;
  palette?: number[][];
  alpha?: number[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

function encode(spec: Spec): Buffer {
  const ch = CHANNELS[spec.colorType];
  const bits = ch * spec.depth;
  const bpp = Math.max(1, bits >> 3);
  const passes = spec.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const out: number[] = [];
  let filterType = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.max(0, Math.ceil((spec.width - x0!) / dx!));
    const h = Math.max(0, Math.ceil((spec.height - y0!) / dy!));
    if (w === 0 || h === 0) continue;
    const rowBytes = Math.ceil((w * bits) / 8);
    let prev = new Uint8Array(rowBytes);
    for (let y = 0; y < h; y++) {
      const raw = new Uint8Array(rowBytes);
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < ch; c++) {
          const v = spec.value(x0! + x * dx!, y0! + y * dy!, c);
          const i = x * ch + c;
          if (spec.depth === 16) {
            raw[2 * i] = v >> 8;
            raw[2 * i + 1] = v & 0xff;
          } else if (spec.depth === 8) raw[i] = v;
          else {
            const perByte = 8 / spec.depth;
            raw[Math.floor(i / perByte)]! |= v << (8 - spec.depth * ((i % perByte) + 1));
          }
        }
      }
      const type = filterType++ % 5; // every filter, row after row
      out.push(type);
      for (let i = 0; i < rowBytes; i++) {
        const a = i >= bpp ? raw[i - bpp]! : 0;
        const b = y > 0 ? prev[i]! : 0;
        const c = i >= bpp && y > 0 ? prev[i - bpp]! : 0;
        const p = a + b - c;
        const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const predictor = [0, a, b, (a + b) >> 1, paeth][type]!;
        out.push((raw[i]! - predictor) & 0xff);
      }
      prev = raw;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr.set([spec.depth, spec.colorType, 0, 0, spec.interlaced ? 1 : 0], 8);
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (spec.palette) parts.push(chunk('PLTE', Uint8Array.from(spec.palette.flat())));
  if (spec.alpha) parts.push(chunk('tRNS', Uint8Array.from(spec.alpha)));
  parts.push(chunk('tEXt', Buffer.from('Comment\0ancillary chunks are skipped')));
  const data = deflateSync(Uint8Array.from(out));
  parts.push(chunk('IDAT', data.subarray(0, 10)), chunk('IDAT', data.subarray(10)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** What the decoder must give for pixel (x, y). */
function expected(spec: Spec, x: number, y: number): number[] {
  const max = 2 ** spec.depth - 1;
  const s = (c: number) => {
    const v = spec.value(x, y, c);
    return spec.depth === 16 ? v >> 8 : Math.round((v * 255) / max);
  };
  switch (spec.colorType) {
    case 0:
      return [s(0), s(0), s(0), 255];
    case 2:
      return [s(0), s(1), s(2), 255];
    case 3: {
      const i = spec.value(x, y, 0);
      return [...spec.palette![i]!, spec.alpha?.[i] ?? 255];
    }
    case 4:
      return [s(0), s(0), s(0), s(1)];
    default:
      return [s(0), s(1), s(2), s(3)];
  }
}

describe('decodePng', () => {
  const combos: [Spec['colorType'], Spec['depth']][] = [
    [0, 1], [0, 2], [0, 4], [0, 8], [0, 16], [2, 8], [2, 16], [3, 1], [3, 2], [3, 4], [3, 8], [4, 8], [4, 16], [6, 8], [6, 16],
  ];
  for (const [colorType, depth] of combos) {
    for (const interlaced of [false, true]) {
      it(`colour type ${colorType}, ${depth}-bit${interlaced ? ', Adam7' : ''}, every row filter`, () => {
        const max = 2 ** depth - 1;
        const palette = Array.from({ length: Math.min(256, max + 1) }, (_, i) => [i, (i * 7) & 255, 255 - i]);
        const spec: Spec = {
          width: 13, // odd sizes leave partial bytes and empty Adam7 passes
          height: 11,
          colorType,
          depth,
          interlaced,
          value: (x, y, c) => (x * 31 + y * 17 + c * 101 + ((x * y) % 7)) % (max + 1),
          ...(colorType === 3 ? { palette, alpha: palette.slice(0, 3).map((_, i) => 40 * i) } : {}),
        };
        const img = decodePng(encode(spec));
        assert.equal(img.width, 13);
        assert.equal(img.height, 11);
        for (let y = 0; y < 11; y++) {
          for (let x = 0; x < 13; x++) {
            assert.deepEqual([...img.data.subarray((y * 13 + x) * 4, (y * 13 + x) * 4 + 4)], expected(spec, x, y), `(${x},${y})`);
          }
        }
      });
    }
  }

  it('refuses oversized pictures before allocating, and bad headers, with ERR_BAD_IMAGE', () => {
    const base: Spec = { width: 4, height: 4, colorType: 2, depth: 8, interlaced: false, value: () => 0 };
    const huge = encode(base);
    huge.writeUInt32BE(100000, 16); // width in IHDR
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)) >>> 0, 29);
    assert.throws(() => decodePng(huge), { code: 'ERR_BAD_IMAGE', message: /up to 8192/ });
    const badDepth = encode(base);
    badDepth[24] = 3;
    badDepth.writeUInt32BE(crc32(badDepth.subarray(12, 29)) >>> 0, 29);
    assert.throws(() => decodePng(badDepth), { code: 'ERR_BAD_IMAGE', message: /bit depth 3/ });
    const noPalette = encode({ ...base, colorType: 3 });
    assert.throws(() => decodePng(noPalette), { code: 'ERR_BAD_IMAGE', message: /PLTE/ });
  });

  it('never throws anything but ERR_BAD_IMAGE on random damage', () => {
    const good = encode({ width: 9, height: 7, colorType: 6, depth: 8, interlaced: true, value: (x, y, c) => (x + y + c) & 255 });
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let i = 0; i < 2000; i++) {
      const c = Buffer.from(good);
      const cut = rand() < 0.3 ? Math.floor(rand() * c.length) : c.length;
      for (let k = 0; k < 3; k++) c[Math.floor(rand() * c.length)] = Math.floor(rand() * 256);
      try {
        decodePng(c.subarray(0, cut));
      } catch (e) {
        assert.equal((e as { code?: string }).code, 'ERR_BAD_IMAGE', (e as Error).message);
      }
    }
  });
});
