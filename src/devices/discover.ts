/**
 * `vidbus devices`: every V4L2 node on the machine, classified by what it
 * is for, from its capabilities and formats: a camera (capture), a
 * loopback device (and which side is open now), an encoder or decoder
 * (memory-to-memory with compressed data on one side), a converter
 * (memory-to-memory, raw on both sides), an output, or other (metadata,
 * VBI, radio...). On request, each node's formats with sizes and rates.
 */
import { isVidbusError } from '../errors.js';
import { openVideoNode, queryCapabilities, V4L2_CAP, videoNodePaths, type DeviceCapabilities } from '../native/v4l2.js';
import { BUF_TYPE, enumerateFormats, enumerateFrameRates, enumerateFrameSizes, type FormatDescription, type FrameRates, type FrameSize } from '../native/v4l2-stream.js';
import { exclusiveCapsFlags, LOOPBACK_DRIVER } from './loopback.js';
import { formatFromFourcc } from '../video/formats.js';
import { closeSync } from 'node:fs';

/** What a video node is for, from its capabilities and formats. */
export type DeviceRole = 'camera' | 'loopback-output' | 'loopback-capture' | 'loopback-idle' | 'encoder' | 'decoder' | 'converter' | 'output' | 'other';

/** One format of a device, with its sizes and rates. */
export interface FormatDetail {
  /** the FourCC, e.g. 'YUYV' */
  fourcc: string;
  /** vidbus's name for it, when vidbus handles it */
  format: string | undefined;
  /** the driver's name for it */
  description: string;
  /** an encoded format */
  compressed: boolean;
  /** discrete sizes with their rates, or the ranges the device accepts */
  sizes: SizeWithRates[] | FrameSize[];
}

/** A discrete size and the rates offered at it. */
export interface SizeWithRates {
  /** pixels */
  width: number;
  /** pixels */
  height: number;
  /** frames per second offered at this size */
  fps: number[];
}

/** One /dev/video node, classified. */
export interface DeviceInfo {
  /** the node, e.g. /dev/video0 */
  path: string;
  /** what it is for */
  role: DeviceRole;
  /** the driver's name */
  driver: string;
  /** the device's label */
  card: string;
  /** where it is attached */
  busInfo: string;
  /** the driver's kernel version */
  version: string;
  /** loopback devices: whether Chrome can see it (exclusive_caps=1) */
  exclusiveCaps?: boolean;
  /** formats on the side that matters (capture for cameras; both for mem2mem) */
  formats?: {
    /** what it captures */
    capture?: FormatDetail[];
    /** what it takes */
    output?: FormatDetail[];
  };
  /** why the node could not be read, if it could not */
  error?: string;
}

const M2M = V4L2_CAP.VIDEO_M2M | V4L2_CAP.VIDEO_M2M_MPLANE;

/** Role from capabilities and, for mem2mem nodes, which side carries compressed formats. */
export function classify(caps: DeviceCapabilities, captureFormats: FormatDescription[], outputFormats: FormatDescription[]): DeviceRole {
  if (caps.driver === LOOPBACK_DRIVER) return caps.canCapture ? 'loopback-capture' : caps.canOutput ? 'loopback-output' : 'loopback-idle';
  if (caps.caps & M2M) {
    const compressedIn = outputFormats.some((f) => f.compressed);
    const compressedOut = captureFormats.some((f) => f.compressed);
    if (compressedIn && !compressedOut) return 'decoder';
    if (compressedOut && !compressedIn) return 'encoder';
    return 'converter';
  }
  if (caps.canCapture) return 'camera';
  if (caps.canOutput) return 'output';
  return 'other';
}

const rateList = (r: FrameRates) => (r.kind === 'discrete' ? r.rates.map((x) => +(x.num / x.den).toFixed(3)) : [+(r.min.num / r.min.den).toFixed(3), +(r.max.num / r.max.den).toFixed(3)]);

