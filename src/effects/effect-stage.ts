/**
 * An effect as a bus stage: it consumes one stream (`cam0`), blurs or
 * replaces the background of each frame, and publishes another (`cam0-fx`)
 * that the virtual camera, a recorder or a preview reads. The model runs
 * in a worker thread; the per-pixel work in native code. While nobody
 * reads the output stream the stage idles: it takes no frames, runs no
 * model. A frame is published only once it is fully composited.
 *
 * Inference overlaps compositing: each frame is composited at once with
 * the newest mask the worker has finished, while the worker segments the
 * frame that arrived when it became free. The rate is then set by
 * compositing, not by the model, and the mask trails the picture by at
 * most one inference (about 10 ms), which the temporal smoothing hides.
 *
 *   await using fx = await createEffectStage({ input: 'cam0', output: 'cam0-fx', effect: { blur: 12 } });
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { VidbusError, isVidbusError } from '../errors.js';
import { followExistingStream, type Consumer } from '../bus/consumer.js';
import { createProducer, type Producer } from '../bus/producer.js';
import type { Frame } from '../bus/frame.js';
import { invalidOption, rejectUnknownOptions } from '../util/options.js';
import { monoNs } from '../util/clock.js';
import { fitFrame } from '../video/convert.js';
import { formatInfo, frameLayout, isPixelFormat, type FrameLayout, type RawFormat } from '../video/formats.js';
import { FrameFitter } from '../video/frame-fitter.js';
import { loadImage } from '../video/image-file.js';
import { Compositor, type Effect } from './compositor.js';
import { Segmenter, type SegmentationModel } from './segmenter.js';

/** Which effect: exactly one of blur, background or color; plus an optional touch-up of the person. */
export interface EffectSpec {
  /** background blur strength in pixels (1..200) */
  blur?: number;
  /** a PNG or JPEG that replaces the background, scaled to cover the frame */
  background?: string;
  /** a colour that replaces the background: '#rrggbb' */
  color?: string;
  /** touch-up of the person: brightness -100..100, contrast 0.5..2 */
  brightness?: number;
  /** the person's contrast, 0.5 to 2 (1 = unchanged) */
  contrast?: number;
}

/** Options of createEffectStage(). */
export interface EffectStageOptions {
  /** the stream to read */
  input: string;
  /** the stream to publish the result to */
  output: string;
  /** the effect */
  effect: EffectSpec;
  /** output format (default: the input's, or RGBA for MJPEG input) */
  format?: RawFormat;
  /** 'general' (256x256, default) or 'landscape' (144x256, faster) */
  model?: SegmentationModel;
}

const OPTIONS = ['input', 'output', 'effect', 'format', 'model'] as const;
/** Counting the output's readers sweeps the consumer table (a lock query per record): not on every frame. */
const READERS_CHECK_MS = 250;

/**
 * Where the time of one frame goes, in ms (averages over the last second of
 * work). `inference` runs in the worker, beside the others; `total` is the
 * main thread's share (decode + composite + encode), which sets the rate.
 */
export interface StageTimings {
  /** input frame to RGB */
  decode: number;
  /** the model, in the worker */
  inference: number;
  /** mask and blend */
  composite: number;
  /** RGB to the output format */
  encode: number;
  /** the main thread's share */
  total: number;
}

/** What the stage did. */
export interface StageStats {
  /** frames published to the output */
  processed: number;
  /** true while nobody reads the output and the stage takes no frames */
  idle: boolean;
  /** frames that could not be processed */
  failed: number;
  /** where the time of a frame goes */
  timings: StageTimings;
}

export function parseEffect(spec: EffectSpec): Effect {
  const given = (['blur', 'background', 'color'] as const).filter((k) => spec[k] !== undefined);
  if (given.length !== 1) throw new VidbusError('ERR_INVALID_OPTION', 'Give exactly one effect: blur (a strength), background (a picture) or color (#rrggbb)');
  if (spec.blur !== undefined) return { kind: 'blur', radius: spec.blur };
  if (spec.background !== undefined) return { kind: 'image', image: loadImage(spec.background) };
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(spec.color!);
  if (!m) throw invalidOption('color', 'a colour such as #00ff00', spec.color);
  return { kind: 'color', rgb: [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] };
}

