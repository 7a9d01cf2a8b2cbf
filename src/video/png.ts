/**
 * A PNG decoder for still pictures (placeholders, backgrounds): every
 * colour type and bit depth of the PNG specification, palettes with
 * transparency, and Adam7 interlacing, to 8-bit RGBA. Decoding happens once
 * per picture, so plain TypeScript is fast enough; zlib does the inflating.
 * Every length, CRC and size is checked: a corrupt file gives
 * ERR_BAD_IMAGE, never an exception from deep inside.
 */
import { inflateSync } from 'node:zlib';
import { VidbusError } from '../errors.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** tight RGBA rows */
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Pictures larger than this per side are refused before anything is allocated. */
export const MAX_IMAGE_SIDE = 8192;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function bad(message: string): VidbusError {
  return new VidbusError('ERR_BAD_IMAGE', `Not a valid PNG: ${message}`);
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Samples per pixel for each colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Adam7: start x, start y, step x, step y of the seven passes. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/** Undoes the per-row filters of one pass, in place; returns the raw rows. */
function unfilter(data: Uint8Array, offset: number, rows: number, rowBytes: number, bpp: number): Uint8Array {
  const out = new Uint8Array(rows * rowBytes);
  for (let y = 0; y < rows; y++) {
    const type = data[offset + y * (rowBytes + 1)]!;
    const src = offset + y * (rowBytes + 1) + 1;
    const row = y * rowBytes;
    const prev = row - rowBytes;
    for (let x = 0; x < rowBytes; x++) {
      const raw = data[src + x]!;
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      let v: number;
      switch (type) {
        case 0:
          v = raw;
          break;
        case 1:
          v = raw + a;
          break;
        case 2:
          v = raw + b;
          break;
        case 3:
          v = raw + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = raw + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw bad(`unknown row filter ${type}`);
      }
      out[row + x] = v & 0xff;
    }
  }
  return out;
}

/** Reads sample `i` of a row of `depth`-bit samples, scaled to 8 bits (or the palette index). */
function sample(row: Uint8Array, start: number, i: number, depth: number, scale: boolean): number {
  if (depth === 8) return row[start + i]!;
  if (depth === 16) return row[start + 2 * i]!; // the high byte
  const perByte = 8 / depth;
  const byte = row[start + Math.floor(i / perByte)]!;
  const shift = 8 - depth * ((i % perByte) + 1);
  const v = (byte >> shift) & ((1 << depth) - 1);
  return scale ? Math.round((v * 255) / ((1 << depth) - 1)) : v;
}

export function decodePng(bytes: Uint8Array): RgbaImage {
  if (!isPng(bytes)) throw bad('the file does not start with the PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let paletteAlpha: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let pos = 8;
  let ended = false;
  while (!ended) {
    if (pos + 12 > bytes.length) throw bad('the file ends before its IEND chunk (truncated?)');
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (length > bytes.length - pos - 12) throw bad(`chunk ${JSON.stringify(type)} claims ${length} bytes past the end of the file`);
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== view.getUint32(pos + 8 + length)) throw bad(`chunk ${JSON.stringify(type)} fails its CRC check`);
    pos += 12 + length;
    switch (type) {
      case 'IHDR': {
        if (length !== 13) throw bad('IHDR has the wrong length');
        const h = new DataView(body.buffer, body.byteOffset, 13);
        header = { width: h.getUint32(0), height: h.getUint32(4), depth: body[8]!, colorType: body[9]!, interlaced: body[12] === 1 };
        if (!ALLOWED_DEPTHS[header.colorType]?.includes(header.depth)) throw bad(`colour type ${header.colorType} with bit depth ${header.depth}`);
        if (body[10] !== 0 || body[11] !== 0 || body[12]! > 1) throw bad('unknown compression, filter or interlace method');
        if (header.width < 1 || header.height < 1 || header.width > MAX_IMAGE_SIDE || header.height > MAX_IMAGE_SIDE) {
          throw new VidbusError('ERR_BAD_IMAGE', `PNG is ${header.width}x${header.height}; pictures up to ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE} are supported`);
        }
        break;
      }
      case 'PLTE':
        if (length % 3 !== 0 || length === 0 || length > 768) throw bad('PLTE has a bad length');
        palette = body;
        break;
      case 'tRNS':
        paletteAlpha = body;
        break;
      case 'IDAT':
        idat.push(body);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // Ancillary chunks (lower-case first letter) may be skipped; critical ones may not.
        if ((type.charCodeAt(0) & 0x20) === 0) throw bad(`unknown critical chunk ${JSON.stringify(type)}`);
    }
  }
  if (!header) throw bad('no IHDR chunk');
  if (header.colorType === 3 && !palette) throw bad('a palette image without a PLTE chunk');
  const { width, height, depth, colorType } = header;
  const channels = CHANNELS[colorType]!;
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = header.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let expected = 0;
  const geometry = passes.map(([x0, y0, dx, dy]) => {
    const w = Math.max(0, Math.ceil((width - x0) / dx));
    const h = Math.max(0, Math.ceil((height - y0) / dy));
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    const g = { x0, y0, dx, dy, w, h, rowBytes, offset: expected };
    if (w > 0 && h > 0) expected += h * (rowBytes + 1);
    return g;
  });
  let data: Uint8Array;
  try {
    data = inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1 });
  } catch (e) {
    throw new VidbusError('ERR_BAD_IMAGE', `Not a valid PNG: its compressed pixel data is damaged (${(e as Error).message})`, { cause: e });
  }
  if (data.length < expected) throw bad(`pixel data has ${data.length} of ${expected} bytes (truncated?)`);
  const out = new Uint8Array(width * height * 4);
  for (const g of geometry) {
    if (g.w === 0 || g.h === 0) continue;
    const rows = unfilter(data, g.offset, g.h, g.rowBytes, bpp);
    for (let y = 0; y < g.h; y++) {
      const start = y * g.rowBytes;
      for (let x = 0; x < g.w; x++) {
        const o = ((g.y0 + y * g.dy) * width + g.x0 + x * g.dx) * 4;
        if (colorType === 3) {
          const index = sample(rows, start, x, depth, false);
          if (index * 3 + 2 >= palette!.length) throw bad(`palette index ${index} past the palette's end`);
          out[o] = palette![index * 3]!;
          out[o + 1] = palette![index * 3 + 1]!;
          out[o + 2] = palette![index * 3 + 2]!;
          out[o + 3] = paletteAlpha && index < paletteAlpha.length ? paletteAlpha[index]! : 255;
          continue;
        }
        const s = (c: number) => sample(rows, start, x * channels + c, depth, true);
        if (channels <= 2) {
          out[o] = out[o + 1] = out[o + 2] = s(0);
          out[o + 3] = channels === 2 ? s(1) : 255;
        } else {
          out[o] = s(0);
          out[o + 1] = s(1);
          out[o + 2] = s(2);
          out[o + 3] = channels === 4 ? s(3) : 255;
        }
      }
    }
  }
  return { width, height, data: out };
}
