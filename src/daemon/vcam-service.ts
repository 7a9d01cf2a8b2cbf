/**
 * The virtual-camera service: the only writer of one v4l2loopback device
 * for its whole life. It follows a bus stream (producers may come, go,
 * crash and change size or format), fits each frame to the device's fixed
 * size and format (raw formats and MJPEG), and keeps the device fed at its
 * nominal rate; when no producer is attached, or the producer stalls, it
 * writes a placeholder (a picture file, or a generated card). Readers
 * (browsers, ffmpeg) therefore see one stable camera from the moment it
 * starts.
 *
 * Scheduling: a frame is written as soon as it arrives, unless the last
 * live frame was written less than 0.8 periods ago (a producer faster than
 * the device is capped at the device's rate, keeping only the newest
 * frame). A timer repeats the last picture when nothing arrives: one period
 * after the last write with no producer (a steady rate on a fixed grid), 1.5
 * periods while a producer is live (so its frames, not the timer, set the
 * pace, and never wait for a tick).
 */
import { isVidbusError, VidbusError } from '../errors.js';
import { openConsumer, type Consumer } from '../bus/consumer.js';
import type { Frame } from '../bus/frame.js';
import { performance } from 'node:perf_hooks';
import { monoNs } from '../util/clock.js';
import { LatencyWindow, type LatencySummary } from '../util/latency.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { cameraSinkOptions, chooseSink, DEFAULT_SINK, findSink, openSink } from '../sinks/builtin.js';
import type { FrameSink } from '../sinks/sink.js';
import { convertFrame, fitFrame } from '../video/convert.js';
import { formatInfo, frameLayout, isRawFormat, RAW_FORMATS, sameLayout, type FrameLayout, type RawFormat } from '../video/formats.js';
import { FrameFitter } from '../video/frame-fitter.js';
import { flattenAlpha, loadImage } from '../video/image-file.js';
import { drawPlaceholder, PLACEHOLDER_BACKGROUND } from '../video/placeholder.js';

/** Options of VcamService.start(). */
export interface VcamOptions {
  /** the bus stream to show */
  from: string;
  /** where the backend writes: for v4l2loopback a device path or card label (default: the first free loopback device) */
  device?: string;
  /** the sink backend by its registered name (default 'v4l2loopback'; 'pipewire' needs no kernel module; 'auto' takes a free loopback device if there is one, PipeWire otherwise; 'memory' and 'null' need no device) */
  backend?: string;
  /** what readers list the camera as, where the backend lets us choose it (pipewire; default "vidbus camera") */
  name?: string;
  /** what readers get, pixels (default 1280) */
  width?: number;
  /** what readers get, pixels (default 720) */
  height?: number;
  /** the rate readers get (default 30) */
  fps?: number;
  /** what readers get (default YUYV) */
  format?: RawFormat;
  /** show the placeholder after this long without a frame (default 1000 ms) */
  stallMs?: number;
  /** a PNG or JPEG shown instead of the generated card while no producer is live */
  placeholder?: string;
}

const OPTIONS = ['from', 'device', 'backend', 'name', 'width', 'height', 'fps', 'format', 'stallMs', 'placeholder'] as const;

export type { FrameSink };

/** live: showing the stream; placeholder: no producer, or it stalled. */
export type VcamState = 'live' | 'placeholder';

/** What the camera showed. */
export interface VcamStats {
  /** the sink backend */
  backend: string;
  /** where frames go (the device path for v4l2loopback) */
  device: string;
  /** what readers see (the card label) */
  label: string;
  /** what it shows now */
  state: VcamState;
  /** frames handed to the sink */
  framesWritten: number;
  /** of which from the stream */
  liveFrames: number;
  /** of which the placeholder */
  placeholderFrames: number;
  /** frames that could not be shown (undecodable MJPEG, H.264) */
  badFrames: number;
  /** publish -> written to the device, over the last 1024 live frames */
  addedLatency: LatencySummary;
}

/** Warnings about bad frames are printed at most this often. */
const WARNING_INTERVAL_MS = 5000;

