/**
 * Writing frames into a v4l2loopback device, the way that keeps it working
 * (../shared/anchors.md §4): QUERYCAP (must be the loopback driver, with
 * OUTPUT free), S_FMT on the OUTPUT type and check what the driver returned,
 * S_PARM for the frame rate, STREAMON before writing even with write() (a
 * write()-only writer leaves an exclusive_caps device announcing neither
 * capture nor output once it closes: the "works once" bug), one write() per
 * frame of exactly the image size, STREAMOFF on close.
 *
 * Not the sizeimage S_FMT returns: on a device with no format yet, 0.12.7
 * returns the page-aligned buffer size there (vidioc_s_fmt_out), and a write
 * of that many bytes makes readers see bytesused larger than the image
 * ("Dequeued v4l2 buffer contains 155648 bytes, but 153600 were expected",
 * v4l2loopback #283).
 */
import { closeSync, writeSync } from 'node:fs';
import { VidbusError } from '../errors.js';
import { openVideoNode } from '../native/v4l2.js';
import { setFormatExactly, setFrameRate, setStreaming } from '../native/v4l2-stream.js';
import { fpsToRational, frameLayout, RAW_FORMATS, type FrameLayout, type RawFormat, type Rational } from '../video/formats.js';
import { resolveLoopbackDevice } from '../devices/loopback.js';
import type { FrameSink, SinkBackend } from './sink.js';

/** The formats a loopback device can carry: every raw format. */
export type LoopbackFormat = RawFormat;

/** Options of LoopbackOutput.open(). */
export interface LoopbackOutputOptions {
  /** a device path or card label (default: the first loopback device with no writer) */
  device?: string;
  /** pixels */
  width: number;
  /** pixels */
  height: number;
  /** what readers get (default YUYV) */
  format?: LoopbackFormat;
  /** frames per second announced to readers (num/den) */
  fps?: Rational;
}

/** An open v4l2loopback device, configured and streaming. */
export class LoopbackOutput implements FrameSink {
  readonly backend = 'v4l2loopback';
  /** the device path */
  readonly path: string;
  /** the card label */
  readonly card: string;
  readonly layout: FrameLayout;
  /** bytes written per frame: the image size of the negotiated format */
  readonly frameBytes: number;
  private fd: number;

  private constructor(path: string, card: string, fd: number, layout: FrameLayout, frameBytes: number) {
    this.path = path;
    this.card = card;
    this.fd = fd;
    this.layout = layout;
    this.frameBytes = frameBytes;
  }

  /** Finds the device, sets and checks its format, sets the rate and starts streaming. */
  static open(options: LoopbackOutputOptions): LoopbackOutput {
    const format: LoopbackFormat = options.format ?? 'YUYV';
    const layout = frameLayout(format, options.width, options.height);
    const caps = resolveLoopbackDevice(options.device);
    if (!caps.canOutput) {
      throw new VidbusError('ERR_DEVICE_BUSY', `${caps.path} ("${caps.card}") already has a writer, or is stuck offering neither capture nor output. Stop the other writer; if none runs, reload the module (sudo modprobe -r v4l2loopback).`);
    }
    const fd = openVideoNode(caps.path, { nonBlocking: false });
    try {
      // The driver keeps the old format while a reader holds it, or with
      // keep_format=1, and says so only through what S_FMT returns.
      const got = setFormatExactly(fd, 'output', layout, {
        busy: `${caps.path} is busy: another process has set its format. Stop it and try again.`,
        mismatch: (got) =>
          new VidbusError(
            'ERR_FORMAT_REJECTED',
            `${caps.path} kept ${got.width}x${got.height} instead of ${layout.width}x${layout.height} ${format}: a reader still holds the old format (or keep_format=1). Close its readers, or use that size.`,
          ),
      });
      const stride = layout.planes[0]!.stride;
      if (got.sizeImage < layout.frameBytes || (got.bytesPerLine !== 0 && got.bytesPerLine !== stride)) {
        throw new VidbusError(
          'ERR_FORMAT_REJECTED',
          `${caps.path} wants ${got.bytesPerLine} bytes per line and ${got.sizeImage} per frame; ${format} ${layout.width}x${layout.height} has ${stride} and ${layout.frameBytes}`,
        );
      }
      setFrameRate(fd, 'output', options.fps ?? { num: 30, den: 1 });
      setStreaming(fd, 'output', true);
      return new LoopbackOutput(caps.path, caps.card, fd, layout, layout.frameBytes);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** The device path (the FrameSink's target). */
  get target(): string {
    return this.path;
  }

  /** The card label readers see. */
  get label(): string {
    return this.card;
  }

  /** Writes one frame: exactly `frameBytes` bytes in the device's layout. */
  write(frame: Uint8Array): void {
    if (this.fd < 0) throw new VidbusError('ERR_CLOSED', `${this.path} is closed`);
    if (frame.length < this.frameBytes) {
      throw new VidbusError('ERR_FRAME_SIZE', `${this.path} takes ${this.frameBytes} bytes per frame; received ${frame.length}`);
    }
    writeSync(this.fd, frame, 0, this.frameBytes);
  }

  /** STREAMOFF and close; idempotent. */
  close(): void {
    if (this.fd < 0) return;
    try {
      setStreaming(this.fd, 'output', false);
    } catch {
      // the device may be gone; closing is what matters
    }
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** `vidbus vcam --backend v4l2loopback` (the default): target is a device path or card label. */
export const loopbackSinkBackend: SinkBackend = {
  name: 'v4l2loopback',
  summary: 'a v4l2loopback device (kernel module; browsers list it with exclusive_caps=1)',
  formats: RAW_FORMATS,
  open: (o) => LoopbackOutput.open({ width: o.width, height: o.height, format: o.format, fps: fpsToRational(o.fps), ...(o.target !== undefined ? { device: o.target } : {}) }),
};