/** Background effects between two streams (see createEffectStage): idle while nothing reads the output. */
export class EffectStage implements AsyncDisposable {
  private producer: Producer | undefined;
  private compositor: Compositor | undefined;
  private rgba: { layout: FrameLayout; data: Uint8Array; out: Uint8Array } | undefined;
  private readonly fitter = new FrameFitter();
  /** the newest finished mask, and the inference under way */
  private mask: Float32Array | undefined;
  private inflight: Promise<void> | undefined;
  private inferenceMs = 0;
  private processed = 0;
  private failed = 0;
  private idle = true;
  private closed = false;
  private readonly sums: StageTimings = { decode: 0, inference: 0, composite: 0, encode: 0, total: 0 };
  private timings: StageTimings = { decode: 0, inference: 0, composite: 0, encode: 0, total: 0 };
  private windowStart = Date.now();
  private windowFrames = 0;
  private readonly loop: Promise<void>;
  /** whether anyone reads the output, re-checked at most every READERS_CHECK_MS */
  private readers = { count: 0, checkedMs: -Infinity };

  private constructor(
    private readonly options: EffectStageOptions,
    private readonly effect: Effect,
    private readonly consumer: Consumer,
    private readonly segmenter: Segmenter,
  ) {
    this.loop = this.run();
  }

  /** Opens the input, creates the output and loads the model. */
  static async create(options: EffectStageOptions): Promise<EffectStage> {
    rejectUnknownOptions('createEffectStage', options, OPTIONS);
    if (typeof options.input !== 'string') throw invalidOption('input', 'a stream name', options.input);
    if (typeof options.output !== 'string') throw invalidOption('output', 'a stream name', options.output);
    if (options.input === options.output) throw invalidOption('output', 'a stream other than the input', options.output);
    if (options.format !== undefined && (!isPixelFormat(options.format) || formatInfo(options.format).encoded)) throw invalidOption('format', 'a raw pixel format', options.format);
    const effect = parseEffect(options.effect ?? {});
    // The input must exist now (a clear error), then it is followed across producer restarts.
    const consumer = await followExistingStream(options.input);
    let segmenter: Segmenter;
    try {
      segmenter = await Segmenter.create(options.model ? { model: options.model } : {});
    } catch (e) {
      consumer.close();
      throw e;
    }
    const stage = new EffectStage(options, effect, consumer, segmenter);
    try {
      const input = consumer.stream;
      if (!input) throw new VidbusError('ERR_STREAM_NOT_FOUND', `Stream "${options.input}" went away while the effect started; start its producer again.`);
      await stage.ensureOutput(input.layout);
    } catch (e) {
      await stage.close();
      throw e;
    }
    return stage;
  }

  /** Creates (or re-creates, when the input's size changes) the output stream and the buffers. */
  private async ensureOutput(input: FrameLayout): Promise<void> {
    const { width, height } = input;
    if (this.producer && this.rgba && this.rgba.layout.width === width && this.rgba.layout.height === height) return;
    this.producer?.close();
    const format = this.options.format ?? (formatInfo(input.format).encoded ? 'RGBA' : input.format);
    const even = (v: number) => v - (v % 2);
    const w = formatInfo(format).widthMultiple === 2 ? even(width) : width;
    const h = formatInfo(format).heightMultiple === 2 ? even(height) : height;
    const fps = this.consumer.stream?.fps ?? { num: 30, den: 1 };
    this.producer = await createProducer(this.options.output, { width: w, height: h, format, fps });
    const layout = frameLayout('RGBA', width, height);
    this.rgba = { layout, data: new Uint8Array(layout.frameBytes), out: new Uint8Array(layout.frameBytes) };
    const { brightness, contrast } = this.options.effect;
    this.compositor = new Compositor(width, height, this.effect, { ...(brightness !== undefined ? { brightness } : {}), ...(contrast !== undefined ? { contrast } : {}) });
  }