function detail(fd: number, f: FormatDescription, withSizes: boolean): FormatDetail {
  const base = { fourcc: f.fourcc, format: formatFromFourcc(f.pixelFormat), description: f.description, compressed: f.compressed };
  if (!withSizes) return { ...base, sizes: [] };
  const sizes = enumerateFrameSizes(fd, f.pixelFormat);
  if (sizes.some((s) => s.kind === 'range')) return { ...base, sizes };
  return {
    ...base,
    sizes: sizes.map((s) => {
      const d = s as { width: number; height: number };
      let fps: number[] = [];
      try {
        fps = rateList(enumerateFrameRates(fd, f.pixelFormat, d.width, d.height));
      } catch {
        // some drivers list sizes but not rates
      }
      return { width: d.width, height: d.height, fps };
    }),
  };
}

function safeFormats(fd: number, types: number[]): FormatDescription[] {
  for (const t of types) {
    try {
      const list = enumerateFormats(fd, t);
      if (list.length > 0) return list;
    } catch {
      // this node does not have that buffer type
    }
  }
  return [];
}

/**
 * Every /dev/videoN node, classified. `formats: true` adds the formats with
 * their sizes and rates (slower: one ioctl per size); `sizes: false` keeps
 * only the formats (what is needed to pick an encoder).
 */
export function listDevices(options: { formats?: boolean; sizes?: boolean } = {}): DeviceInfo[] {
  const withSizes = options.sizes !== false;
  const exclusive = exclusiveCapsFlags();
  let loopbackIndex = 0;
  const out: DeviceInfo[] = [];
  for (const path of videoNodePaths()) {
    let caps: DeviceCapabilities;
    try {
      caps = queryCapabilities(path);
    } catch (e) {
      out.push({ path, role: 'other', driver: '', card: '', busInfo: '', version: '', error: isVidbusError(e) ? e.message : String(e) });
      continue;
    }
    let captureFormats: FormatDescription[] = [];
    let outputFormats: FormatDescription[] = [];
    let fd: number | undefined;
    try {
      fd = openVideoNode(path);
      captureFormats = safeFormats(fd, [BUF_TYPE.CAPTURE, BUF_TYPE.CAPTURE_MPLANE]);
      outputFormats = safeFormats(fd, [BUF_TYPE.OUTPUT, BUF_TYPE.OUTPUT_MPLANE]);
    } catch {
      // busy or no permission: classify from capabilities alone
    }
    const role = classify(caps, captureFormats, outputFormats);
    const info: DeviceInfo = { path, role, driver: caps.driver, card: caps.card, busInfo: caps.busInfo, version: caps.version };
    if (caps.driver === LOOPBACK_DRIVER) {
      const flag = exclusive[loopbackIndex++];
      if (flag !== undefined) info.exclusiveCaps = flag;
    }
    if (options.formats && fd !== undefined) {
      info.formats = {};
      if (captureFormats.length) info.formats.capture = captureFormats.map((f) => detail(fd!, f, withSizes));
      if (outputFormats.length) info.formats.output = outputFormats.map((f) => detail(fd!, f, withSizes));
    }
    if (fd !== undefined) closeSync(fd);
    out.push(info);
  }
  return out;
}

/** A human-readable listing. */
export function formatDevices(devices: DeviceInfo[]): string {
  if (devices.length === 0) return 'No video devices (/dev/video*). Cameras need their driver (uvcvideo); virtual cameras need v4l2loopback: `vidbus doctor`.\n';
  const lines: string[] = [];
  for (const d of devices) {
    const extra = d.exclusiveCaps === undefined ? '' : d.exclusiveCaps ? ', exclusive_caps on' : ', exclusive_caps OFF (Chrome will not list it)';
    lines.push(`${d.path}  ${d.role}  "${d.card}"  (${d.driver}${d.busInfo ? `, ${d.busInfo}` : ''}${extra})${d.error ? `  ${d.error}` : ''}`);
    for (const [side, list] of Object.entries(d.formats ?? {}) as [string, FormatDetail[]][]) {
      for (const f of list) {
        lines.push(`    ${side} ${f.format ?? f.fourcc} (${f.description})${f.compressed ? ' compressed' : ''}`);
        for (const s of f.sizes) {
          if ('kind' in s) lines.push(`      ${s.kind === 'range' ? `${s.minWidth}x${s.minHeight} to ${s.maxWidth}x${s.maxHeight}` : `${s.width}x${s.height}`}`);
          else lines.push(`      ${s.width}x${s.height}${s.fps.length ? `  ${s.fps.join(', ')} fps` : ''}`);
        }
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