/** Owns one camera (a sink) for its whole life and feeds it from a bus stream, with a placeholder while no producer is live. */
export class VcamService implements AsyncDisposable {
  private readonly rgbaLayout: FrameLayout;
  private readonly rgba: Uint8Array;
  private readonly out: Uint8Array;
  private readonly fitter = new FrameFitter();
  private readonly periodMs: number;
  private pending: Frame | undefined;
  /** the last live frame, when it went to the sink straight from shared memory (not through `out`): kept for repeats */
  private shownDirect: Frame | undefined;
  private lastLiveMs = -Infinity;
  private lastLiveWriteNs = 0n;
  private state: VcamState = 'placeholder';
  private written = 0;
  private live = 0;
  private placeholder = 0;
  private bad = 0;
  private lastWarningMs = -Infinity;
  private readonly latency = new LatencyWindow(1024);
  private timer: NodeJS.Timeout | undefined;
  /** when the next repeat is due (performance.now() ms) */
  private dueMs = 0;
  private readonly loops: Promise<void>[] = [];
  private closed = false;
  /** called on every change between 'live' and 'placeholder' */
  onStateChange: ((state: VcamState) => void) | undefined;
  /** called for each bad frame or stream problem (rate-limited; default: process.emitWarning) */
  onWarning: (message: string) => void = (m) => process.emitWarning(`vidbus vcam: ${m}`);

  private constructor(
    private readonly output: FrameSink,
    private readonly consumer: Consumer,
    fps: number,
    private readonly stallMs: number,
    private readonly placeholderFrame: Uint8Array | undefined,
  ) {
    this.periodMs = 1000 / fps;
    this.rgbaLayout = frameLayout('RGBA', output.layout.width, output.layout.height);
    this.rgba = new Uint8Array(this.rgbaLayout.frameBytes);
    this.out = new Uint8Array(output.layout.frameBytes);
  }

