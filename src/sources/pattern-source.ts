/**
 * A test-pattern source: colour bars, a marker moving one step per frame,
 * and the frame number and time burned in, published at a steady rate in
 * any raw format. What `vidbus stream --pattern` and the demo publish.
 */
import { createProducer, type Producer, type ProducerStats } from '../bus/producer.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { fitFrame } from '../video/convert.js';
import { fpsToRational, frameLayout, isRawFormat, RAW_FORMATS, type FrameLayout, type RawFormat } from '../video/formats.js';
import { Pacer } from '../video/pacer.js';
import { drawPattern, patternLabel } from '../video/pattern.js';
import { Completion, rawSizeAndFormat, type Source, type SourceKind } from './source.js';

/** Options of createPatternSource(). */
export interface PatternSourceOptions {
  /** the stream to publish */
  name: string;
  /** pixels (default 1280) */
  width?: number;
  /** pixels (default 720) */
  height?: number;
  /** frames per second (default 30) */
  fps?: number;
  /** any raw format (default RGBA) */
  format?: RawFormat;
  /** burn in the frame number and time (default true) */
  label?: boolean;
}

const OPTIONS = ['name', 'width', 'height', 'fps', 'format', 'label'] as const;

export class PatternSource implements Source {
  readonly kind = 'pattern';
  readonly description: string;
  onNotice: ((message: string) => void) | undefined;
  private readonly completion = new Completion();
  private readonly rgbaLayout: FrameLayout;
  private readonly rgba: Uint8Array;
  private n = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;

  private constructor(
    /** the stream's producer */
    readonly producer: Producer,
    private readonly fps: number,
    private readonly label: boolean,
  ) {
    const l = producer.layout;
    this.description = `test pattern ${l.width}x${l.height} ${l.format} @ ${fps} fps`;
    this.rgbaLayout = frameLayout('RGBA', l.width, l.height);
    this.rgba = new Uint8Array(this.rgbaLayout.frameBytes);
    this.loop = this.run();
  }

  /** Creates the stream and starts publishing. */
  static async create(options: PatternSourceOptions): Promise<PatternSource> {
    rejectUnknownOptions('createPatternSource', options, OPTIONS);
    const width = checkInteger('width', options.width ?? 1280, 16, 7680);
    const height = checkInteger('height', options.height ?? 720, 16, 4320);
    const fps = options.fps ?? 30;
    if (typeof fps !== 'number' || !(fps > 0 && fps <= 1000)) throw invalidOption('fps', 'a number above 0 and at most 1000', fps);
    const format = options.format ?? 'RGBA';
    if (!isRawFormat(format)) throw invalidOption('format', `a raw pixel format (${RAW_FORMATS.join(', ')})`, format);
    const producer = await createProducer(options.name, { width, height, format, fps: fpsToRational(fps) });
    return new PatternSource(producer, fps, options.label ?? true);
  }

  get stream(): string {
    return this.producer.name;
  }

  /** Resolves once closed (a pattern never ends by itself). */
  get done(): Promise<void> {
    return this.completion.promise;
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
    this.completion.resolve();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A test pattern onto a bus stream: `await using p = await createPatternSource({ name: 'test', width: 640, height: 480 })`. */
export function createPatternSource(options: PatternSourceOptions): Promise<PatternSource> {
  return PatternSource.create(options);
}

/** `vidbus stream --pattern`. */
export const patternSourceKind: SourceKind<PatternSourceOptions> = {
  kind: 'pattern',
  summary: 'a test pattern: bars, a moving marker, frame number and time burned in',
  options: {},
  fromCli: (_main, common) => ({ name: common.name, ...rawSizeAndFormat(common), ...(common.fps !== undefined ? { fps: common.fps } : {}) }),
  create: (options) => PatternSource.create(options),
};
