/**
 * Writing frames into a v4l2loopback device, the way that keeps it working
 * (../shared/anchors.md §4): QUERYCAP (must be the loopback driver, with
 * OUTPUT free), S_FMT on the OUTPUT type and check what the driver returned,
 * S_PARM for the frame rate, STREAMON before writing even with write() (a
 * write()-only writer leaves an exclusive_caps device announcing neither
 * capture nor output once it closes: the "works once" bug), one write() per
 * frame of exactly the image size, STREAMOFF on close.
 *
 * Not the sizeimage S_FMT returns: on a device with no format yet, 0.12.7
 * returns the page-aligned buffer size there (vidioc_s_fmt_out), and a write
 * of that many bytes makes readers see bytesused larger than the image
 * ("Dequeued v4l2 buffer contains 155648 bytes, but 153600 were expected",
 * v4l2loopback #283).
 */
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { VidbusError, fsError } from '../errors.js';
import { loadNative } from '../native/binding.js';
import { queryCapabilities, videoNodePaths, type DeviceCapabilities } from '../native/v4l2.js';
import { formatInfo, fourccToU32, frameLayout, type FrameLayout, type PixelFormat } from '../video/formats.js';

export const LOOPBACK_DRIVER = 'v4l2 loopback';
const BUF_TYPE_OUTPUT = 2;

export type LoopbackFormat = 'YUYV' | 'UYVY' | 'I420' | 'NV12' | 'RGBA' | 'BGRA' | 'RGB24' | 'BGR24' | 'GRAY8';

/** The line that gives a device Chrome can see (exclusive_caps=1). */
export const MODPROBE_LINE = 'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="vidbus camera"';
const MODPROBE_HINT = `Load the module with a device Chrome can see: ${MODPROBE_LINE} (Debian: apt-get install v4l2loopback-dkms).`;

/** Every v4l2loopback node on the machine, with its capabilities now. */
export function listLoopbackDevices(): DeviceCapabilities[] {
  const out: DeviceCapabilities[] = [];
  for (const path of videoNodePaths()) {
    try {
      const caps = queryCapabilities(path);
      if (caps.driver === LOOPBACK_DRIVER) out.push(caps);
    } catch {
      // not ours to judge here: permission or another driver
    }
  }
  return out;
}

/**
 * exclusive_caps of each loopback device, in device order (the module
 * parameter is a comma-separated list of Y/N), or [] when not loaded.
 */
export function exclusiveCapsFlags(): boolean[] {
  const text = readText('/sys/module/v4l2loopback/parameters/exclusive_caps');
  return text === undefined ? [] : text.split(',').map((v) => v.trim() === 'Y' || v.trim() === '1');
}

/** A small system file (sysfs, /proc) as trimmed text, or undefined when it cannot be read. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Picks the device: a path, a card label, or the first loopback device with OUTPUT free. */
export function resolveLoopbackDevice(device?: string): DeviceCapabilities {
  if (device !== undefined && device.startsWith('/')) {
    if (!existsSync(device)) throw new VidbusError('ERR_DEVICE_NOT_FOUND', `${device} does not exist. ${MODPROBE_HINT}`);
    const caps = queryCapabilities(device);
    if (caps.driver !== LOOPBACK_DRIVER) {
      throw new VidbusError('ERR_NOT_A_LOOPBACK_DEVICE', `${device} is a "${caps.driver}" device (${caps.card}), not v4l2loopback. Pick a loopback device: \`v4l2-ctl --list-devices\`.`);
    }
    return caps;
  }
  const all = listLoopbackDevices();
  if (all.length === 0) {
    throw new VidbusError('ERR_NO_LOOPBACK_DEVICE', `No v4l2loopback device found. ${MODPROBE_HINT}`);
  }
  const candidates = device === undefined ? all : all.filter((d) => d.card === device);
  if (candidates.length === 0) {
    throw new VidbusError('ERR_DEVICE_NOT_FOUND', `No v4l2loopback device labelled "${device}". Found: ${all.map((d) => `${d.path} "${d.card}"`).join(', ')}.`);
  }
  const free = candidates.find((d) => d.canOutput);
  if (!free) {
    throw new VidbusError(
      'ERR_DEVICE_BUSY',
      `Every matching loopback device already has a writer (${candidates.map((d) => d.path).join(', ')}): with exclusive_caps=1 a device offers OUTPUT only while nobody writes to it. Stop the other writer, or load more devices (devices=2).`,
    );
  }
  return free;
}

