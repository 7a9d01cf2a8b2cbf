/**
 * Fits frames of any bus format (every raw format, and MJPEG) into one
 * fixed output layout: decodes MJPEG with libjpeg-turbo, converts and
 * scales with the native kernels, letterboxes when shapes differ. Sinks
 * with a fixed picture (the virtual camera, previews) use one per output.
 */
import { VidbusError } from '../errors.js';
import { JpegDecoder } from '../native/jpeg.js';
import { fitFrame } from './convert.js';
import { formatInfo, frameLayout, type FrameLayout } from './formats.js';
import { MAX_IMAGE_SIDE } from './png.js';

export class FrameFitter {
  private decoder: JpegDecoder | undefined;
  private decoded: { layout: FrameLayout; data: Uint8Array } | undefined;

  /**
   * Draws `data` (laid out as `layout`; for MJPEG, `data` is the encoded
   * frame) into `out`. Returns libjpeg's warning for a damaged but
   * decodable MJPEG frame; throws ERR_BAD_IMAGE for an undecodable one and
   * ERR_INVALID_OPTION for formats it cannot show (H.264, HEVC).
   */
  fit(data: Uint8Array, layout: FrameLayout, out: Uint8Array, outLayout: FrameLayout): string | undefined {
    if (!formatInfo(layout.format).encoded) {
      fitFrame(data, layout, out, outLayout);
      return undefined;
    }
    if (layout.format !== 'MJPEG') {
      throw new VidbusError('ERR_INVALID_OPTION', `Cannot show ${layout.format} frames: only raw formats and MJPEG are decoded. Publish raw frames or MJPEG.`);
    }
    this.decoder ??= new JpegDecoder();
    // The JPEG's own header gives its size; the stream's may lie or lag.
    const { width, height } = this.decoder.info(data);
    if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) throw new VidbusError('ERR_BAD_IMAGE', `MJPEG frame of ${width}x${height} is larger than ${MAX_IMAGE_SIDE} per side`);
    if (this.decoded?.layout.width !== width || this.decoded.layout.height !== height) {
      const rgb = frameLayout('RGBA', width, height);
      this.decoded = { layout: rgb, data: new Uint8Array(rgb.frameBytes) };
    }
    const warning = this.decoder.decode(data, this.decoded.data, this.decoded.layout);
    fitFrame(this.decoded.data, this.decoded.layout, out, outLayout);
    return warning;
  }

  close(): void {
    this.decoder?.close();
    this.decoder = undefined;
    this.decoded = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
