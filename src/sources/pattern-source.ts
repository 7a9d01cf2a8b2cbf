/**
 * A test-pattern source: colour bars, a marker moving one step per frame,
 * and the frame number and time burned in, published at a steady rate in
 * any raw format. What `vidbus stream --pattern` and the demo publish.
 */
import { createProducer, type Producer, type ProducerStats } from '../bus/producer.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../bus/options.js';
import { fitFrame } from '../video/convert.js';
import { formatInfo, frameLayout, isPixelFormat, type FrameLayout, type PixelFormat } from '../video/formats.js';
import { Pacer } from '../video/pacer.js';
import { drawPattern, patternLabel } from '../video/pattern.js';

export interface PatternSourceOptions {
  name: string;
  width?: number;
  height?: number;
  fps?: number;
  /** any raw format (default RGBA) */
  format?: PixelFormat;
  /** burn in the frame number and time (default true) */
  label?: boolean;
}

const OPTIONS = ['name', 'width', 'height', 'fps', 'format', 'label'] as const;

export class PatternSource implements AsyncDisposable {
  private readonly rgbaLayout: FrameLayout;
  private readonly rgba: Uint8Array;
  private n = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;

  private constructor(
    readonly producer: Producer,
    private readonly fps: number,
    private readonly label: boolean,
  ) {
    this.rgbaLayout = frameLayout('RGBA', producer.layout.width, producer.layout.height);
    this.rgba = new Uint8Array(this.rgbaLayout.frameBytes);
    this.loop = this.run();
  }

  static async start(options: PatternSourceOptions): Promise<PatternSource> {
    rejectUnknownOptions('createPatternSource', options, OPTIONS);
    const width = checkInteger('width', options.width ?? 1280, 16, 7680);
    const height = checkInteger('height', options.height ?? 720, 16, 4320);
    const fps = options.fps ?? 30;
    if (typeof fps !== 'number' || !(fps > 0 && fps <= 1000)) throw invalidOption('fps', 'a number above 0 and at most 1000', fps);
    const format = options.format ?? 'RGBA';
    if (!isPixelFormat(format) || formatInfo(format).encoded) throw invalidOption('format', 'a raw pixel format (RGBA, BGRA, RGB24, BGR24, YUYV, UYVY, NV12, I420, GRAY8)', format);
    const rate = Number.isInteger(fps) ? { num: fps, den: 1 } : { num: Math.round(fps * 1000), den: 1000 };
    const producer = await createProducer(options.name, { width, height, format, fps: rate });
    return new PatternSource(producer, fps, options.label ?? true);
  }

  get stream(): string {
    return this.producer.name;
  }

  /** The producer's stats (the final ones once closed). */
  stats(): ProducerStats {
    return this.producer.stats();
  }

  private async run(): Promise<void> {
    const pacer = new Pacer(this.fps);
    // The producer may be closed under us (SIGINT cleanup in src/bus/exit.ts): then stop.
    while (!this.closed && !this.producer.isClosed) {
      const frame = this.producer.loan();
      if (frame) {
        const now = Date.now();
        const direct = this.producer.layout.format === 'RGBA';
        const target = direct ? frame.data : this.rgba;
        drawPattern(target, direct ? this.producer.layout : this.rgbaLayout, this.n, this.label ? patternLabel(this.n, now) : undefined);
        if (!direct) fitFrame(this.rgba, this.rgbaLayout, frame.data, this.producer.layout);
        this.producer.publish(frame, { wallClock: BigInt(now) * 1_000_000n });
      }
      this.n++;
      await pacer.wait(this.abort.signal);
    }
  }

  /** Stops publishing and removes the stream. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await this.loop;
    this.producer.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export function createPatternSource(options: PatternSourceOptions): Promise<PatternSource> {
  return PatternSource.start(options);
}
