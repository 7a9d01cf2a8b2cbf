/**
 * `vidbus stream`: publish to a bus stream from a camera (--device), a test
 * pattern (--pattern) or anything ffmpeg reads (--input FILE|URL), with a
 * live status line (fps, frames, drops, consumers) on stderr, or one JSON
 * line per second on stdout with --json.
 */
import { UsageError, parseArgs, parsePositive, parseSize } from './usage.js';
import type { CameraSourceOptions } from '../sources/camera.js';
import type { PatternSourceOptions } from '../sources/pattern-source.js';
import type { FfmpegSourceOptions } from '../sources/ffmpeg-source.js';
import type { RawFormat } from '../video/formats.js';

export type StreamSource = { kind: 'camera'; options: CameraSourceOptions } | { kind: 'pattern'; options: PatternSourceOptions } | { kind: 'input'; options: FfmpegSourceOptions };

export interface StreamArgs {
  source: StreamSource;
  json: boolean;
}

const RAW = ['RGBA', 'BGRA', 'RGB24', 'BGR24', 'YUYV', 'UYVY', 'NV12', 'I420', 'GRAY8'];

export function parseStreamArgs(argv: string[]): StreamArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        device: { type: 'string' },
        pattern: { type: 'boolean', default: false },
        input: { type: 'string' },
        name: { type: 'string' },
        format: { type: 'string' },
        size: { type: 'string' },
        fps: { type: 'string' },
        io: { type: 'string' },
        buffers: { type: 'string' },
        decode: { type: 'string' },
        follow: { type: 'boolean', default: false },
        loop: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const sources = [v.device !== undefined, v.pattern === true, v.input !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('stream needs exactly one source: --device <camera>, --pattern, or --input <file or URL>');
  if (!v.name) throw new UsageError('stream needs --name <stream>');
  const size = v.size !== undefined ? parseSize('size', v.size) : undefined;
  const format = v.format?.toUpperCase();
  const only = (what: string, allowed: boolean, option: string) => {
    if (!allowed) throw new UsageError(`--${option} applies to ${what} only`);
  };
  only('--device', v.device !== undefined || (v.io === undefined && v.buffers === undefined && v.decode === undefined && !v.follow), 'io, --buffers, --decode or --follow');
  only('--input', v.input !== undefined || !v.loop, 'loop');
  if (v.device !== undefined) {
    const io = v.io ?? 'auto';
    if (!['auto', 'userptr', 'mmap'].includes(io)) throw new UsageError(`--io must be auto, userptr or mmap; received ${io}`);
    const camera: CameraSourceOptions = { device: v.device, name: v.name, io: io as 'auto' };
    if (v.format !== undefined) camera.format = v.format;
    if (size) Object.assign(camera, size);
    if (v.fps !== undefined) camera.fps = parsePositive('fps', v.fps, true);
    if (v.buffers !== undefined) camera.buffers = parsePositive('buffers', v.buffers);
    if (v.decode !== undefined) camera.decode = v.decode;
    if (v.follow) camera.follow = true;
    return { source: { kind: 'camera', options: camera }, json: v.json === true };
  }
  if (format !== undefined && !RAW.includes(format)) throw new UsageError(`--format must be a raw format (${RAW.join(', ')}); received ${v.format}`);
  if (v.pattern) {
    const pattern: PatternSourceOptions = { name: v.name, ...(size ?? {}) };
    if (format) pattern.format = format as RawFormat;
    if (v.fps !== undefined) pattern.fps = parsePositive('fps', v.fps, true);
    return { source: { kind: 'pattern', options: pattern }, json: v.json === true };
  }
  if (v.fps !== undefined) throw new UsageError('--fps does not apply to --input: files play at their own rate');
  const input: FfmpegSourceOptions = { name: v.name, input: v.input!, ...(size ?? {}) };
  if (format) input.format = format as RawFormat;
  if (v.loop) input.loop = true;
  return { source: { kind: 'input', options: input }, json: v.json === true };
}

interface RunningSource {
  stream: string;
  describe: string;
  stats(): { published: number; dropped: number };
  done: Promise<void>;
  close(): Promise<void>;
}

async function open(source: StreamSource, onEvent: (line: string) => void): Promise<RunningSource> {
  if (source.kind === 'camera') {
    const { createCameraSource } = await import('../sources/camera.js');
    const cam = await createCameraSource(source.options);
    const n = cam.negotiated;
    const fps = n.fps !== undefined ? `${+n.fps.toFixed(2)} fps` : 'driver rate';
    cam.on('device-lost', (e: Error) => onEvent(`${e.message}${source.options.follow ? '; waiting for it to come back' : ''}`));
    cam.on('device-back', () => onEvent('the camera is back'));
    const describe = `${n.device} "${n.card}" ${n.width}x${n.height} ${n.format}${n.published !== n.format ? ` decoded to ${n.published}` : ''} @ ${fps}, ${n.io === 'userptr' ? 'zero copy (USERPTR)' : 'one copy (MMAP)'}`;
    return { stream: cam.stream, describe, stats: () => cam.stats(), done: cam.done, close: () => cam.close() };
  }
  if (source.kind === 'pattern') {
    const { createPatternSource } = await import('../sources/pattern-source.js');
    const p = await createPatternSource(source.options);
    const l = p.producer.layout;
    const never = new Promise<void>(() => undefined);
    return { stream: p.stream, describe: `test pattern ${l.width}x${l.height} ${l.format} @ ${p.producer.fps.num / p.producer.fps.den} fps`, stats: () => p.stats(), done: never, close: () => p.close() };
  }
  const { createFfmpegSource } = await import('../sources/ffmpeg-source.js');
  const f = await createFfmpegSource(source.options);
  const l = f.producer.layout;
  return { stream: f.stream, describe: `${source.options.input} (ffmpeg) ${l.width}x${l.height} ${l.format}${source.options.loop ? ', looping' : ''}`, stats: () => f.stats(), done: f.done, close: () => f.close() };
}

export async function stream(argv: string[]): Promise<void> {
  const args = parseStreamArgs(argv);
  const { inspectStream } = await import('../bus/streams.js');
  const tty = process.stderr.isTTY === true;
  const source = await open(args.source, (line) => process.stderr.write(`${tty ? '\n' : ''}vidbus stream: ${line}\n`));
  process.stderr.write(`vidbus stream: ${source.describe} -> stream "${source.stream}"\n`);
  let last = { published: 0, at: Date.now() };
  let ticks = 0;
  const timer = setInterval(() => {
    const s = source.stats();
    const now = Date.now();
    const rate = ((s.published - last.published) * 1000) / Math.max(1, now - last.at);
    last = { published: s.published, at: now };
    let consumers = 0;
    try {
      consumers = inspectStream(source.stream).consumers.length;
    } catch {
      // the stream is being replaced or removed
    }
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'progress', fps: +rate.toFixed(2), ...s, consumers })}\n`);
    else if (tty) process.stderr.write(`\r${rate.toFixed(1)} fps  ${s.published} frames  ${s.dropped} dropped  ${consumers} consumer(s)   `);
    else if (++ticks % 10 === 0) process.stderr.write(`vidbus stream: ${rate.toFixed(1)} fps, ${s.published} frames, ${s.dropped} dropped, ${consumers} consumer(s)\n`);
  }, 1000);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  try {
    await Promise.race([stopped, source.done]);
  } finally {
    clearInterval(timer);
    await source.close();
    const s = source.stats();
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'summary', ...s })}\n`);
    process.stderr.write(`${tty ? '\n' : ''}vidbus stream: stopped after ${s.published} frames (${s.dropped} dropped)\n`);
  }
}
