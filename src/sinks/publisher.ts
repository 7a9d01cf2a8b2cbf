/**
 * `vidbus publish`: a bus stream leaves the machine through an existing
 * media server. An H.264 (or, for RTSP, HEVC) stream goes out as it is; a
 * raw stream is encoded first by an encode stage this publisher starts
 * (src/encode/). The access units reach an ffmpeg child in an MPEG
 * transport stream timed by the bus (src/video/mpegts.ts), and ffmpeg sends
 * them as RTP or to an RTSP server. When ffmpeg ends (the server went away,
 * refused, restarted), it is started again after a pause that grows to 5 s,
 * and the stream restarts at a keyframe (reopening the reader makes the
 * encode stage force one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { VidbusError } from '../errors.js';
import { openConsumer, readingEnded, type Consumer } from '../bus/consumer.js';
import { inspectStream } from '../bus/streams.js';
import { validateStreamName } from '../bus/names.js';
import { startEncodeStage, type EncodeStage, type EncoderChoice } from '../encode/encode-stage.js';
import { requireTool } from '../util/ffmpeg.js';
import { checkInteger, rejectUnknownOptions } from '../util/options.js';
import { sleep } from '../util/clock.js';
import { TsWriter, type TsCodec } from '../video/mpegts.js';
import { ffmpegOutput, parseTarget, type PublishTarget } from './publish-target.js';

/** Options of Publisher.start(). */
export interface PublisherOptions {
  /** the bus stream: H.264 (HEVC for RTSP) goes as it is, raw is encoded to H.264 first */
  stream: string;
  /** rtp://host:port or rtsp://host:port/path */
  to: string;
  /** raw streams: the encoder's bit rate (default 2.5 Mb/s) */
  bitrate?: number;
  /** raw streams: frames between keyframes (default 30: a viewer who joins waits at most a second) */
  gop?: number;
  /** raw streams: which H.264 encoder (default auto) */
  encoder?: EncoderChoice;
  /** RTP payload type (default 96), as the receiver (a Janus mountpoint's videopt) expects */
  payloadType?: number;
}

/** What the publisher has sent. */
export interface PublisherStats {
  /** access units handed to ffmpeg */
  frames: number;
  /** their bytes */
  bytes: number;
  /** times ffmpeg was started again after it ended */
  restarts: number;
  /** ffmpeg is running and taking frames */
  sending: boolean;
  /** the raw stream is being encoded by a stage this publisher started */
  encoding: boolean;
}

const OPTIONS = ['stream', 'to', 'bitrate', 'gop', 'encoder', 'payloadType'] as const;
const MAX_BACKOFF_MS = 5000;

