/**
 * One open of a V4L2 capture device, streaming into a bus producer: the
 * format is set, buffers are queued, and each frame the driver fills is
 * published. With USERPTR the driver writes straight into loaned bus slots
 * (no copy at all); with MMAP each frame is copied once into a slot. A
 * session never leaves the device half configured: if any step fails it
 * stops streaming, frees the buffers and closes the fd before throwing.
 */
import { closeSync } from 'node:fs';
import { VidbusError, isVidbusError } from '../errors.js';
import type { LoanedFrame, Producer } from '../bus/producer.js';
import { monoNs } from '../util/clock.js';
import {
  BUF_FLAG,
  dequeueBuffer,
  mapDriverBuffer,
  queryBuffer,
  queueMmapBuffer,
  queueUserBuffer,
  requestBuffers,
  setFormatExactly,
  setFrameRate,
  setStreaming,
  unmapDriverBuffer,
} from '../native/v4l2-stream.js';
import { FdWatch, POLL_EVENT } from '../native/fd-watch.js';
import { JpegDecoder } from '../native/jpeg.js';
import { formatInfo, type PixelFormat } from '../video/formats.js';

/** userptr: the driver writes into bus slots (no copy); mmap: the driver's buffers, copied once into a slot. */
export type CaptureIo = 'userptr' | 'mmap';

export interface SessionSettings {
  path: string;
  /** what the device delivers */
  format: PixelFormat;
  width: number;
  height: number;
  /** frames per second to ask for (num/den), or undefined for the driver's own */
  rate: { num: number; den: number } | undefined;
  /** 'auto' tries USERPTR, then MMAP */
  io: CaptureIo | 'auto';
  buffers: number;
  /** MJPEG only: publish decoded frames in this format instead of MJPEG */
  decodeTo?: PixelFormat;
}

/** Frame counters of a capture. */
export interface SessionCounters {
  /** frames the driver delivered intact */
  captured: number;
  /** frames published to the stream */
  published: number;
  /** frames captured while every bus slot was held (the producer never waits) */
  dropped: number;
  /** frames the driver skipped (gaps in its sequence numbers) */
  driverDropped: number;
  /** frames the driver flagged as damaged, or that would not decode */
  errorFrames: number;
}

/** What S_FMT settled on. */
export interface Negotiated {
  bytesPerLine: number;
  sizeImage: number;
}

const GONE_ERRNOS = new Set(['ENODEV', 'ENXIO', 'EIO', 'ESHUTDOWN', 'EPIPE']);
const JPEG_END = Buffer.from([0xff, 0xd9]);

/**
 * The length of the JPEG in a buffer: up to its last end-of-image marker.
 * Some drivers (v4l2loopback) report the whole buffer as used, padding
 * included; consumers and recordings should not carry the padding.
 */
export function jpegLength(data: Uint8Array, bytesUsed: number): number {
  const end = Buffer.from(data.buffer, data.byteOffset, Math.min(bytesUsed, data.byteLength)).lastIndexOf(JPEG_END);
  return end >= 0 ? end + 2 : bytesUsed;
}

/** Sets the capture format and checks that the driver took it exactly, then asks for the rate. */
export function setCaptureFormat(fd: number, s: SessionSettings): Negotiated {
  const got = setFormatExactly(fd, 'capture', s, {
    busy: `${s.path} is busy: another program is capturing from it. Close it and try again.`,
    mismatch: (got) => new VidbusError('ERR_FORMAT_UNSUPPORTED', `${s.path} gave ${got.width}x${got.height} instead of ${s.width}x${s.height} ${s.format}. \`vidbus devices --formats\` lists what it offers.`),
  });
  if (s.rate) setFrameRate(fd, 'capture', s.rate, { optional: true });
  return { bytesPerLine: got.bytesPerLine, sizeImage: got.sizeImage };
}

