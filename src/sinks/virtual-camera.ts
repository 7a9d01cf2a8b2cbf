/**
 * A virtual camera for programs that want no daemon, as simple as
 * pyvirtualcam's:
 *
 *   using cam = await VirtualCamera.open({ width: 1280, height: 720, fps: 30 });
 *   for (;;) { cam.send(rgba); await cam.sleepUntilNextFrame(); }
 *
 * Frames go in as RGBA (or another packed RGB format), are converted to
 * the device's format (YUYV by default), and written to a v4l2loopback
 * device, or (backend 'pipewire', no kernel module) a PipeWire camera node;
 * 'auto' takes a free loopback device if there is one, PipeWire otherwise. Pacing is monotonic: a late frame moves the schedule on rather
 * than letting latency build up.
 */
import { VidbusError } from '../errors.js';
import { canConvert, convertFrame } from '../video/convert.js';
import { frameLayout, type FrameLayout, type PixelFormat, type RawFormat } from '../video/formats.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { Pacer } from '../video/pacer.js';
import { cameraSinkOptions, chooseSink, DEFAULT_SINK, openSink, type FrameSink } from './builtin.js';

/** Options of VirtualCamera.open(). */
export interface VirtualCameraOptions {
  /** pixels (even) */
  width: number;
  /** pixels (even) */
  height: number;
  /** frames per second (default 30) */
  fps?: number;
  /** device path or card label (default: the first free loopback device); for pipewire, the node name */
  device?: string;
  /** where frames go: 'v4l2loopback' (default), 'pipewire' (no kernel module), 'auto', or another registered sink */
  backend?: string;
  /** what readers list the camera as, where the backend lets us choose (pipewire; default "vidbus camera") */
  name?: string;
  /** what the device offers readers (default YUYV, the format browsers take best) */
  format?: RawFormat;
  /** what send() takes (default RGBA) */
  inputFormat?: 'RGBA' | 'BGRA' | 'RGB24' | 'BGR24';
}

const OPTIONS = ['width', 'height', 'fps', 'device', 'backend', 'name', 'format', 'inputFormat'] as const;

/** A virtual camera written directly, like pyvirtualcam: send() RGBA frames, sleepUntilNextFrame() between them. */
export class VirtualCamera implements Disposable {
  /** pixels */
  readonly width: number;
  /** pixels */
  readonly height: number;
  /** the rate readers are told and sleepUntilNextFrame() keeps */
  readonly fps: number;
  private readonly output: FrameSink;
  private readonly input: FrameLayout;
  private readonly buffer: Uint8Array;
  private sent = 0;
  private readonly pacer: Pacer;
  private readonly recent: bigint[] = [];

  private constructor(output: FrameSink, input: FrameLayout, fps: number) {
    this.output = output;
    this.input = input;
    this.width = input.width;
    this.height = input.height;
    this.fps = fps;
    this.buffer = new Uint8Array(output.layout.frameBytes);
    this.pacer = new Pacer(fps);
  }

  /** Opens the first free loopback device (or the given one, or a PipeWire camera node) and starts streaming to it. */
  static async open(options: VirtualCameraOptions): Promise<VirtualCamera> {
    rejectUnknownOptions('VirtualCamera.open', options, OPTIONS);
    const width = checkInteger('width', options.width, 2, 8192);
    const height = checkInteger('height', options.height, 2, 8192);
    if (width % 2 || height % 2) throw invalidOption('width and height', 'even numbers (browsers reject odd YUV sizes)', `${width}x${height}`);
    const fps = options.fps ?? 30;
    if (typeof fps !== 'number' || !(fps > 0 && fps <= 240)) throw invalidOption('fps', 'a number above 0 and at most 240', fps);
    const inputFormat: PixelFormat = options.inputFormat ?? 'RGBA';
    const format = options.format ?? 'YUYV';
    if (!canConvert(inputFormat, format)) throw invalidOption('inputFormat and format', 'raw pixel formats', `${inputFormat} -> ${format}`);
    const input = frameLayout(inputFormat, width, height);
    const backend = chooseSink(options.backend ?? DEFAULT_SINK, options.device);
    const output = await openSink(backend, cameraSinkOptions({ width, height, format, fps }, options.device, options.name));
    return new VirtualCamera(output, input, fps);
  }

  /** The device path (e.g. /dev/video10), or the PipeWire node name. */
  get device(): string {
    return this.output.target;
  }

  /** What readers list it as: the card label, or the node description. */
  get label(): string {
    return this.output.label;
  }

  /** The sink backend in use ('v4l2loopback', 'pipewire', ...). */
  get backend(): string {
    return this.output.backend;
  }

  /** Frames sent so far. */
  get framesSent(): number {
    return this.sent;
  }

  /** Frames sent during the last second. */
  get currentFps(): number {
    const cutoff = process.hrtime.bigint() - 1_000_000_000n;
    while (this.recent.length > 0 && this.recent[0]! < cutoff) this.recent.shift();
    return this.recent.length;
  }

  /** Sends one frame in the input format (RGBA by default). */
  send(frame: Uint8Array): void {
    if (!(frame instanceof Uint8Array) || frame.length !== this.input.frameBytes) {
      throw new VidbusError('ERR_FRAME_SIZE', `Expected ${this.input.frameBytes} bytes of ${this.input.format} ${this.width}x${this.height} but received ${frame instanceof Uint8Array ? frame.length : typeof frame}`);
    }
    convertFrame(frame, this.input, this.buffer, this.output.layout);
    this.output.write(this.buffer);
    this.sent++;
    const now = process.hrtime.bigint();
    this.recent.push(now);
    if (this.recent.length > 4 * this.fps) this.recent.shift();
  }

  /** Waits until the next frame is due. A late caller is not made to catch up. */
  sleepUntilNextFrame(): Promise<void> {
    return this.pacer.wait();
  }

  /** Stops streaming (STREAMOFF) and closes the device. Idempotent. */
  close(): void {
    this.output.close();
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}
