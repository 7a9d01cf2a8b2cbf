/**
 * The encode stage: a raw bus stream in, an encoded one out (H.264, HEVC or
 * MJPEG: one bus frame per access unit, keyframes flagged, parameter sets
 * before every keyframe, capture timestamps carried over). The work is done
 * by vidbus-encode (encoder/ at the top of the repository), a C helper over
 * libavcodec and libjpeg-turbo, so that raw frames go to the encoder as views
 * of the bus slots and Node never links an encoder:
 *
 *   await using stage = await startEncodeStage({ input: 'cam0', output: 'cam0-h264', codec: 'h264', bitrate: 4_000_000 });
 *
 * Like the effect stage, it idles (takes no frames) while nothing reads the
 * output, and a reader that joins late gets a keyframe within keyframeGapMs.
 */
import { VidbusError } from '../errors.js';
import { validateStreamName } from '../bus/names.js';
import { listDevices, type DeviceInfo } from '../devices/discover.js';
import { HelperProcess, type HelperEvent, type HelperSpec } from '../util/helper-process.js';
import { checkInteger, checkOneOf, invalidOption, rejectUnknownOptions } from '../util/options.js';

/** The codecs the stage makes. */
export type EncodeCodec = 'h264' | 'hevc' | 'mjpeg';
/** Which encoder: auto (a V4L2 memory-to-memory encoder that `vidbus devices` finds, else libx264, libx265, libjpeg-turbo), or one by name. */
export type EncoderChoice = 'auto' | 'x264' | 'x265' | 'v4l2' | 'turbojpeg';

/** Options of startEncodeStage(). */
export interface EncodeStageOptions {
  /** the raw stream to read (it may come and go: the stage follows it) */
  input: string;
  /** the encoded stream to publish */
  output: string;
  /** default h264 */
  codec?: EncodeCodec;
  /** default auto */
  encoder?: EncoderChoice;
  /** bits per second (H.264/HEVC); default: the encoder's constant quality */
  bitrate?: number;
  /** frames from one keyframe to the next (default 60) */
  gop?: number;
  /** x264/x265 speed preset (default veryfast) */
  preset?: string;
  /** H.264 profile (libx264): baseline for WebRTC receivers, which decode no more (default: the encoder's choice, High) */
  profile?: 'baseline' | 'main' | 'high';
  /** MJPEG quality, 1 to 100 (default 85) */
  quality?: number;
  /** a reader that joins gets a keyframe within this, and forced keyframes come no closer (default 500 ms) */
  keyframeGapMs?: number;
  /** ring slots of the output (default 8) */
  slots?: number;
  /** how often stats() is refreshed (default 1000 ms) */
  statsIntervalMs?: number;
}

/** What the stage has done (refreshed every statsIntervalMs). */
export interface EncodeStats {
  /** encoded frames published */
  frames: number;
  /** of which keyframes */
  keyframes: number;
  /** keyframes asked for because a reader joined */
  forced: number;
  /** encoded frames not published (every slot held by readers, or larger than a slot) */
  dropped: number;
  /** encoded bytes published */
  bytes: number;
  /** readers of the output now */
  readers: number;
  /** no reader: the stage takes no frames */
  idle: boolean;
  /** time in the encoder (given to it -> encoded), p50 of the last 512 frames, µs */
  encoderP50Us: number;
  /** see encoderP50Us */
  encoderP99Us: number;
  /** raw frame published -> encoded frame published, p50, µs */
  stageP50Us: number;
  /** see stageP50Us */
  stageP99Us: number;
}

/** What the stage is encoding, once the input has a producer. */
export interface EncodeReady {
  /** the output stream */
  stream: string;
  /** the input's raw format */
  input: string;
  /** H264, HEVC or MJPEG */
  codec: string;
  /** the encoder's name: libx264, h264_v4l2m2m, turbojpeg, ... */
  encoder: string;
  /** pixels (even for H.264/HEVC) */
  width: number;
  /** pixels */
  height: number;
}

const OPTIONS = ['input', 'output', 'codec', 'encoder', 'bitrate', 'gop', 'preset', 'profile', 'quality', 'keyframeGapMs', 'slots', 'statsIntervalMs'] as const;
const CODECS: readonly EncodeCodec[] = ['h264', 'hevc', 'mjpeg'];
const ENCODERS: readonly EncoderChoice[] = ['auto', 'x264', 'x265', 'v4l2', 'turbojpeg'];
const PRESETS: readonly string[] = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'];

