/**
 * `vidbus stream --device /dev/video0 --name cam0`: a camera onto the bus,
 * with a live status line (fps, frames, drops, consumers) on stderr, or one
 * JSON line per second on stdout with --json.
 */
import { parseArgs } from 'node:util';
import { UsageError, parsePositive, parseSize } from './usage.js';
import type { CameraSourceOptions } from '../sources/camera.js';

export interface StreamArgs {
  camera: CameraSourceOptions;
  json: boolean;
}

export function parseStreamArgs(argv: string[]): StreamArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        device: { type: 'string' },
        name: { type: 'string' },
        format: { type: 'string' },
        size: { type: 'string' },
        fps: { type: 'string' },
        io: { type: 'string', default: 'auto' },
        buffers: { type: 'string' },
        decode: { type: 'string' },
        follow: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (!v.device) throw new UsageError('stream needs --device <path>: the V4L2 camera to publish (`vidbus devices` lists them)');
  if (!v.name) throw new UsageError('stream needs --name <stream>');
  if (!['auto', 'userptr', 'mmap'].includes(v.io!)) throw new UsageError(`--io must be auto, userptr or mmap; received ${v.io}`);
  const camera: CameraSourceOptions = { device: v.device, name: v.name, io: v.io as 'auto' };
  if (v.format !== undefined) camera.format = v.format;
  if (v.size !== undefined) Object.assign(camera, parseSize('size', v.size));
  if (v.fps !== undefined) camera.fps = parsePositive('fps', v.fps, true);
  if (v.buffers !== undefined) camera.buffers = parsePositive('buffers', v.buffers);
  if (v.decode !== undefined) camera.decode = v.decode;
  if (v.follow) camera.follow = true;
  return { camera, json: v.json === true };
}

export async function stream(argv: string[]): Promise<void> {
  const args = parseStreamArgs(argv);
  const { createCameraSource } = await import('../sources/camera.js');
  const { inspectStream } = await import('../bus/streams.js');
  const source = await createCameraSource(args.camera);
  const n = source.negotiated;
  const fps = n.fps !== undefined ? `${+n.fps.toFixed(2)} fps` : 'driver rate';
  process.stderr.write(
    `vidbus stream: ${n.device} "${n.card}" ${n.width}x${n.height} ${n.format}${n.published !== n.format ? ` decoded to ${n.published}` : ''} @ ${fps}, ${n.io === 'userptr' ? 'zero copy (USERPTR)' : 'one copy (MMAP)'} -> stream "${source.stream}"\n`,
  );
  source.on('device-lost', (e: Error) => process.stderr.write(`\nvidbus stream: ${e.message}${args.camera.follow ? '; waiting for it to come back' : ''}\n`));
  source.on('device-back', () => process.stderr.write('vidbus stream: the camera is back\n'));
  const tty = process.stderr.isTTY === true;
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
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ type: 'progress', fps: +rate.toFixed(2), ...s, consumers })}\n`);
    } else if (tty) {
      process.stderr.write(`\r${rate.toFixed(1)} fps  ${s.published} frames  ${s.dropped} dropped  ${s.driverDropped} lost by driver  ${consumers} consumer(s)  ${s.state}   `);
    } else if (++ticks % 10 === 0) {
      process.stderr.write(`vidbus stream: ${rate.toFixed(1)} fps, ${s.published} frames, ${s.dropped} dropped, ${consumers} consumer(s)\n`);
    }
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
    process.stderr.write(`${tty ? '\n' : ''}vidbus stream: stopped after ${s.published} frames (${s.dropped} dropped, ${s.driverDropped} lost by the driver, ${s.errorFrames} damaged)\n`);
  }
}
