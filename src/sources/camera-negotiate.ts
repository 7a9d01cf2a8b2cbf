/**
 * Choosing what to capture: given what a device offers (formats, frame
 * sizes, frame rates) and what the user asked for, pick the format, size
 * and rate, or explain what the device offers instead. Pure functions, so
 * every rule is tested without a device.
 */
import { VidbusError } from '../errors.js';
import { formatFromFourcc, formatInfo, fourccToU32, isPixelFormat, type PixelFormat } from '../video/formats.js';
import type { FormatDescription, FrameRate, FrameRates, FrameSize } from '../native/v4l2-stream.js';

/** Raw formats first (no decoding needed), in the order vidbus prefers them. */
export const FORMAT_PREFERENCE: PixelFormat[] = ['YUYV', 'NV12', 'I420', 'UYVY', 'RGB24', 'BGR24', 'RGBA', 'BGRA', 'GRAY8', 'MJPEG'];

export const DEFAULT_SIZE = { width: 1280, height: 720 };

/** The format to capture: the one asked for (if offered), else the most preferred one offered. */
export function chooseFormat(path: string, offered: FormatDescription[], wanted?: string): PixelFormat {
  const known = offered.map((f) => formatFromFourcc(f.pixelFormat)).filter((f): f is PixelFormat => f !== undefined && FORMAT_PREFERENCE.includes(f));
  const list = offered.map((f) => `${formatFromFourcc(f.pixelFormat) ?? f.fourcc} (${f.description})`).join(', ') || 'none';
  if (wanted !== undefined) {
    const name = wanted.toUpperCase();
    const format = isPixelFormat(name) ? name : formatFromFourcc(fourccToU32(wanted.padEnd(4, ' ').slice(0, 4)));
    if (format === undefined || !known.includes(format)) {
      throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${path} does not offer ${wanted}. It offers: ${list}.`);
    }
    return format;
  }
  const best = FORMAT_PREFERENCE.find((f) => known.includes(f));
  if (!best) throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${path} offers no format vidbus can publish. It offers: ${list}.`);
  return best;
}

function sizeFits(s: FrameSize, width: number, height: number): boolean {
  if (s.kind === 'discrete') return s.width === width && s.height === height;
  return (
    width >= s.minWidth && width <= s.maxWidth && (width - s.minWidth) % s.stepWidth === 0 && height >= s.minHeight && height <= s.maxHeight && (height - s.minHeight) % s.stepHeight === 0
  );
}

const describeSizes = (sizes: FrameSize[]) =>
  sizes.map((s) => (s.kind === 'discrete' ? `${s.width}x${s.height}` : `${s.minWidth}x${s.minHeight} to ${s.maxWidth}x${s.maxHeight} in steps of ${s.stepWidth}x${s.stepHeight}`)).join(', ');

/**
 * The size to capture: the one asked for (if offered); else 1280x720 if
 * offered; else the largest offered size no bigger than 1920x1080; else the
 * smallest. A driver that lists no sizes is trusted with the request (S_FMT
 * then says what it chose).
 */
export function chooseSize(path: string, format: PixelFormat, sizes: FrameSize[], wanted?: { width: number; height: number }): { width: number; height: number } {
  const info = formatInfo(format);
  if (wanted) {
    if (wanted.width % info.widthMultiple || wanted.height % info.heightMultiple) {
      throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${format} needs even sizes; ${wanted.width}x${wanted.height} is not one.`);
    }
    if (sizes.length > 0 && !sizes.some((s) => sizeFits(s, wanted.width, wanted.height))) {
      throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${path} does not offer ${wanted.width}x${wanted.height} in ${format}. It offers: ${describeSizes(sizes)}.`);
    }
    return wanted;
  }
  if (sizes.length === 0 || sizes.some((s) => sizeFits(s, DEFAULT_SIZE.width, DEFAULT_SIZE.height))) return DEFAULT_SIZE;
  const candidates = sizes.flatMap((s) => (s.kind === 'discrete' ? [{ width: s.width, height: s.height }] : [{ width: s.maxWidth, height: s.maxHeight }, { width: s.minWidth, height: s.minHeight }]));
  const area = (s: { width: number; height: number }) => s.width * s.height;
  const fitting = candidates.filter((s) => s.width <= 1920 && s.height <= 1080).sort((a, b) => area(b) - area(a));
  return fitting[0] ?? candidates.sort((a, b) => area(a) - area(b))[0]!;
}

const asNumber = (r: FrameRate) => r.num / r.den;

/** The rate to ask for: the one wanted (if offered), else the highest offered up to 30 fps; undefined leaves the driver's own. */
export function chooseRate(path: string, rates: FrameRates, wanted?: number): FrameRate | undefined {
  if (wanted !== undefined) {
    if (rates.kind === 'range') {
      if (wanted < asNumber(rates.min) - 1e-6 || wanted > asNumber(rates.max) + 1e-6) {
        throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${path} runs from ${asNumber(rates.min).toFixed(2)} to ${asNumber(rates.max).toFixed(2)} fps at this size; ${wanted} is outside.`);
      }
      return { num: Math.round(wanted * 1000), den: 1000 };
    }
    if (rates.rates.length === 0) return { num: Math.round(wanted * 1000), den: 1000 };
    const match = rates.rates.find((r) => Math.abs(asNumber(r) - wanted) < 0.01);
    if (!match) {
      throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `${path} does not offer ${wanted} fps at this size. It offers: ${rates.rates.map((r) => +asNumber(r).toFixed(2)).join(', ')} fps.`);
    }
    return match;
  }
  if (rates.kind === 'range') return asNumber(rates.max) >= 30 && asNumber(rates.min) <= 30 ? { num: 30, den: 1 } : rates.max;
  const upTo30 = rates.rates.filter((r) => asNumber(r) <= 30.01).sort((a, b) => asNumber(b) - asNumber(a));
  return upTo30[0] ?? rates.rates.sort((a, b) => asNumber(a) - asNumber(b))[0];
}