const ENCODE_HELPER: HelperSpec = {
  program: 'vidbus-encode',
  folder: 'encoder',
  envVar: 'VIDBUS_ENCODE_HELPER',
  buildHint: "Build it with `make -C encoder` in the vidbus checkout (it needs Debian's libavcodec-dev, libswscale-dev and libturbojpeg0-dev), or set VIDBUS_ENCODE_HELPER to its path.",
  silence: (event, timeoutMs) => new VidbusError('ERR_TOOL_FAILED', `vidbus-encode said nothing for ${timeoutMs} ms (waiting for "${event}")`),
};

const EMPTY_STATS: EncodeStats = { frames: 0, keyframes: 0, forced: 0, dropped: 0, bytes: 0, readers: 0, idle: true, encoderP50Us: 0, encoderP99Us: 0, stageP50Us: 0, stageP99Us: 0 };

/**
 * The V4L2 memory-to-memory encoder for a codec among these devices (what
 * `vidbus devices` lists as an encoder whose capture side gives H264 or
 * HEVC), or undefined. `encoder: 'auto'` tries it first.
 */
export function hardwareEncoder(devices: DeviceInfo[], codec: EncodeCodec): DeviceInfo | undefined {
  if (codec === 'mjpeg') return undefined;
  const fourcc = codec === 'hevc' ? 'HEVC' : 'H264';
  return devices.find((d) => d.role === 'encoder' && (d.formats?.capture ?? []).some((f) => f.fourcc === fourcc));
}

function findHardwareEncoder(codec: EncodeCodec): DeviceInfo | undefined {
  try {
    return hardwareEncoder(listDevices({ formats: true, sizes: false }), codec);
  } catch {
    return undefined; // no V4L2 here at all: software it is
  }
}

/** The helper's arguments for these options (checked). */
export function encodeArgs(options: EncodeStageOptions, findHardware: (codec: EncodeCodec) => DeviceInfo | undefined = findHardwareEncoder): string[] {
  rejectUnknownOptions('startEncodeStage', options, OPTIONS);
  validateStreamName(options.input);
  validateStreamName(options.output);
  if (options.input === options.output) throw invalidOption('output', 'another stream than the input', options.output);
  const codec = checkOneOf('codec', options.codec ?? 'h264', CODECS);
  const encoder = checkOneOf('encoder', options.encoder ?? 'auto', ENCODERS);
  const fits = codec === 'mjpeg' ? ['auto', 'turbojpeg'] : codec === 'h264' ? ['auto', 'x264', 'v4l2'] : ['auto', 'x265', 'v4l2'];
  if (!fits.includes(encoder)) throw invalidOption('encoder', `one that makes ${codec}: ${fits.join(', ')}`, encoder);
  const preset = checkOneOf('preset', options.preset ?? 'veryfast', PRESETS);
  const args = ['--in', options.input, '--out', options.output, '--codec', codec, '--encoder', encoder, '--preset', preset];
  // Baseline is asked for by WebRTC senders; a V4L2 encoder cannot be trusted to honour it, so they stay in software.
  if (encoder === 'auto' && options.profile === undefined && findHardware(codec)) args.push('--prefer-hardware');
  if (options.bitrate !== undefined) args.push('--bitrate', String(checkInteger('bitrate', options.bitrate, 10_000, 1_000_000_000)));
  if (options.gop !== undefined) args.push('--gop', String(checkInteger('gop', options.gop, 1, 10_000)));
  if (options.profile !== undefined) args.push('--profile', checkOneOf('profile', options.profile, ['baseline', 'main', 'high'] as const));
  if (options.quality !== undefined) args.push('--quality', String(checkInteger('quality', options.quality, 1, 100)));
  if (options.keyframeGapMs !== undefined) args.push('--keyframe-gap-ms', String(checkInteger('keyframeGapMs', options.keyframeGapMs, 0, 60_000)));
  if (options.slots !== undefined) args.push('--slots', String(checkInteger('slots', options.slots, 2, 64)));
  if (options.statsIntervalMs !== undefined) args.push('--stats-ms', String(checkInteger('statsIntervalMs', options.statsIntervalMs, 50, 60_000)));
  return args;
}

