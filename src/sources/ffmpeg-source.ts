/**
 * Any file, URL or device ffmpeg can read, onto the bus: ffmpeg decodes in
 * a child process and writes raw frames to a pipe; each frame is copied
 * once into a loaned bus slot. Files play at their own rate (-re) and can
 * loop; the stream ends when the input does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VidbusError } from '../errors.js';
import { createProducer, type LoanedFrame, type Producer } from '../bus/producer.js';
import { invalidOption, rejectUnknownOptions } from '../util/options.js';
import { formatInfo, fpsToRational, isRawFormat, RAW_FORMATS, type RawFormat } from '../video/formats.js';
import { probeVideo } from '../util/ffmpeg.js';
import { rawSizeAndFormat, type Source, type SourceKind, type SourceStats } from './source.js';

/** Options of createFfmpegSource(). */
export interface FfmpegSourceOptions {
  /** the stream to publish */
  name: string;
  /** a file, URL or anything ffmpeg's -i takes */
  input: string;
  /** output size (default: the input's) */
  width?: number;
  /** output height (default: the input's) */
  height?: number;
  /** raw format on the bus (default I420) */
  format?: RawFormat;
  /** start again at the end (files) */
  loop?: boolean;
}

const OPTIONS = ['name', 'input', 'width', 'height', 'format', 'loop'] as const;

/** Frames published and dropped. */
export type FfmpegSourceStats = SourceStats;

/** Anything ffmpeg reads, decoded by an ffmpeg child onto a bus stream (see createFfmpegSource). */
export class FfmpegSource implements Source {
  readonly kind = 'input';
  readonly description: string;
  onNotice: ((message: string) => void) | undefined;
  private loaned: LoanedFrame | null = null;
  private filled = 0;
  private published = 0;
  private dropped = 0;
  private stderr = '';
  private closing = false;
  readonly done: Promise<void>;

  private constructor(
    /** the stream's producer */
    readonly producer: Producer,
    private readonly ffmpeg: ChildProcess,
    options: FfmpegSourceOptions,
  ) {
    const l = producer.layout;
    this.description = `${options.input} (ffmpeg) ${l.width}x${l.height} ${l.format}${options.loop ? ', looping' : ''}`;
    ffmpeg.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    ffmpeg.stdout!.on('data', (chunk: Buffer) => this.take(chunk));
    this.done = new Promise((resolve, reject) => {
      ffmpeg.once('exit', (code, signal) => {
        if (this.loaned && !producer.isClosed) producer.discard(this.loaned);
        this.loaned = null;
        producer.close();
        if (this.closing || code === 0) resolve();
        else reject(new VidbusError('ERR_TOOL_FAILED', `ffmpeg stopped reading the input (${signal ?? `exit ${code}`}): ${this.stderr.trim()}`));
      });
    });
    this.done.catch(() => undefined);
  }

  /** Probes the input, creates the stream and starts ffmpeg. */
  static async create(options: FfmpegSourceOptions): Promise<FfmpegSource> {
    rejectUnknownOptions('createFfmpegSource', options, OPTIONS);
    if (typeof options.input !== 'string' || options.input === '') throw invalidOption('input', 'a file, URL or device', options.input);
    const format = options.format ?? 'I420';
    if (!isRawFormat(format)) throw invalidOption('format', `a raw pixel format (${RAW_FORMATS.join(', ')})`, format);
    const isFile = existsSync(options.input);
    if (!isFile && !/^[a-z][a-z0-9+.-]*:/i.test(options.input)) {
      throw new VidbusError('ERR_INVALID_OPTION', `${options.input} is neither a file nor a URL. Give the path of a video file, or a URL ffmpeg can open.`);
    }
    const probed = probeVideo(options.input);
    const even = (v: number) => Math.max(2, v - (v % 2));
    const width = options.width ?? even(probed.width);
    const height = options.height ?? even(probed.height);
    const fps = probed.fps ?? 30;
    const producer = await createProducer(options.name, { width, height, format, fps: fpsToRational(fps) });
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
    if (isFile) args.push('-re'); // a file at its own pace, like a camera
    if (options.loop) args.push('-stream_loop', '-1');
    args.push('-i', options.input, '-an', '-vf', `scale=${width}:${height}`, '-pix_fmt', formatInfo(format).ffmpeg, '-f', 'rawvideo', 'pipe:1');
    const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new FfmpegSource(producer, ffmpeg, options);
  }

  get stream(): string {
    return this.producer.name;
  }

  /** Copies piped bytes into bus slots, a frame at a time. */
  private take(chunk: Buffer): void {
    if (this.producer.isClosed) return; // closed by SIGINT cleanup (src/bus/exit.ts) while ffmpeg winds down
    const frameBytes = this.producer.layout.frameBytes;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0) {
        this.loaned = this.producer.loan(); // null: every slot held, this frame is dropped
        if (!this.loaned) this.dropped++;
      }
      const n = Math.min(frameBytes - this.filled, chunk.length - offset);
      this.loaned?.data.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === frameBytes) {
        if (this.loaned) {
          this.producer.publish(this.loaned);
          this.published++;
        }
        this.loaned = null;
        this.filled = 0;
      }
    }
  }

  /** Frames published and dropped. */
  stats(): FfmpegSourceStats {
    return { published: this.published, dropped: this.dropped };
  }

  /** Stops ffmpeg and removes the stream. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.ffmpeg.exitCode === null && this.ffmpeg.signalCode === null) this.ffmpeg.kill('SIGTERM');
    await this.done.catch(() => undefined);
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A file, URL or device decoded by ffmpeg onto a bus stream, at its own rate: `await createFfmpegSource({ input: 'clip.mp4', name: 'clip', loop: true })`. */
export function createFfmpegSource(options: FfmpegSourceOptions): Promise<FfmpegSource> {
  return FfmpegSource.create(options);
}

/** `vidbus stream --input FILE|URL`. */
export const ffmpegSourceKind: SourceKind<FfmpegSourceOptions> = {
  kind: 'input',
  argument: 'file or URL',
  summary: 'any file, URL or device ffmpeg reads, decoded onto the bus at its own rate',
  options: { loop: { type: 'boolean', help: 'start the file again at its end' } },
  fromCli(input, common, values) {
    if (common.fps !== undefined) throw invalidOption('--fps', 'no value: files play at their own rate', common.fps);
    return { name: common.name, input: String(input), ...rawSizeAndFormat(common), ...(values.loop === true ? { loop: true } : {}) };
  },
  create: (options) => FfmpegSource.create(options),
};