  /** The output stream's name. */
  get output(): string {
    return this.options.output;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      // Idle while nobody reads the output: take no frames, run no model.
      if (this.readerCount() === 0) {
        this.idle = true;
        await sleep(100);
        continue;
      }
      this.idle = false;
      let frame: Frame | null;
      try {
        frame = await this.consumer.next({ timeoutMs: 200 });
      } catch (e) {
        if (this.closed || (isVidbusError(e) && e.code === 'ERR_CLOSED')) return;
        await sleep(200);
        continue;
      }
      if (!frame) continue;
      try {
        await this.process(frame);
      } catch (e) {
        if (this.closed) return;
        this.failed++;
        if (!isVidbusError(e)) throw e;
      } finally {
        frame.release();
      }
    }
  }

  private readerCount(): number {
    const now = Date.now();
    if (now - this.readers.checkedMs >= READERS_CHECK_MS) this.readers = { count: this.producer?.stats().consumers ?? 0, checkedMs: now };
    return this.readers.count;
  }

  private async process(frame: Frame): Promise<void> {
    const t0 = monoNs();
    await this.ensureOutput(frame.layout);
    const rgba = this.rgba!;
    const data = formatInfo(frame.format).encoded ? frame.data.subarray(0, frame.size) : frame.data;
    this.fitter.fit(data, frame.layout, rgba.data, rgba.layout);
    const t1 = monoNs();
    if (!this.inflight) {
      // segment() has copied (and scaled) the picture by the time it returns: rgba may be reused.
      const started = monoNs();
      this.inflight = this.segmenter.segment(rgba.data, rgba.layout).then(
        (mask) => {
          this.mask = mask;
          this.inferenceMs = Number(monoNs() - started) / 1e6;
          this.inflight = undefined;
        },
        () => {
          // Nobody may be waiting for this promise: count the failure, keep the last mask.
          this.failed++;
          this.inflight = undefined;
        },
      );
    }
    if (!this.mask) await this.inflight; // the very first frame waits for its own mask
    if (this.closed) return;
    if (!this.mask) throw new VidbusError('ERR_MODEL_LOAD', 'the segmentation worker failed on the first frame');
    const t2 = monoNs();
    this.compositor!.apply(rgba.data, this.mask!, this.segmenter.inputWidth, this.segmenter.inputHeight, rgba.out);
    const t3 = monoNs();
    const producer = this.producer!;
    const out = producer.loan();
    if (out) {
      try {
        fitFrame(rgba.out, rgba.layout, out.data, producer.layout);
      } catch (e) {
        producer.discard(out); // never a half-written frame
        throw e;
      }
      producer.publish(out, { timestamp: frame.timestamp, wallClock: frame.wallClock });
      this.processed++;
    }
    const t4 = monoNs();
    this.record({ decode: t1 - t0, inference: BigInt(Math.round(this.inferenceMs * 1e6)), composite: t3 - t2, encode: t4 - t3, total: t4 - t0 - (t2 - t1) });
  }

  private record(t: Record<keyof StageTimings, bigint>): void {
    for (const k of Object.keys(this.sums) as (keyof StageTimings)[]) this.sums[k] += Number(t[k]) / 1e6;
    this.windowFrames++;
    if (Date.now() - this.windowStart >= 1000) {
      const n = this.windowFrames;
      this.timings = Object.fromEntries(Object.entries(this.sums).map(([k, v]) => [k, +(v / n).toFixed(2)])) as unknown as StageTimings;
      for (const k of Object.keys(this.sums) as (keyof StageTimings)[]) this.sums[k] = 0;
      this.windowFrames = 0;
      this.windowStart = Date.now();
    }
  }

  /** What the stage did and where the time goes. */
  stats(): StageStats {
    return { processed: this.processed, idle: this.idle, failed: this.failed, timings: this.timings };
  }

  /** Stops, closes both streams and the worker. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.consumer.close();
    await this.loop.catch(() => undefined);
    await this.segmenter.close();
    this.fitter.close();
    this.producer?.close();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Background blur or replacement as a stage from `input` to `output`: `await using stage = await createEffectStage({ input: 'cam0', output: 'cam0-fx', effect: { blur: 12 } })`. */
export function createEffectStage(options: EffectStageOptions): Promise<EffectStage> {
  return EffectStage.create(options);
}