  /** Opens the stream (following it), then the sink, and shows a first picture at once. */
  static async start(options: VcamOptions): Promise<VcamService> {
    rejectUnknownOptions('vcam', options, OPTIONS);
    if (typeof options.from !== 'string') throw invalidOption('from', 'a stream name', options.from);
    const width = checkInteger('width', options.width ?? 1280, 48, 8192);
    const height = checkInteger('height', options.height ?? 720, 32, 8192);
    if (width % 2 || height % 2) throw invalidOption('size', 'even width and height (browsers reject odd YUV sizes)', `${width}x${height}`);
    const fps = checkInteger('fps', options.fps ?? 30, 1, 240);
    const stallMs = checkInteger('stallMs', options.stallMs ?? 1000, 1, 3_600_000);
    const format = options.format ?? 'YUYV';
    if (!isRawFormat(format)) throw invalidOption('format', RAW_FORMATS.join(', '), format);
    if (options.name !== undefined && (typeof options.name !== 'string' || !options.name.trim())) throw invalidOption('name', 'a camera name', options.name);
    const backend = chooseSink(options.backend ?? DEFAULT_SINK, options.device);
    findSink(backend); // an unknown backend fails before anything is opened
    // The picture first (a bad file fails before anything is opened), then the
    // consumer (a bad stream name fails before the device is touched).
    const picture = options.placeholder !== undefined ? loadImage(options.placeholder) : undefined;
    const consumer = await openConsumer(options.from, { policy: 'latest', follow: true });
    let output: FrameSink;
    try {
      output = await openSink(backend, cameraSinkOptions({ width, height, format, fps }, options.device, options.name));
    } catch (e) {
      consumer.close();
      throw e;
    }
    let placeholderFrame: Uint8Array | undefined;
    if (picture) {
      flattenAlpha(picture, PLACEHOLDER_BACKGROUND);
      placeholderFrame = new Uint8Array(output.layout.frameBytes);
      fitFrame(picture.data, frameLayout('RGBA', picture.width, picture.height), placeholderFrame, output.layout);
    }
    const service = new VcamService(output, consumer, fps, stallMs, placeholderFrame);
    output.onNotice = (message) => service.onWarning(message);
    service.write(); // a format and a first picture right away: browsers list the device only then
    service.loops.push(service.receiveLoop());
    return service;
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningMs < WARNING_INTERVAL_MS) return;
    this.lastWarningMs = now;
    this.onWarning(message);
  }

  private async receiveLoop(): Promise<void> {
    for (;;) {
      let frame: Frame | null;
      try {
        frame = await this.consumer.next();
      } catch (e) {
        if (this.closed || (isVidbusError(e) && e.code === 'ERR_CLOSED')) return;
        // A misbehaving stream must not take the camera down: keep the placeholder going.
        this.warn((e as Error).message);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (!frame || this.closed) {
        frame?.release();
        continue;
      }
      this.pending?.release();
      this.pending = frame;
      // Write at once unless that would exceed the device's rate by more than 25%.
      if (Number(monoNs() - this.lastLiveWriteNs) / 1e6 >= 0.8 * this.periodMs) this.write();
    }
  }

  private setState(state: VcamState): void {
    if (state === this.state) return;
    this.state = state;
    this.onStateChange?.(state);
  }

  /** Draws the pending frame into `out`; false if it could not be shown. */
  private drawPending(frame: Frame): boolean {
    const data = formatInfo(frame.format).encoded ? frame.data.subarray(0, frame.size) : frame.data;
    try {
      const warning = this.fitter.fit(data, frame.layout, this.out, this.output.layout);
      if (warning) this.warn(`damaged ${frame.format} frame ${frame.seq} shown anyway: ${warning}`);
      return true;
    } catch (e) {
      if (!(e instanceof VidbusError) || (e.code !== 'ERR_BAD_IMAGE' && e.code !== 'ERR_INVALID_OPTION' && e.code !== 'ERR_CODEC_UNAVAILABLE')) throw e;
      this.bad++;
      this.warn(`frame ${frame.seq} not shown: ${e.message}`);
      return false;
    }
  }

  /**
   * Writes one frame: the newest from the bus, else the last picture again,
   * else the placeholder; then arms the timer for the next repeat.
   */
  private write(fromTimer = false): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    const now = performance.now();
    const nowMs = Date.now();
    const frame = this.pending;
    this.pending = undefined;
    // A frame already in the camera's layout goes to the sink straight from shared memory (one copy
    // fewer); it is kept until the next one, in case the timer has to show it again.
    const direct = frame !== undefined && sameLayout(frame.layout, this.output.layout);
    if (this.shownDirect) {
      // The last picture went out straight from shared memory: unless a direct frame replaces it,
      // `out` must hold it again (a repeat, or a frame that fails to draw). Then the producer gets its slot back.
      if (!direct) this.out.set(this.shownDirect.data.subarray(0, this.out.length));
      this.shownDirect.release();
      this.shownDirect = undefined;
    }
    const shown = frame ? direct || this.drawPending(frame) : false;
    if (shown) {
      this.lastLiveMs = nowMs;
      this.live++;
      this.setState('live');
    } else if (nowMs - this.lastLiveMs >= this.stallMs) {
      if (this.placeholderFrame) this.out.set(this.placeholderFrame);
      else {
        drawPlaceholder(this.rgba, this.rgbaLayout.width, this.rgbaLayout.height, this.placeholder);
        convertFrame(this.rgba, this.rgbaLayout, this.out, this.output.layout);
      }
      this.placeholder++;
      this.setState('placeholder');
    }
    // Between frames of a slower producer the last picture is written again,
    // so readers get a steady rate either way.
    this.output.write(direct ? frame.data : this.out);
    const writtenNs = monoNs();
    if (shown) {
      this.lastLiveWriteNs = writtenNs;
      this.latency.add(Number(writtenNs - frame!.publishTimestamp) / 1000);
    }
    if (direct) this.shownDirect = frame;
    else frame?.release();
    this.written++;
    if (this.state === 'live') {
      this.dueMs = now + 1.5 * this.periodMs;
    } else {
      // Repeats keep to a fixed grid, so timer lateness does not pile up.
      this.dueMs = fromTimer && now - this.dueMs < this.periodMs ? this.dueMs + this.periodMs : now + this.periodMs;
    }
    this.timer = setTimeout(() => this.write(true), Math.max(0, this.dueMs - performance.now()));
  }

  /** What the camera showed, and the latency it added. */
  stats(): VcamStats {
    return {
      backend: this.output.backend,
      device: this.output.target,
      label: this.output.label,
      state: this.state,
      framesWritten: this.written,
      liveFrames: this.live,
      placeholderFrames: this.placeholder,
      badFrames: this.bad,
      addedLatency: this.latency.summary(),
    };
  }

  /** Where frames go (the device path for v4l2loopback). */
  get device(): string {
    return this.output.target;
  }

  /** The open sink (tests inspect a memory sink through this). */
  get sink(): FrameSink {
    return this.output;
  }

  /** Stops writing, releases the device (STREAMOFF) and the stream. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.consumer.close();
    await Promise.all(this.loops);
    this.pending?.release();
    this.pending = undefined;
    this.shownDirect?.release();
    this.shownDirect = undefined;
    this.fitter.close();
    this.output.close();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
