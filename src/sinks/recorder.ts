/**
 * Recording a bus stream to a file with ffmpeg as a child process: raw
 * frames are encoded to H.264 (libx264) in MP4; H.264 and HEVC streams are
 * written as they are (no re-encoding), handed to ffmpeg in an MPEG
 * transport stream whose timestamps are the frames' own capture times, so
 * the file's timing is the bus's (a camera that slows down, or frames the
 * recorder missed, show as such instead of being squeezed to a nominal
 * rate). Recording starts at the first keyframe. Closing, or the producer
 * ending, finishes the file so it is always playable. A slow encoder never
 * slows the producer: frames it cannot take in time are counted as dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { VidbusError } from '../errors.js';
import { openConsumer, readingEnded, type Consumer } from '../bus/consumer.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { convertFrame } from '../video/convert.js';
import { formatInfo, frameLayout, type FrameLayout } from '../video/formats.js';
import { requireTool } from '../util/ffmpeg.js';
import { TsWriter } from '../video/mpegts.js';

/** Options of Recorder.start(). */
export interface RecorderOptions {
  /** the stream to record */
  stream: string;
  /** the file to write (MP4, or anything ffmpeg infers from the extension) */
  output: string;
  /** libx264 quality, 0 (lossless) to 51 (default 23) */
  crf?: number;
  /** libx264 speed preset (default veryfast) */
  preset?: string;
}

const OPTIONS = ['stream', 'output', 'crf', 'preset'] as const;
const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'];
/** Bytes allowed to queue for ffmpeg before frames are dropped instead. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** What a recording holds so far. */
export interface RecorderStats {
  /** frames written */
  frames: number;
  /** frames lost (the encoder fell behind, or the consumer missed them) */
  dropped: number;
  /** size of the file */
  bytes: number;
  /** time since it started */
  seconds: number;
  /** frames encoded per second of recording */
  fps: number;
}

/** A stream to MP4 through an ffmpeg child: libx264, or H.264 streams copied as they are. */
export class Recorder implements AsyncDisposable {
  private frames = 0;
  private dropped = 0;
  private readonly startedMs = Date.now();
  private stopping = false;
  private readonly loop: Promise<void>;
  private ffmpegError = '';
  /** resolves with the final stats when the file is finished (closed, or the producer ended) */
  readonly done: Promise<RecorderStats>;

  private constructor(
    private readonly consumer: Consumer,
    private readonly ffmpeg: ChildProcess,
    private readonly layout: FrameLayout,
    private readonly output: string,
  ) {
    ffmpeg.stderr!.on('data', (d: Buffer) => (this.ffmpegError = (this.ffmpegError + d.toString()).slice(-4000)));
    ffmpeg.stdin!.on('error', () => undefined); // ffmpeg exiting early is reported by its exit status
    this.loop = this.pump();
    this.done = this.finish();
  }

  /** Starts recording a stream to an MP4 file. */
  static async start(options: RecorderOptions): Promise<Recorder> {
    rejectUnknownOptions('Recorder', options, OPTIONS);
    if (typeof options.stream !== 'string') throw invalidOption('stream', 'a stream name', options.stream);
    if (typeof options.output !== 'string' || options.output === '') throw invalidOption('output', 'a file name', options.output);
    const crf = checkInteger('crf', options.crf ?? 23, 0, 51);
    const preset = options.preset ?? 'veryfast';
    if (!PRESETS.includes(preset)) throw invalidOption('preset', PRESETS.join(', '), preset);
    requireTool('ffmpeg');
    const consumer = await openConsumer(options.stream, { policy: 'every' });
    const desc = consumer.stream!;
    const { format, width, height } = desc.layout;
    const fps = desc.fps.den > 0 && desc.fps.num > 0 ? `${desc.fps.num}/${desc.fps.den}` : '30';
    let input: string[];
    let codec: string[];
    if (format === 'H264' || format === 'HEVC') {
      input = ['-f', 'mpegts', '-i', 'pipe:0'];
      codec = ['-c:v', 'copy'];
    } else if (!formatInfo(format).encoded) {
      input = ['-f', 'rawvideo', '-pix_fmt', formatInfo(format).ffmpeg, '-video_size', `${width}x${height}`, '-framerate', fps, '-i', 'pipe:0'];
      codec = ['-c:v', 'libx264', '-preset', preset, '-crf', String(crf), '-pix_fmt', 'yuv420p'];
    } else {
      consumer.close();
      throw new VidbusError('ERR_INVALID_OPTION', `Recording ${format} streams is not supported; record raw, H.264 or HEVC streams (vidbus encode makes H.264 from MJPEG's raw source).`);
    }
    const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...input, ...codec, '-movflags', '+faststart', options.output], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    return new Recorder(consumer, ffmpeg, desc.layout, options.output);
  }

  private async pump(): Promise<void> {
    const tight = this.layout.planes.length > 0 ? frameLayout(this.layout.format, this.layout.width, this.layout.height) : undefined;
    // An encoded recording starts at a keyframe, and after a dropped unit waits for the next: the TS writer sees to it.
    const ts = this.layout.format === 'H264' || this.layout.format === 'HEVC' ? new TsWriter(this.layout.format) : undefined;
    const stdin = this.ffmpeg.stdin!;
    for (;;) {
      let frame;
      try {
        frame = await this.consumer.next();
      } catch (e) {
        if (readingEnded(e)) return;
        throw e;
      }
      if (!frame) return; // the producer ended the stream
      try {
        if (stdin.writableLength > MAX_QUEUED_BYTES) {
          this.dropped++;
          ts?.resync();
          continue;
        }
        // A copy: the frame's slot goes back to the producer before ffmpeg reads it.
        let bytes: Buffer;
        if (ts) {
          const packets = ts.write(frame.data.subarray(0, frame.size), frame.timestamp, frame.keyframe);
          if (!packets) continue;
          bytes = packets;
        } else if (tight) {
          bytes = Buffer.allocUnsafe(tight.frameBytes);
          convertFrame(frame.data, frame.layout, bytes, tight); // rawvideo wants rows without padding
        } else {
          bytes = Buffer.from(frame.data.subarray(0, frame.size));
        }
        stdin.write(bytes);
        this.frames++;
      } finally {
        frame.release();
      }
    }
  }

  private async finish(): Promise<RecorderStats> {
    await this.loop.catch(() => undefined);
    this.ffmpeg.stdin!.end();
    const code = await new Promise<number | null>((resolve) => {
      if (this.ffmpeg.exitCode !== null) resolve(this.ffmpeg.exitCode);
      else this.ffmpeg.once('exit', (c) => resolve(c));
    });
    this.consumer.close();
    if (code !== 0) throw new VidbusError('ERR_TOOL_FAILED', `ffmpeg could not write ${this.output} (exit ${code}): ${this.ffmpegError.trim()}`);
    return this.stats();
  }

  /** What the recording holds so far. */
  stats(): RecorderStats {
    let bytes = 0;
    try {
      bytes = statSync(this.output).size;
    } catch {
      // not created yet
    }
    const seconds = (Date.now() - this.startedMs) / 1000;
    return { frames: this.frames, dropped: this.dropped + this.consumer.stats().missed, bytes, seconds, fps: this.frames / Math.max(0.001, seconds) };
  }

  /** Finishes the file (the MP4 is playable afterwards) and resolves with the final stats. Idempotent. */
  async close(): Promise<RecorderStats> {
    if (!this.stopping) {
      this.stopping = true;
      this.consumer.close();
    }
    return this.done;
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