function toStats(e: HelperEvent): EncodeStats {
  const n = (k: string) => (typeof e[k] === 'number' ? (e[k] as number) : 0);
  return {
    frames: n('frames'),
    keyframes: n('keyframes'),
    forced: n('forced'),
    dropped: n('dropped'),
    bytes: n('bytes'),
    readers: n('readers'),
    idle: e.idle === true,
    encoderP50Us: n('encoder_p50_us'),
    encoderP99Us: n('encoder_p99_us'),
    stageP50Us: n('stage_p50_us'),
    stageP99Us: n('stage_p99_us'),
  };
}

/** A running encode stage (see startEncodeStage). */
export class EncodeStage implements AsyncDisposable {
  /** called each time the stage (re)opens its encoder: at the first input frame and after the input changes size or format */
  onReady: ((ready: EncodeReady) => void) | undefined;
  /** things a person should know: the hardware encoder refused the picture, so it is encoded in software */
  onNotice: ((message: string) => void) | undefined;
  /** resolves with the final stats when the stage ends: closed, or failed (then it rejects with the helper's error) */
  readonly done: Promise<EncodeStats>;
  private latest: EncodeStats = EMPTY_STATS;
  private info: EncodeReady | undefined;

  private readonly startedPromise: Promise<void>;

  private constructor(private readonly helper: HelperProcess) {
    this.startedPromise = helper.next('started').then(() => undefined);
    this.startedPromise.catch(() => undefined);
    helper.onEvent = (e) => {
      if (e.event === 'stats' || e.event === 'stopped') this.latest = toStats(e);
      if (e.event === 'notice') this.onNotice?.(String(e.message));
      if (e.event === 'ready') {
        this.info = {
          stream: String(e.stream),
          input: String(e.input),
          codec: String(e.codec),
          encoder: String(e.encoder),
          width: Number(e.width),
          height: Number(e.height),
        };
        this.onReady?.(this.info);
      }
    };
    this.done = helper.exited.then((failure) => {
      if (failure) throw failure;
      return this.latest;
    });
    this.done.catch(() => undefined); // the owner may only look at it after close()
  }

  /** Starts the helper (see startEncodeStage, which also waits until it runs). Options are checked here: ERR_INVALID_OPTION. */
  static start(options: EncodeStageOptions): EncodeStage {
    return new EncodeStage(new HelperProcess(ENCODE_HELPER, encodeArgs(options)));
  }

  /** Resolves when the helper runs and has the encoder asked for; rejects with its error. */
  get started(): Promise<void> {
    return this.startedPromise;
  }

  /** Waits until the encoder is open and the output exists (the input must have a producer); rejects with the stage's error. */
  async ready(timeoutMs = 10_000): Promise<EncodeReady> {
    if (this.info) return this.info;
    await this.helper.next('ready', timeoutMs);
    return this.info!;
  }

  /** What is being encoded, once ready. */
  get encoding(): EncodeReady | undefined {
    return this.info;
  }

  /** The vidbus-encode process's id (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.helper.pid;
  }

  /** Asks for a keyframe soon (within keyframeGapMs): for an owner that serves a new viewer from a reader it already has. */
  requestKeyframe(): void {
    this.helper.signal('SIGUSR1');
  }

  /** The latest stats. */
  stats(): EncodeStats {
    return this.latest;
  }

  /** Stops the stage (the encoder is drained; the output stream ends). Idempotent. */
  async close(): Promise<EncodeStats> {
    await this.helper.stop();
    return this.done.catch(() => this.latest);
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts an encode stage (see the module comment). Resolves once the helper
 * runs with an encoder it has (ERR_CODEC_UNAVAILABLE, ERR_TOOL_MISSING and bad
 * options fail here); the input need not exist yet: `stage.ready()` waits for it.
 */
export async function startEncodeStage(options: EncodeStageOptions): Promise<EncodeStage> {
  const stage = EncodeStage.start(options);
  try {
    await stage.started;
  } catch (e) {
    await stage.close();
    throw e;
  }
  return stage;
}
