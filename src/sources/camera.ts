/**
 * Cameras onto the bus: `createCameraSource({ device, name })` captures
 * from a V4L2 device with streaming I/O (no ffmpeg, no blocking: readiness
 * comes from the event loop) and publishes every frame to a bus stream,
 * raw formats as they are, MJPEG as it is or decoded. With `follow`, an
 * unplugged camera is waited for and capture resumes into the same stream.
 *
 *   await using cam = await createCameraSource({ device: '/dev/video0', name: 'cam0' });
 *   console.log(cam.negotiated);   // { format: 'YUYV', width: 1280, height: 720, fps: 30, io: 'userptr', ... }
 *   await cam.done;                // ends with ERR_DEVICE_GONE if the camera goes away
 */
import { EventEmitter } from 'node:events';
import { closeSync, existsSync } from 'node:fs';
import { VidbusError, isVidbusError } from '../errors.js';
import { createProducer, type Producer } from '../bus/producer.js';
import { checkBoolean, checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { openVideoNode, queryCapabilities } from '../native/v4l2.js';
import { BUF_TYPE, currentFrameRate, enumerateFormats, enumerateFrameRates, enumerateFrameSizes } from '../native/v4l2-stream.js';
import { JPEG_TARGETS } from '../native/jpeg.js';
import { formatInfo, fourccToU32, frameLayout, isPixelFormat, type PixelFormat } from '../video/formats.js';
import { Completion, type Source, type SourceKind } from './source.js';
import { chooseFormat, chooseRate, chooseSize } from './camera-negotiate.js';
import { CaptureSession, setCaptureFormat, type CaptureIo, type SessionCounters, type SessionSettings } from './capture-session.js';

/** Options of createCameraSource(). */
export interface CameraSourceOptions {
  /** the V4L2 capture node, e.g. /dev/video0 */
  device: string;
  /** the bus stream to publish */
  name: string;
  /** pixel format (vidbus name such as YUYV, or a FourCC); default: the best the camera offers */
  format?: string;
  /** frame width (with height; default: the best size the camera offers) */
  width?: number;
  /** frame height (with width) */
  height?: number;
  /** frames per second to ask for (default: the camera's own) */
  fps?: number;
  /** 'auto' (default): the camera writes into bus slots (USERPTR) where it can, else one copy (MMAP) */
  io?: 'auto' | CaptureIo;
  /** driver buffers (default 4) */
  buffers?: number;
  /** MJPEG cameras: publish frames decoded to this format (RGBA, BGRA, RGB24, BGR24, GRAY8) */
  decode?: string;
  /** wait for an unplugged camera to come back, and resume (default false) */
  follow?: boolean;
  /** file mode of the stream (default 0o600) */
  mode?: number;
  /** group to share the stream with */
  group?: string | number;
}

const OPTIONS = ['device', 'name', 'format', 'width', 'height', 'fps', 'io', 'buffers', 'decode', 'follow', 'mode', 'group'] as const;

/** What the camera and vidbus agreed on. */
export interface CameraNegotiated {
  /** the device path */
  device: string;
  /** the camera's label */
  card: string;
  /** its driver */
  driver: string;
  /** what the camera delivers */
  format: PixelFormat;
  /** what the stream carries (the same, or the decoded format) */
  published: PixelFormat;
  /** pixels */
  width: number;
  /** pixels */
  height: number;
  /** frames per second the driver reports, or undefined if it does not say */
  fps: number | undefined;
  /** the driver's row length (the bus strides follow it, so a frame is one block copy or none) */
  bytesPerLine: number;
  /** the driver's buffer size per frame */
  sizeImage: number;
  /** how frames reach the bus: the driver writes into bus slots (userptr) or one copy (mmap) */
  io: CaptureIo;
}

/** What a camera source counted. */
export interface CameraStats extends SessionCounters {
  /** times the camera came back (follow) */
  reconnects: number;
  /** capturing, waiting for an unplugged camera (follow), or closed */
  state: 'capturing' | 'waiting-for-device' | 'closed';
}

/** How often a followed camera that went away is looked for. */
const RECONNECT_INTERVAL_MS = 500;

/** The events a CameraSource emits. */
export interface CameraSourceEvents {
  /** the camera went away (unplugged, driver unloaded); with `follow` it is waited for */
  'device-lost': [error: VidbusError];
  /** a followed camera came back and capture resumed into the same stream */
  'device-back': [path: string];
  /** the source ended: closed (no error) or failed */
  end: [error: VidbusError | undefined];
}

/** A V4L2 camera publishing to a bus stream (see createCameraSource). */
export class CameraSource extends EventEmitter<CameraSourceEvents> implements Source {
  readonly kind = 'camera';
  /** what was agreed with the camera */
  readonly negotiated: CameraNegotiated;
  onNotice: ((message: string) => void) | undefined;
  private readonly completion = new Completion();
  private session: CaptureSession | undefined;
  private readonly counters: SessionCounters = { captured: 0, published: 0, dropped: 0, driverDropped: 0, errorFrames: 0 };
  private reconnects = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly producer: Producer,
    private readonly settings: SessionSettings,
    private readonly follow: boolean,
    negotiated: CameraNegotiated,
  ) {
    super();
    this.negotiated = negotiated;
  }

  get stream(): string {
    return this.producer.name;
  }

  /** Resolves on close(); rejects with ERR_DEVICE_GONE when the camera goes away and `follow` is off. */
  get done(): Promise<void> {
    return this.completion.promise;
  }

  get description(): string {
    const n = this.negotiated;
    const fps = n.fps !== undefined ? `${+n.fps.toFixed(2)} fps` : 'driver rate';
    return `${n.device} "${n.card}" ${n.width}x${n.height} ${n.format}${n.published !== n.format ? ` decoded to ${n.published}` : ''} @ ${fps}, ${n.io === 'userptr' ? 'zero copy (USERPTR)' : 'one copy (MMAP)'}`;
  }

  /** Opens the camera, negotiates format, size and rate, creates the stream and starts capturing. */
  static async create(options: CameraSourceOptions): Promise<CameraSource> {
    rejectUnknownOptions('createCameraSource', options, OPTIONS);
    if (typeof options.device !== 'string' || options.device === '') throw invalidOption('device', 'a device path such as /dev/video0', options.device);
    if (typeof options.name !== 'string') throw invalidOption('name', 'a stream name', options.name);
    const io = options.io ?? 'auto';
    if (!['auto', 'userptr', 'mmap'].includes(io)) throw invalidOption('io', "'auto', 'userptr' or 'mmap'", io);
    const buffers = checkInteger('buffers', options.buffers ?? 4, 2, 32);
    const follow = checkBoolean('follow', options.follow ?? false);
    const path = options.device;
    if (!existsSync(path)) throw new VidbusError('ERR_DEVICE_NOT_FOUND', `${path} does not exist. \`vidbus devices\` lists the cameras this machine has.`);
    const caps = queryCapabilities(path);
    if (!caps.canCapture || !caps.streaming) {
      throw new VidbusError(
        'ERR_NOT_A_CAMERA',
        `${path} ("${caps.card}", driver ${caps.driver}) ${caps.canCapture ? 'cannot stream' : 'does not capture video'}. \`vidbus devices\` lists which nodes are cameras.`,
      );
    }
    const fd = openVideoNode(path);
    let settings: SessionSettings;
    let negotiatedFormat;
    try {
      const format = chooseFormat(path, enumerateFormats(fd, BUF_TYPE.CAPTURE), options.format);
      const pixelFormat = fourccToU32(formatInfo(format).fourcc);
      const wantedSize = options.width !== undefined || options.height !== undefined ? { width: checkInteger('width', options.width, 1, 16384), height: checkInteger('height', options.height, 1, 16384) } : undefined;
      const size = chooseSize(path, format, enumerateFrameSizes(fd, pixelFormat), wantedSize);
      const fps = options.fps === undefined ? undefined : Number(options.fps);
      if (fps !== undefined && !(fps > 0 && fps <= 1000)) throw invalidOption('fps', 'a number above 0 and at most 1000', options.fps);
      const rate = chooseRate(path, enumerateFrameRates(fd, pixelFormat, size.width, size.height), fps);
      let decodeTo: PixelFormat | undefined;
      if (options.decode !== undefined) {
        const d = options.decode.toUpperCase();
        if (!isPixelFormat(d) || !(JPEG_TARGETS as readonly string[]).includes(d)) throw invalidOption('decode', JPEG_TARGETS.join(', '), options.decode);
        if (format !== 'MJPEG') throw invalidOption('decode', 'used with an MJPEG camera only', `${options.decode} (the camera sends ${format})`);
        decodeTo = d;
      }
      settings = { path, format, width: size.width, height: size.height, rate, io, buffers, ...(decodeTo ? { decodeTo } : {}) };
      negotiatedFormat = setCaptureFormat(fd, settings);
    } catch (e) {
      closeQuietly(fd);
      throw e;
    }
    const published = settings.decodeTo ?? settings.format;
    let producer: Producer;
    try {
      producer = await createProducer(options.name, {
        width: settings.width,
        height: settings.height,
        format: published,
        ...(settings.rate ? { fps: settings.rate } : {}),
        slots: Math.min(64, buffers + 4), // the driver's buffers plus room for consumers' holds
        ...producerLayout(published, settings.width, settings.height, negotiatedFormat.bytesPerLine, negotiatedFormat.sizeImage, settings.decodeTo !== undefined),
        ...(options.mode !== undefined ? { mode: options.mode } : {}),
        ...(options.group !== undefined ? { group: options.group } : {}),
      });
    } catch (e) {
      closeQuietly(fd);
      throw e;
    }
    const rateNow = safeRate(fd);
    const negotiated: CameraNegotiated = {
      device: path,
      card: caps.card,
      driver: caps.driver,
      format: settings.format,
      published,
      width: settings.width,
      height: settings.height,
      fps: rateNow,
      bytesPerLine: negotiatedFormat.bytesPerLine,
      sizeImage: negotiatedFormat.sizeImage,
      io: 'mmap',
    };
    const source = new CameraSource(producer, settings, follow, negotiated);
    try {
      source.session = CaptureSession.start(fd, settings, negotiatedFormat, producer, source.counters, (e) => source.onLost(e));
    } catch (e) {
      producer.close();
      throw e;
    }
    negotiated.io = source.session.io;
    return source;
  }

  private onLost(error: VidbusError): void {
    this.session = undefined;
    if (this.closed) return;
    this.emit('device-lost', error);
    this.onNotice?.(`${error.message}${this.follow ? '; waiting for it to come back' : ''}`);
    if (!this.follow) {
      this.finish(error);
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => this.tryReconnect(), RECONNECT_INTERVAL_MS);
  }

  private tryReconnect(): void {
    if (this.closed) return;
    let fd: number;
    try {
      fd = openVideoNode(this.settings.path);
    } catch {
      return this.scheduleReconnect(); // not back yet (or busy for a moment)
    }
    let negotiated;
    try {
      negotiated = setCaptureFormat(fd, this.settings);
    } catch (e) {
      closeQuietly(fd);
      if (isVidbusError(e) && e.code === 'ERR_FORMAT_UNSUPPORTED') {
        // Another device took the path: following it would publish the wrong thing.
        this.finish(new VidbusError('ERR_DEVICE_GONE', `${this.settings.path} came back but no longer offers ${this.settings.width}x${this.settings.height} ${this.settings.format}: ${e.message}`));
        return;
      }
      return this.scheduleReconnect();
    }
    try {
      this.session = CaptureSession.start(fd, this.settings, negotiated, this.producer, this.counters, (e) => this.onLost(e));
    } catch {
      return this.scheduleReconnect(); // start() closed the fd
    }
    this.reconnects++;
    this.emit('device-back', this.settings.path);
    this.onNotice?.('the camera is back');
  }

  private finish(error?: VidbusError): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.session?.close();
    this.session = undefined;
    this.producer.close();
    if (error) this.completion.reject(error);
    else this.completion.resolve();
    this.emit('end', error);
  }

  /** Frames captured, published, dropped, and the state. */
  stats(): CameraStats {
    return { ...this.counters, reconnects: this.reconnects, state: this.closed ? 'closed' : this.session ? 'capturing' : 'waiting-for-device' };
  }

  /** Stops capturing and removes the stream. Idempotent. */
  async close(): Promise<void> {
    this.finish();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A V4L2 camera onto a bus stream: `await using cam = await createCameraSource({ device: '/dev/video0', name: 'cam0' })`. */
export function createCameraSource(options: CameraSourceOptions): Promise<CameraSource> {
  return CameraSource.create(options);
}

const IO_CHOICES = ['auto', 'userptr', 'mmap'] as const;

/** `vidbus stream --device /dev/videoN`. */
export const cameraSourceKind: SourceKind<CameraSourceOptions> = {
  kind: 'camera',
  flag: 'device',
  argument: 'camera',
  summary: 'a V4L2 camera (zero copy where the driver allows)',
  options: {
    io: { type: 'string', value: 'auto|userptr|mmap', help: 'USERPTR writes into bus slots (zero copy); MMAP copies once (default auto)' },
    buffers: { type: 'string', value: 'N', help: 'driver buffers (default 4)' },
    decode: { type: 'string', value: 'FORMAT', help: `publish an MJPEG camera decoded (${JPEG_TARGETS.join(', ')})` },
    follow: { type: 'boolean', help: 'wait for an unplugged camera to come back, and resume' },
  },
  fromCli(device, common, values) {
    const io = (values.io as string | undefined) ?? 'auto';
    if (!(IO_CHOICES as readonly string[]).includes(io)) throw invalidOption('--io', 'auto, userptr or mmap', io);
    const options: CameraSourceOptions = { device: String(device), name: common.name, io: io as CameraSourceOptions['io'] };
    if (common.format !== undefined) options.format = common.format;
    if (common.width !== undefined) Object.assign(options, { width: common.width, height: common.height });
    if (common.fps !== undefined) options.fps = common.fps;
    if (values.buffers !== undefined) {
      const n = Number(values.buffers);
      if (!Number.isInteger(n) || n <= 0) throw invalidOption('--buffers', 'a positive integer', values.buffers);
      options.buffers = n;
    }
    if (values.decode !== undefined) options.decode = String(values.decode);
    if (values.follow === true) options.follow = true;
    return options;
  },
  create: (options) => CameraSource.create(options),
};

/** Bus strides that match the driver's bytes per line, so a frame is one block copy (or none). */
function producerLayout(format: PixelFormat, width: number, height: number, bytesPerLine: number, sizeImage: number, decoded: boolean): { strides?: number[]; maxFrameBytes?: number } {
  if (decoded) return {};
  if (formatInfo(format).encoded) return { maxFrameBytes: Math.max(sizeImage, 65536) };
  const natural = frameLayout(format, width, height);
  if (bytesPerLine < natural.planes[0]!.rowBytes) return {};
  if (format === 'NV12') return { strides: [bytesPerLine, bytesPerLine] };
  if (format === 'I420') return { strides: [bytesPerLine, bytesPerLine / 2, bytesPerLine / 2] };
  return { strides: [bytesPerLine] };
}

function safeRate(fd: number): number | undefined {
  try {
    const r = currentFrameRate(fd, BUF_TYPE.CAPTURE);
    return r.den > 0 && r.num > 0 ? r.num / r.den : undefined;
  } catch {
    return undefined;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing to do
  }
}
