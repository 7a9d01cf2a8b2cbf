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
import { invalidOption, rejectUnknownOptions } from '../bus/options.js';
import { formatInfo, isPixelFormat, type RawFormat } from '../video/formats.js';
import { FFMPEG_PIX_FMT, probeVideo } from './ffmpeg-tool.js';

export interface FfmpegSourceOptions {
  name: string;
  /** a file, URL or anything ffmpeg's -i takes */
  input: string;
  /** output size (default: the input's) */
  width?: number;
  height?: number;
  /** raw format on the bus (default I420) */
  format?: RawFormat;
  /** start again at the end (files) */
  loop?: boolean;
}

const OPTIONS = ['name', 'input', 'width', 'height', 'format', 'loop'] as const;

export interface FfmpegSourceStats {
  published: number;
  dropped: number;
}

export class FfmpegSource {
  private loaned: LoanedFrame | null = null;
  private filled = 0;
  private published = 0;
  private dropped = 0;
  private stderr = '';
  private closing = false;
  readonly done: Promise<void>;

  private constructor(
    readonly producer: Producer,
    private readonly ffmpeg: ChildProcess,
  ) {
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

  static async start(options: FfmpegSourceOptions): Promise<FfmpegSource> {
    rejectUnknownOptions('createFfmpegSource', options, OPTIONS);
    if (typeof options.input !== 'string' || options.input === '') throw invalidOption('input', 'a file, URL or device', options.input);
    const format = options.format ?? 'I420';
    if (!isPixelFormat(format) || formatInfo(format).encoded) throw invalidOption('format', 'a raw pixel format', format);
    const isFile = existsSync(options.input);
    if (!isFile && !/^[a-z][a-z0-9+.-]*:/i.test(options.input)) {
      throw new VidbusError('ERR_INVALID_OPTION', `${options.input} is neither a file nor a URL. Give the path of a video file, or a URL ffmpeg can open.`);
    }
    const probed = probeVideo(options.input);
    const even = (v: number) => Math.max(2, v - (v % 2));
    const width = options.width ?? even(probed.width);
    const height = options.height ?? even(probed.height);
    const fps = probed.fps ?? 30;
    const rate = Number.isInteger(fps) ? { num: fps, den: 1 } : { num: Math.round(fps * 1000), den: 1000 };
    const producer = await createProducer(options.name, { width, height, format, fps: rate });
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
    if (isFile) args.push('-re'); // a file at its own pace, like a camera
    if (options.loop) args.push('-stream_loop', '-1');
    args.push('-i', options.input, '-an', '-vf', `scale=${width}:${height}`, '-pix_fmt', FFMPEG_PIX_FMT[format], '-f', 'rawvideo', 'pipe:1');
    const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new FfmpegSource(producer, ffmpeg);
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

  stats(): FfmpegSourceStats {
    return { published: this.published, dropped: this.dropped };
  }

  /** Stops ffmpeg and removes the stream. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.ffmpeg.exitCode === null && this.ffmpeg.signalCode === null) this.ffmpeg.kill('SIGTERM');
    await this.done.catch(() => undefined);
  }
}

export function createFfmpegSource(options: FfmpegSourceOptions): Promise<FfmpegSource> {
  return FfmpegSource.start(options);
}
