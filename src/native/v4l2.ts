/**
 * V4L2 device queries. The addon runs the ioctl; this file names the bits.
 * Capability flags from <linux/videodev2.h>.
 */
import { closeSync, constants, openSync, readdirSync } from 'node:fs';
import { VidbusError, fsError } from '../errors.js';
import { loadNative } from './binding.js';

export const V4L2_CAP = {
  VIDEO_CAPTURE: 0x00000001,
  VIDEO_OUTPUT: 0x00000002,
  VIDEO_M2M: 0x00008000,
  VIDEO_CAPTURE_MPLANE: 0x00001000,
  VIDEO_OUTPUT_MPLANE: 0x00002000,
  VIDEO_M2M_MPLANE: 0x00004000,
  READWRITE: 0x01000000,
  STREAMING: 0x04000000,
  DEVICE_CAPS: 0x80000000,
} as const;

/** What a video node says about itself (VIDIOC_QUERYCAP), decoded. */
export interface DeviceCapabilities {
  /** the node, e.g. /dev/video0 */
  path: string;
  /** the driver's name, e.g. 'uvcvideo', 'v4l2 loopback' */
  driver: string;
  /** the device's label, e.g. 'HD Webcam' */
  card: string;
  /** where it is attached, e.g. 'usb-0000:00:14.0-1' */
  busInfo: string;
  /** kernel version of the driver, e.g. '6.1.192' */
  version: string;
  /** capabilities of this node (device_caps when the driver reports them) */
  caps: number;
  /** it captures video (a camera, or a loopback device with a writer) */
  canCapture: boolean;
  /** it takes video (a loopback device free for a writer, an output) */
  canOutput: boolean;
  /** it supports streaming I/O (buffers) */
  streaming: boolean;
  /** it supports read()/write() */
  readWrite: boolean;
}

/** Paths of /dev/videoN nodes, in N order. */
export function videoNodePaths(): string[] {
  let names: string[];
  try {
    names = readdirSync('/dev').filter((f) => /^video\d+$/.test(f));
  } catch {
    return [];
  }
  return names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))).map((n) => `/dev/${n}`);
}

export interface OpenVideoNodeOptions {
  /** open with O_NONBLOCK (default true: capture is driven by readiness, queries never wait) */
  nonBlocking?: boolean;
  /** what to say when the node does not exist (default: how to list devices) */
  missingHint?: string;
}

/**
 * Opens a /dev/video node read-write, with an error that says what to do:
 * ERR_DEVICE_NOT_FOUND, ERR_DEVICE_BUSY, or ERR_PERMISSION with the
 * `video` group hint. Every open of a video node goes through here.
 */
export function openVideoNode(path: string, options: OpenVideoNodeOptions = {}): number {
  try {
    return openSync(path, constants.O_RDWR | (options.nonBlocking === false ? 0 : constants.O_NONBLOCK));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VidbusError('ERR_DEVICE_NOT_FOUND', `${path} does not exist. ${options.missingHint ?? '`vidbus devices` lists the video devices this machine has.'}`, { errno: code });
    if (code === 'EBUSY') throw new VidbusError('ERR_DEVICE_BUSY', `${path} is busy: another program is using it. Close it and try again.`, { errno: code });
    const err = fsError(e, `opening ${path}`);
    if (err.code === 'ERR_PERMISSION') err.message = `${path}: permission denied. Add yourself to the 'video' group (sudo usermod -aG video $USER) and log in again.`;
    throw err;
  }
}

/** Opens `path`, runs VIDIOC_QUERYCAP and closes it again. */
export function queryCapabilities(path: string): DeviceCapabilities {
  const fd = openVideoNode(path);
  try {
    let raw;
    try {
      raw = loadNative().v4l2QueryCap(fd);
    } catch (e) {
      if (e instanceof VidbusError && (e.errno === 'ENOTTY' || e.errno === 'EINVAL')) {
        throw new VidbusError('ERR_NOT_A_V4L2_DEVICE', `${path} is not a V4L2 video device`, { errno: e.errno, syscall: e.syscall });
      }
      throw e;
    }
    const caps = raw.capabilities & V4L2_CAP.DEVICE_CAPS ? raw.deviceCaps : raw.capabilities;
    return {
      path,
      driver: raw.driver,
      card: raw.card,
      busInfo: raw.busInfo,
      version: `${(raw.version >>> 16) & 0xff}.${(raw.version >>> 8) & 0xff}.${raw.version & 0xff}`,
      caps,
      canCapture: (caps & (V4L2_CAP.VIDEO_CAPTURE | V4L2_CAP.VIDEO_CAPTURE_MPLANE)) !== 0,
      canOutput: (caps & (V4L2_CAP.VIDEO_OUTPUT | V4L2_CAP.VIDEO_OUTPUT_MPLANE)) !== 0,
      streaming: (caps & V4L2_CAP.STREAMING) !== 0,
      readWrite: (caps & V4L2_CAP.READWRITE) !== 0,
    };
  } finally {
    closeSync(fd);
  }
}