export class CaptureSession implements Disposable {
  io: CaptureIo = 'mmap';
  private watch: FdWatch | undefined;
  private mmapBuffers: ArrayBuffer[] = [];
  private queued: (LoanedFrame | undefined)[] = [];
  private decoder: JpegDecoder | undefined;
  private lastSequence = -1;
  private streaming = false;
  private closed = false;

  private constructor(
    private readonly fd: number,
    private readonly settings: SessionSettings,
    private readonly producer: Producer,
    readonly negotiated: Negotiated,
    private readonly counters: SessionCounters,
    private readonly onLost: (error: VidbusError) => void,
  ) {}

  /**
   * Opens and starts a session on `fd` (which it then owns). `negotiated`
   * comes from setCaptureFormat on that fd.
   */
  static start(fd: number, settings: SessionSettings, negotiated: Negotiated, producer: Producer, counters: SessionCounters, onLost: (error: VidbusError) => void): CaptureSession {
    const session = new CaptureSession(fd, settings, producer, negotiated, counters, onLost);
    try {
      session.setUpBuffers();
      setStreaming(fd, 'capture', true);
      session.streaming = true;
      session.watch = new FdWatch(fd, (status, events) => session.onReady(status, events));
      return session;
    } catch (e) {
      session.close();
      throw e;
    }
  }