/** A stream going out to a media server (see the module comment). */
export class Publisher implements AsyncDisposable {
  /** things a person should know while it runs: ffmpeg ended, sending again */
  onNotice: ((message: string) => void) | undefined;
  private frames = 0;
  private bytes = 0;
  private restarts = 0;
  private ffmpeg: ChildProcess | undefined;
  private consumer: Consumer | undefined;
  private closed = false;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly source: string,
    private readonly codec: TsCodec,
    private readonly target: PublishTarget,
    private readonly payloadType: number,
    private readonly stage: EncodeStage | undefined,
  ) {
    this.loop = this.run();
    this.loop.catch(() => undefined); // reported through done and close()
  }

  /** Starts publishing; ERR_STREAM_NOT_FOUND, ERR_FORMAT_UNSUPPORTED, ERR_INVALID_OPTION, ERR_TOOL_MISSING say why not. */
  static async start(options: PublisherOptions): Promise<Publisher> {
    rejectUnknownOptions('Publisher', options, OPTIONS);
    validateStreamName(options.stream);
    const target = parseTarget(options.to);
    const payloadType = checkInteger('payloadType', options.payloadType ?? 96, 96, 127);
    requireTool('ffmpeg');
    const info = inspectStream(options.stream);
    const format = info.description?.layout.format;
    if (info.status !== 'live' || !format) throw new VidbusError('ERR_STREAM_NOT_FOUND', `No live stream "${options.stream}" to publish (vidbus list shows the streams)`);
    if (format === 'H264' || (format === 'HEVC' && target.kind === 'rtsp')) return new Publisher(options.stream, format, target, payloadType, undefined);
    if (format === 'HEVC' || format === 'MJPEG') {
      throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${format} cannot go to ${target.kind === 'rtp' ? 'a WebRTC gateway' : 'an RTSP server'} as it is; publish the raw stream (it is encoded to H.264) or an H.264 one`);
    }
    const encoded = `${options.stream.slice(0, 55)}-publish`;
    const stage = await startEncodeStage({
      input: options.stream,
      output: encoded,
      codec: 'h264',
      profile: 'baseline',
      bitrate: options.bitrate ?? 2_500_000,
      gop: options.gop ?? 30,
      ...(options.encoder !== undefined ? { encoder: options.encoder } : {}),
    });
    try {
      await stage.ready();
    } catch (e) {
      await stage.close();
      throw e;
    }
    return new Publisher(encoded, 'H264', target, payloadType, stage);
  }

  /** What has been sent. */
  stats(): PublisherStats {
    return { frames: this.frames, bytes: this.bytes, restarts: this.restarts, sending: this.ffmpeg !== undefined, encoding: this.stage !== undefined };
  }

  /** Where it goes, for messages. */
  get destination(): string {
    return `${this.target.kind}://${this.target.where}`;
  }

  private async run(): Promise<void> {
    let backoff = 500;
    while (!this.closed) {
      const started = Date.now();
      const ended = await this.session();
      if (this.closed) return;
      if (ended === 'stream-ended') throw new VidbusError('ERR_STREAM_ENDED', `The stream "${this.source}" ended`);
      if (Date.now() - started > 10_000) backoff = 500; // it ran for a while: the next failure is a new one
      this.onNotice?.(`ffmpeg stopped sending to ${this.destination} (${ended}); trying again in ${(backoff / 1000).toFixed(1)} s`);
      await sleep(backoff);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      this.restarts++;
    }
  }

  /** One ffmpeg run, from a keyframe until ffmpeg or the stream ends: why it ended. */
  private async session(): Promise<string> {
    const consumer = await openConsumer(this.source, { policy: 'every', follow: true });
    this.consumer = consumer;
    const ffmpeg = spawn(
      'ffmpeg',
      // Little probing: the first unit is a keyframe with its parameter sets, all ffmpeg needs to know.
      ['-hide_banner', '-loglevel', 'error', '-nostdin', '-probesize', '32', '-analyzeduration', '0', '-f', 'mpegts', '-i', 'pipe:0',
        '-map', '0:v', '-c:v', 'copy', '-flush_packets', '1', ...ffmpegOutput(this.target, this.payloadType)],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    this.ffmpeg = ffmpeg;
    let stderr = '';
    ffmpeg.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    ffmpeg.stdin!.on('error', () => undefined); // its exit says why
    const exited = new Promise<string>((resolve) => ffmpeg.once('exit', (code, signal) => resolve(stderr.trim().split('\n').pop() || `exit ${code ?? signal}`)));
    let why: string | undefined;
    void exited.then((w) => {
      why = w;
      consumer.close(); // ends the read below
    });
    const ts = new TsWriter(this.codec); // from a keyframe, and from the next one after a unit is dropped
    try {
      for (;;) {
        let frame;
        try {
          frame = await consumer.next();
        } catch (e) {
          if (readingEnded(e)) break;
          throw e;
        }
        if (!frame) break;
        try {
          if (ffmpeg.stdin!.writableLength > 8 << 20) {
            ts.resync(); // a stalled server is not queued for
            continue;
          }
          const packets = ts.write(frame.data.subarray(0, frame.size), frame.timestamp, frame.keyframe);
          if (!packets) continue;
          ffmpeg.stdin!.write(packets);
          this.frames++;
          this.bytes += frame.size;
        } finally {
          frame.release();
        }
      }
    } finally {
      this.consumer = undefined;
      consumer.close();
      this.ffmpeg = undefined;
      if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
        ffmpeg.stdin!.end();
        const killer = setTimeout(() => ffmpeg.kill('SIGKILL'), 2000);
        ffmpeg.kill('SIGTERM');
        await exited;
        clearTimeout(killer);
      }
    }
    return why ?? (this.closed ? 'closed' : 'stream-ended');
  }

  /** Stops sending (and the encode stage, if it started one). Idempotent. */
  async close(): Promise<PublisherStats> {
    if (!this.closed) {
      this.closed = true;
      this.consumer?.close();
      this.ffmpeg?.kill('SIGTERM');
    }
    await this.loop.catch(() => undefined);
    await this.stage?.close();
    return this.stats();
  }

  /** Resolves when publishing ends by itself (the stream ended); rejects with why. Closing ends it too. */
  get done(): Promise<void> {
    return this.loop;
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
