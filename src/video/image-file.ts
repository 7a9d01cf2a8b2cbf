/**
 * Loads a still picture (PNG or JPEG, told apart by their first bytes) as
 * RGBA: the virtual camera's placeholder, effects' backgrounds.
 */
import { readFileSync } from 'node:fs';
import { VidbusError, fsError } from '../errors.js';
import { JpegDecoder } from '../native/jpeg.js';
import { frameLayout } from './formats.js';
import { decodePng, isPng, MAX_IMAGE_SIDE, type RgbaImage } from './png.js';

export type { RgbaImage } from './png.js';

const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes an in-memory PNG or JPEG to RGBA. */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  try {
    if (isPng(bytes)) return decodePng(bytes);
    if (isJpeg(bytes)) {
      using decoder = new JpegDecoder();
      const { width, height } = decoder.info(bytes);
      if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
        throw new VidbusError('ERR_BAD_IMAGE', `JPEG is ${width}x${height}; pictures up to ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE} are supported`);
      }
      const layout = frameLayout('RGBA', width, height);
      const data = new Uint8Array(layout.frameBytes);
      const warning = decoder.decode(bytes, data, layout);
      // A still picture that decodes only with a warning is damaged: say so rather than show half of it.
      if (warning) throw new VidbusError('ERR_BAD_IMAGE', `Not a valid JPEG: ${warning}`);
      return { width, height, data };
    }
  } catch (e) {
    if (e instanceof VidbusError && e.code === 'ERR_BAD_IMAGE') {
      throw new VidbusError('ERR_BAD_IMAGE', `${name}: ${e.message}. Use an undamaged PNG or JPEG file.`, { cause: e });
    }
    throw e;
  }
  throw new VidbusError('ERR_BAD_IMAGE', `${name}: not a PNG or JPEG file (unrecognised first bytes). Convert it, e.g. \`ffmpeg -i ${name} picture.png\`.`);
}

/** Reads and decodes a PNG or JPEG file. */
export function loadImage(path: string): RgbaImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VidbusError('ERR_INVALID_OPTION', `Picture ${path} does not exist; give the path of a PNG or JPEG file.`, { cause: e });
    if (code === 'EISDIR') throw new VidbusError('ERR_INVALID_OPTION', `Picture ${path} is a folder; give the path of a PNG or JPEG file.`, { cause: e });
    throw fsError(e, `Cannot read picture ${path}`);
  }
  return decodeImage(bytes, path);
}

/** Blends transparent pixels over a background colour, in place; alpha becomes 255. */
export function flattenAlpha(image: RgbaImage, [br, bg, bb]: readonly [number, number, number]): void {
  const d = image.data;
  for (let i = 0; i < d.length; i += 4) {
    const a = d[i + 3]!;
    if (a === 255) continue;
    d[i] = (d[i]! * a + br * (255 - a) + 127) / 255;
    d[i + 1] = (d[i + 1]! * a + bg * (255 - a) + 127) / 255;
    d[i + 2] = (d[i + 2]! * a + bb * (255 - a) + 127) / 255;
    d[i + 3] = 255;
  }
}