  private setUpBuffers(): void {
    const { io, buffers } = this.settings;
    const zeroCopyPossible = this.settings.decodeTo === undefined && this.negotiated.sizeImage <= this.producer.layout.frameBytes;
    if (io === 'userptr' || (io === 'auto' && zeroCopyPossible)) {
      try {
        this.setUpUserBuffers(buffers);
        return;
      } catch (e) {
        this.releaseUserBuffers();
        if (io === 'userptr') {
          throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${this.settings.path} cannot capture into user memory (USERPTR): ${(e as Error).message}. Use --io mmap (one copy per frame).`, { cause: e });
        }
      }
    }
    this.io = 'mmap';
    const granted = requestBuffers(this.fd, 'capture', 'mmap', buffers);
    if (granted < 2) throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${this.settings.path} granted ${granted} capture buffers; at least 2 are needed`);
    for (let i = 0; i < granted; i++) {
      const { offset, length } = queryBuffer(this.fd, 'capture', i);
      this.mmapBuffers.push(mapDriverBuffer(this.fd, offset, length));
      queueMmapBuffer(this.fd, 'capture', i);
    }
  }

  private setUpUserBuffers(buffers: number): void {
    this.io = 'userptr';
    const granted = requestBuffers(this.fd, 'capture', 'userptr', buffers);
    if (granted < 2) throw new Error(`the driver granted ${granted} buffers`);
    for (let i = 0; i < granted; i++) {
      const frame = this.producer.loan();
      if (!frame) throw new Error('not enough free bus slots');
      this.queued[i] = frame;
      queueUserBuffer(this.fd, 'capture', i, frame.data);
    }
  }

  private releaseUserBuffers(): void {
    if (!this.producer.isClosed) for (const frame of this.queued) if (frame?.active) this.producer.discard(frame);
    this.queued = [];
    try {
      requestBuffers(this.fd, 'capture', 'userptr', 0);
    } catch {
      // the device may be gone
    }
  }

  private onReady(status: number, events: number): void {
    if (this.closed) return;
    if (this.producer.isClosed) {
      // The stream was removed under us (SIGINT cleanup in src/bus/exit.ts): stop capturing.
      this.close();
      return;
    }
    if (status < 0 || events & POLL_EVENT.DISCONNECT) {
      this.lost(new VidbusError('ERR_DEVICE_GONE', `${this.settings.path} went away (unplugged, or its driver was unloaded)`));
      return;
    }
    for (;;) {
      let buffer;
      try {
        buffer = dequeueBuffer(this.fd, 'capture', this.io);
      } catch (e) {
        if (isVidbusError(e) && e.errno !== undefined && GONE_ERRNOS.has(e.errno)) {
          this.lost(new VidbusError('ERR_DEVICE_GONE', `${this.settings.path} went away (${e.errno}): unplugged, or its driver failed`, { errno: e.errno }));
          return;
        }
        throw e;
      }
      if (!buffer) return;
      this.handle(buffer.index, buffer.bytesUsed, buffer.flags, buffer.sequence, buffer.timestampNs);
      if (this.closed) return;
    }
  }

  private handle(index: number, bytesUsed: number, flags: number, sequence: number, timestampNs: bigint): void {
    const c = this.counters;
    if (this.lastSequence >= 0 && sequence > this.lastSequence + 1) c.driverDropped += sequence - this.lastSequence - 1;
    this.lastSequence = sequence;
    const encoded = formatInfo(this.settings.format).encoded;
    const rawBytes = this.producer.layout.frameBytes;
    const damaged = (flags & BUF_FLAG.ERROR) !== 0 || bytesUsed === 0 || (!encoded && bytesUsed < Math.min(rawBytes, this.negotiated.sizeImage));
    const timestamp = (flags & BUF_FLAG.TIMESTAMP_MASK) === BUF_FLAG.TIMESTAMP_MONOTONIC && timestampNs > 0n ? timestampNs : monoNs();
    let size: number | undefined;
    if (encoded && this.settings.decodeTo === undefined && !damaged) {
      const data = this.io === 'userptr' ? this.queued[index]!.data : new Uint8Array(this.mmapBuffers[index]!);
      size = this.settings.format === 'MJPEG' ? jpegLength(data, bytesUsed) : bytesUsed;
    }
    if (damaged) c.errorFrames++;
    else c.captured++;
    if (this.io === 'userptr') {
      const filled = this.queued[index]!;
      const next = damaged ? undefined : this.producer.loan();
      if (!next) {
        if (!damaged) c.dropped++;
        queueUserBuffer(this.fd, 'capture', index, filled.data); // capture into the same slot again
        return;
      }
      this.producer.publish(filled, { timestamp, keyframe: true, ...(size !== undefined ? { size } : {}) });
      c.published++;
      this.queued[index] = next;
      queueUserBuffer(this.fd, 'capture', index, next.data);
      return;
    }
    if (!damaged) this.publishCopy(new Uint8Array(this.mmapBuffers[index]!, 0, Math.min(bytesUsed, this.mmapBuffers[index]!.byteLength)), timestamp, size);
    queueMmapBuffer(this.fd, 'capture', index);
  }

  /** The MMAP path: one copy (or one decode) into a bus slot. */
  private publishCopy(data: Uint8Array, timestamp: bigint, size: number | undefined): void {
    const c = this.counters;
    const frame = this.producer.loan();
    if (!frame) {
      c.dropped++;
      return;
    }
    if (this.settings.decodeTo !== undefined) {
      this.decoder ??= new JpegDecoder();
      try {
        this.decoder.decode(data, frame.data, this.producer.layout);
      } catch (e) {
        if (!(isVidbusError(e) && e.code === 'ERR_BAD_IMAGE')) throw e;
        this.producer.discard(frame);
        c.errorFrames++;
        return;
      }
    } else {
      frame.data.set(size !== undefined ? data : data.subarray(0, this.producer.layout.frameBytes));
    }
    this.producer.publish(frame, { timestamp, keyframe: true, ...(size !== undefined ? { size } : {}) });
    c.published++;
  }

  private lost(error: VidbusError): void {
    this.close();
    this.onLost(error);
  }

  /** Stops streaming, frees buffers, closes the fd. Idempotent; never throws. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch?.stop();
    if (this.streaming) {
      try {
        setStreaming(this.fd, 'capture', false);
      } catch {
        // gone devices refuse STREAMOFF; closing the fd is what matters
      }
    }
    if (this.io === 'userptr') this.releaseUserBuffers();
    for (const buffer of this.mmapBuffers) unmapDriverBuffer(buffer);
    this.mmapBuffers = [];
    this.decoder?.close();
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}
