/**
 * JPEG decoding through the addon (libjpeg-turbo). One decoder per user:
 * it keeps libjpeg's state between frames, so an MJPEG stream pays for the
 * set-up once.
 */
import { VidbusError, isVidbusError } from '../errors.js';
import type { FrameLayout } from '../video/formats.js';
import { loadNative, type JpegHandle } from './binding.js';
import { imageDescriptor } from './pixels.js';

export interface JpegInfo {
  width: number;
  height: number;
}

/** Formats a JPEG decodes into directly. */
export const JPEG_TARGETS = ['RGBA', 'BGRA', 'RGB24', 'BGR24', 'GRAY8'] as const;

/** The addon's JPEG errors are VidbusErrors already; this says what they mean and what to do. */
function rethrow(e: unknown, what: string): never {
  if (isVidbusError(e, 'ERR_BAD_IMAGE')) e.message = `${what}: not a decodable JPEG (${e.message})`;
  else if (isVidbusError(e, 'ERR_CODEC_UNAVAILABLE')) {
    e.message = 'JPEG decoding is not available: the vidbus addon was built without libturbojpeg. Install it and rebuild: `sudo apt-get install libturbojpeg0-dev && npm run build:native`.';
  } else if (isVidbusError(e, 'ERR_CLOSED')) e.message = `${what}: the JPEG decoder is closed`;
  throw e;
}

export class JpegDecoder {
  private handle: JpegHandle | undefined;

  constructor() {
    try {
      this.handle = loadNative().jpegCreate();
    } catch (e) {
      rethrow(e, 'JpegDecoder');
    }
  }

  private live(): JpegHandle {
    if (!this.handle) throw new VidbusError('ERR_CLOSED', 'The JPEG decoder is closed');
    return this.handle;
  }

  /** Reads the size from the JPEG's header without decoding it. */
  info(jpeg: Uint8Array): JpegInfo {
    try {
      const { width, height } = loadNative().jpegHeader(this.live(), jpeg);
      return { width, height };
    } catch (e) {
      rethrow(e, 'JPEG header');
    }
  }

  /**
   * Decodes into `dst`, laid out as `layout` (packed RGB or GRAY8 of the
   * JPEG's exact size). Returns libjpeg's warning for corrupt but decodable
   * data (a camera's damaged frame), else undefined.
   */
  decode(jpeg: Uint8Array, dst: Uint8Array, layout: FrameLayout): string | undefined {
    if (!(JPEG_TARGETS as readonly string[]).includes(layout.format)) {
      throw new VidbusError('ERR_INVALID_OPTION', `JPEG decodes to ${JPEG_TARGETS.join(', ')}; received ${layout.format}`);
    }
    try {
      return loadNative().jpegDecode(this.live(), jpeg, dst, imageDescriptor(layout)) ?? undefined;
    } catch (e) {
      rethrow(e, 'JPEG decode');
    }
  }

  /** Frees the decoder. Idempotent. */
  close(): void {
    if (this.handle) loadNative().jpegClose(this.handle);
    this.handle = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** JPEG encoding (libjpeg-turbo, 4:2:0): previews and MJPEG output. */
export class JpegEncoder {
  private handle: JpegHandle | undefined;

  constructor() {
    try {
      this.handle = loadNative().jpegCreate(true);
    } catch (e) {
      rethrow(e, 'JpegEncoder');
    }
  }

  /** Encodes `src` (packed RGB or GRAY8, laid out as `layout`) at `quality` 1..100. */
  encode(src: Uint8Array, layout: FrameLayout, quality = 80): Buffer {
    if (!this.handle) throw new VidbusError('ERR_CLOSED', 'The JPEG encoder is closed');
    if (!(JPEG_TARGETS as readonly string[]).includes(layout.format)) {
      throw new VidbusError('ERR_INVALID_OPTION', `JPEG encodes ${JPEG_TARGETS.join(', ')}; received ${layout.format}`);
    }
    if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new VidbusError('ERR_INVALID_OPTION', `Expected quality to be an integer from 1 to 100 but received ${quality}`);
    try {
      return loadNative().jpegEncode(this.handle, src, imageDescriptor(layout), quality);
    } catch (e) {
      rethrow(e, 'JPEG encode');
    }
  }

  close(): void {
    if (this.handle) loadNative().jpegClose(this.handle);
    this.handle = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