export interface LoopbackOutputOptions {
  device?: string;
  width: number;
  height: number;
  format?: LoopbackFormat;
  /** frames per second announced to readers (num/den) */
  fps?: { num: number; den: number };
}

/** An open v4l2loopback device, configured and streaming. */
export class LoopbackOutput implements Disposable {
  readonly path: string;
  readonly card: string;
  readonly layout: FrameLayout;
  /** bytes written per frame: the image size of the negotiated format */
  readonly frameBytes: number;
  private fd: number;

  private constructor(path: string, card: string, fd: number, layout: FrameLayout, frameBytes: number) {
    this.path = path;
    this.card = card;
    this.fd = fd;
    this.layout = layout;
    this.frameBytes = frameBytes;
  }

  static open(options: LoopbackOutputOptions): LoopbackOutput {
    const format: PixelFormat = options.format ?? 'YUYV';
    const layout = frameLayout(format, options.width, options.height);
    const caps = resolveLoopbackDevice(options.device);
    if (!caps.canOutput) {
      throw new VidbusError('ERR_DEVICE_BUSY', `${caps.path} ("${caps.card}") already has a writer, or is stuck offering neither capture nor output. Stop the other writer; if none runs, reload the module (sudo modprobe -r v4l2loopback).`);
    }
    let fd: number;
    try {
      fd = openSync(caps.path, constants.O_RDWR);
    } catch (e) {
      const err = fsError(e, `opening ${caps.path}`);
      if (err.code === 'ERR_PERMISSION') err.message = `${caps.path}: permission denied. Add yourself to the 'video' group (sudo usermod -aG video $USER) and log in again.`;
      throw err;
    }
    const native = loadNative();
    try {
      const want = fourccToU32(formatInfo(format).fourcc);
      let got;
      try {
        got = native.v4l2SetFormat(fd, BUF_TYPE_OUTPUT, layout.width, layout.height, want);
      } catch (e) {
        if (e instanceof VidbusError && e.errno === 'EBUSY') {
          throw new VidbusError('ERR_DEVICE_BUSY', `${caps.path} is busy: another process has set its format. Stop it and try again.`, { errno: e.errno });
        }
        throw e;
      }
      // The driver keeps the old format while a reader holds it, or with
      // keep_format=1, and says so only through what S_FMT returns.
      if (got.width !== layout.width || got.height !== layout.height || got.pixelFormat !== want) {
        throw new VidbusError(
          'ERR_FORMAT_REJECTED',
          `${caps.path} kept ${got.width}x${got.height} instead of ${layout.width}x${layout.height} ${format}: a reader still holds the old format (or keep_format=1). Close its readers, or use that size.`,
        );
      }
      const stride = layout.planes[0]!.stride;
      if (got.sizeImage < layout.frameBytes || (got.bytesPerLine !== 0 && got.bytesPerLine !== stride)) {
        throw new VidbusError(
          'ERR_FORMAT_REJECTED',
          `${caps.path} wants ${got.bytesPerLine} bytes per line and ${got.sizeImage} per frame; ${format} ${layout.width}x${layout.height} has ${stride} and ${layout.frameBytes}`,
        );
      }
      const fps = options.fps ?? { num: 30, den: 1 };
      native.v4l2SetFrameRate(fd, BUF_TYPE_OUTPUT, fps.num, fps.den);
      native.v4l2Stream(fd, BUF_TYPE_OUTPUT, true);
      return new LoopbackOutput(caps.path, caps.card, fd, layout, layout.frameBytes);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Writes one frame: exactly `frameBytes` bytes in the device's layout. */
  write(frame: Uint8Array): void {
    if (this.fd < 0) throw new VidbusError('ERR_CLOSED', `${this.path} is closed`);
    if (frame.length < this.frameBytes) {
      throw new VidbusError('ERR_FRAME_SIZE', `${this.path} takes ${this.frameBytes} bytes per frame; received ${frame.length}`);
    }
    writeSync(this.fd, frame, 0, this.frameBytes);
  }

  /** STREAMOFF and close; idempotent. */
  close(): void {
    if (this.fd < 0) return;
    try {
      loadNative().v4l2Stream(this.fd, BUF_TYPE_OUTPUT, false);
    } catch {
      // the device may be gone; closing is what matters
    }
    closeSync(this.fd);
    this.fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
