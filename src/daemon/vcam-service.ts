/**
 * The virtual-camera service: the only writer of one v4l2loopback device
 * for its whole life. It follows a bus stream (producers may come, go,
 * crash and change size), fits each frame to the device's fixed size and
 * format, and writes at a steady rate; when no producer is attached, or
 * the producer stalls, it writes a placeholder card. Readers (browsers,
 * ffmpeg) therefore see one stable camera from the moment it starts.
 */
import { isVidbusError } from '../errors.js';
import { openConsumer, type Consumer } from '../bus/consumer.js';
import type { Frame } from '../bus/frame.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../bus/options.js';
import { LoopbackOutput, type LoopbackFormat } from '../sinks/v4l2loopback.js';
import { convertFrame, fitFrame } from '../video/convert.js';
import { frameLayout, type FrameLayout } from '../video/formats.js';
import { Pacer } from '../video/pacer.js';
import { drawPlaceholder } from '../video/placeholder.js';

export interface VcamOptions {
  /** the bus stream to show */
  from: string;
  /** device path or card label (default: the first free loopback device) */
  device?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** what readers get (default YUYV) */
  format?: LoopbackFormat;
  /** show the placeholder after this long without a frame (default 1000 ms) */
  stallMs?: number;
}

const OPTIONS = ['from', 'device', 'width', 'height', 'fps', 'format', 'stallMs'] as const;

export type VcamState = 'live' | 'placeholder';

export interface VcamStats {
  device: string;
  label: string;
  state: VcamState;
  framesWritten: number;
  liveFrames: number;
  placeholderFrames: number;
}

export class VcamService {
  private readonly rgbaLayout: FrameLayout;
  private readonly rgba: Uint8Array;
  private readonly out: Uint8Array;
  private pending: Frame | undefined;
  private lastLiveMs = -Infinity;
  private state: VcamState = 'placeholder';
  private written = 0;
  private live = 0;
  private placeholder = 0;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private closed = false;
  /** called on every change between 'live' and 'placeholder' */
  onStateChange: ((state: VcamState) => void) | undefined;

  private constructor(
    private readonly output: LoopbackOutput,
    private readonly consumer: Consumer,
    private readonly fps: number,
    private readonly stallMs: number,
  ) {
    this.rgbaLayout = frameLayout('RGBA', output.layout.width, output.layout.height);
    this.rgba = new Uint8Array(this.rgbaLayout.frameBytes);
    this.out = new Uint8Array(output.frameBytes);
  }

  static async start(options: VcamOptions): Promise<VcamService> {
    rejectUnknownOptions('vcam', options, OPTIONS);
    if (typeof options.from !== 'string') throw invalidOption('from', 'a stream name', options.from);
    const width = checkInteger('width', options.width ?? 1280, 48, 8192);
    const height = checkInteger('height', options.height ?? 720, 32, 8192);
    if (width % 2 || height % 2) throw invalidOption('size', 'even width and height (browsers reject odd YUV sizes)', `${width}x${height}`);
    const fps = checkInteger('fps', options.fps ?? 30, 1, 240);
    const stallMs = checkInteger('stallMs', options.stallMs ?? 1000, 1, 3_600_000);
    const format = options.format ?? 'YUYV';
    // The consumer first: a bad stream name fails before the device is touched.
    const consumer = await openConsumer(options.from, { policy: 'latest', follow: true });
    let output: LoopbackOutput;
    try {
      output = LoopbackOutput.open({ width, height, format, fps: { num: fps, den: 1 }, ...(options.device !== undefined ? { device: options.device } : {}) });
    } catch (e) {
      consumer.close();
      throw e;
    }
    const service = new VcamService(output, consumer, fps, stallMs);
    service.tick(); // a format and a first picture right away: browsers list the device only then
    service.loops.push(service.receiveLoop(), service.writeLoop());
    return service;
  }

  private async receiveLoop(): Promise<void> {
    for (;;) {
      let frame: Frame | null;
      try {
        frame = await this.consumer.next();
      } catch (e) {
        if (this.closed || (isVidbusError(e) && e.code === 'ERR_CLOSED')) return;
        // A misbehaving stream must not take the camera down: keep the placeholder going.
        process.emitWarning(`vidbus vcam: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (!frame) continue;
      this.pending?.release();
      this.pending = frame;
    }
  }

  private async writeLoop(): Promise<void> {
    const pacer = new Pacer(this.fps);
    while (!this.closed) {
      await pacer.wait(this.abort.signal);
      if (!this.closed) this.tick();
    }
  }

  private setState(state: VcamState): void {
    if (state === this.state) return;
    this.state = state;
    this.onStateChange?.(state);
  }

  /** Writes one frame: the newest from the bus, else the last one again, else the placeholder. */
  private tick(): void {
    const now = Date.now();
    const frame = this.pending;
    if (frame) {
      this.pending = undefined;
      // Any raw format at any size: converted, and scaled with letterboxing
      // when the producer's shape differs from the device's.
      fitFrame(frame.data, frame.layout, this.out, this.output.layout);
      frame.release();
      this.lastLiveMs = now;
      this.live++;
      this.setState('live');
    } else if (now - this.lastLiveMs >= this.stallMs) {
      drawPlaceholder(this.rgba, this.rgbaLayout.width, this.rgbaLayout.height, this.placeholder);
      convertFrame(this.rgba, this.rgbaLayout, this.out, this.output.layout);
      this.placeholder++;
      this.setState('placeholder');
    }
    // Between frames of a slower producer the last picture is written again,
    // so readers get a steady rate either way.
    this.output.write(this.out);
    this.written++;
  }

  stats(): VcamStats {
    return {
      device: this.output.path,
      label: this.output.card,
      state: this.state,
      framesWritten: this.written,
      liveFrames: this.live,
      placeholderFrames: this.placeholder,
    };
  }

  get device(): string {
    return this.output.path;
  }

  /** Stops writing, releases the device (STREAMOFF) and the stream. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.consumer.close();
    await Promise.all(this.loops);
    this.pending?.release();
    this.output.close();
  }
}
