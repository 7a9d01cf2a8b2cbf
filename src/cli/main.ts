#!/usr/bin/env node
/**
 * The vidbus command line: demo, stream, receive, list, record, convert,
 * fx, view, vcam, doctor, devices, info. Each command lives in its own file;
 * this one dispatches, prints errors in one line and maps them to exit codes.
 * Exit codes: 0 ok, 2 usage error, 3 stream or device error, 1 anything else.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { isVidbusError, type VidbusErrorCode } from '../errors.js';
import { UsageError, parseArgs } from './usage.js';
import { stream } from './stream.js';
import { devices, info } from './devices.js';
import { view } from './view.js';
import { list } from './list.js';
import { receive } from './receive.js';
import { convert, record } from './record.js';
import { demo } from './demo.js';
import { fx } from './fx.js';

const USAGE = `Usage: vidbus <command> [options]

Commands:
  vcam     Feed a virtual camera (v4l2loopback) from a bus stream, with a
           placeholder whenever no producer is attached.
  doctor   Explain what stands between this machine and a working virtual
           camera, with the fix for each problem. --json for scripts.
  demo     The main job: a test-pattern stream, live stats, a browser
           preview, and the virtual camera where v4l2loopback is free.
  stream   Publish to a bus stream: a camera (V4L2, zero copy where the
           driver allows), a test pattern, or a file or URL (ffmpeg).
  devices  List video devices by role (camera, loopback, encoder, decoder,
           converter, output); --formats adds formats, sizes and rates.
  info     What this machine offers: video modules, devices, ffmpeg,
           GStreamer, PipeWire, and your access to /dev/video*.
  fx       Background blur or replacement as a stage between two streams
           (person segmentation on the CPU, offline).
  view     Watch a stream in the browser: prints a local URL with an
           access token.
  list     Live streams: format, size, fps, producer, consumers, age.
  receive  Consume a stream: fps, latency, missed frames; -o saves it.
  record   Record a stream to MP4 (H.264), playable even after Ctrl-C.
  convert  An H.264 Annex B file into MP4, without re-encoding.

vidbus vcam --from <stream> [--device <path|label>] [--size 1280x720] [--fps 30] [--format YUYV] [--stall-ms 1000] [--placeholder picture.png] [--install-service]
  --placeholder FILE  a PNG or JPEG shown while no producer is live (default: a generated card)
  --install-service   write a systemd user unit that runs this camera at login, instead of running it now

vidbus demo [--seconds N]
vidbus stream --device <path> --name <stream> [--format YUYV|NV12|MJPEG|...] [--size 1280x720] [--fps 30] [--io auto|userptr|mmap] [--decode RGBA] [--follow] [--json]
vidbus stream --pattern --name <stream> [--size 1280x720] [--fps 30] [--format RGBA]
vidbus stream --input <file|URL> --name <stream> [--size WxH] [--format I420] [--loop]
  --decode FORMAT  publish an MJPEG camera decoded (RGBA, BGRA, RGB24, BGR24, GRAY8)
  --follow         wait for an unplugged camera to come back, and resume
vidbus devices [--formats] [--json]
vidbus info [--json]
vidbus list [--watch] [--json]
vidbus receive <stream> [-o FILE] [-c COUNT] [-t SECONDS] [--every] [--stats-only] [--json]
  -o FILE  write frames as received (raw frames, or the encoded bitstream); implies --every
vidbus record <stream> out.mp4 [--crf 23] [--preset veryfast]
vidbus convert in.h264 out.mp4 [--fps 30]
vidbus fx <input> --out <stream> (--blur 12 | --background photo.jpg | --background-color #00ff00) [--brightness -100..100] [--contrast 0.5..2] [--format F] [--model general|landscape] [--json]
vidbus view <stream> [--port 0] [--host 127.0.0.1] [--fps 15] [--quality 75] [--width 1280]

Examples:
  vidbus devices --formats
  vidbus view cam0
  vidbus receive cam0 -c 100 --json
  vidbus stream --pattern --name test --size 640x480
  vidbus record cam0 meeting.mp4
  vidbus fx cam0 --out cam0-fx --blur 12 && vidbus vcam --from cam0-fx
  vidbus stream --device /dev/video0 --name cam0 --size 1280x720 --fps 30
  vidbus doctor
  vidbus vcam --from cam0
  vidbus vcam --from cam0-fx --device "vidbus camera" --size 640x480 --fps 15
  vidbus vcam --from cam0 --placeholder ~/Pictures/be-right-back.png
`;

const DEVICE_CODES: VidbusErrorCode[] = [
  'ERR_NOT_A_CAMERA',
  'ERR_FORMAT_UNSUPPORTED',
  'ERR_DEVICE_GONE',
  'ERR_NO_LOOPBACK_DEVICE',
  'ERR_NOT_A_LOOPBACK_DEVICE',
  'ERR_DEVICE_NOT_FOUND',
  'ERR_DEVICE_BUSY',
  'ERR_FORMAT_REJECTED',
  'ERR_PERMISSION',
  'ERR_NOT_A_V4L2_DEVICE',
  'ERR_STREAM_NOT_FOUND',
  'ERR_MODEL_LOAD',
];

export { UsageError };

export interface VcamArgs {
  from: string;
  device?: string;
  width: number;
  height: number;
  fps: number;
  format: string;
  stallMs: number;
  placeholder?: string;
  installService: boolean;
  /** the arguments as given, less --install-service (for the unit) */
  passthrough: string[];
}

/** Parses `vidbus vcam ...` arguments (exported for in-process tests). */
export function parseVcamArgs(argv: string[]): VcamArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        device: { type: 'string' },
        size: { type: 'string', default: '1280x720' },
        fps: { type: 'string', default: '30' },
        format: { type: 'string', default: 'YUYV' },
        'stall-ms': { type: 'string', default: '1000' },
        placeholder: { type: 'string' },
        'install-service': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (!v.from) throw new UsageError('vcam needs --from <stream>');
  const size = /^(\d+)x(\d+)$/.exec(v.size!);
  if (!size) throw new UsageError(`--size must look like 1280x720; received ${v.size}`);
  const number = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer; received ${text}`);
    return n;
  };
  return {
    from: v.from,
    ...(v.device !== undefined ? { device: v.device } : {}),
    width: Number(size[1]),
    height: Number(size[2]),
    fps: number('fps', v.fps!),
    format: v.format!.toUpperCase(),
    stallMs: number('stall-ms', v['stall-ms']!),
    // Absolute, so that a systemd unit (which runs elsewhere) finds the picture.
    ...(v.placeholder !== undefined ? { placeholder: resolve(v.placeholder) } : {}),
    installService: v['install-service'] === true,
    passthrough: argv
      .filter((a) => a !== '--install-service')
      .map((a, i, all) => (all[i - 1] === '--placeholder' ? resolve(a) : a.startsWith('--placeholder=') ? `--placeholder=${resolve(a.slice(14))}` : a)),
  };
}

async function vcam(argv: string[]): Promise<void> {
  const args = parseVcamArgs(argv);
  if (args.installService) {
    const { installUnit } = await import('../daemon/service-unit.js');
    const { path, next } = installUnit({ from: args.from, args: args.passthrough, node: process.execPath, cli: fileURLToPath(import.meta.url) });
    process.stdout.write(`Wrote ${path}\nNext:\n${next.map((l) => `  ${l}`).join('\n')}\n`);
    return;
  }
  const { VcamService } = await import('../daemon/vcam-service.js');
  const { installService, passthrough, ...options } = args;
  const service = await VcamService.start({ ...options, format: args.format as never });
  const s = service.stats();
  process.stderr.write(`vidbus vcam: ${s.device} "${s.label}" ${args.width}x${args.height} ${args.format} @ ${args.fps} fps, from stream "${args.from}"\n`);
  process.stderr.write(`vidbus vcam: ${s.state === 'live' ? 'live' : 'showing the placeholder until a producer publishes'}\n`);
  service.onStateChange = (state) => process.stderr.write(`vidbus vcam: ${state === 'live' ? 'live' : 'no frames: showing the placeholder'}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await service.close();
  const end = service.stats();
  const lat = end.addedLatency;
  const latency = lat.count > 0 ? `; added latency p50 ${(lat.p50Us / 1000).toFixed(2)} ms, p99 ${(lat.p99Us / 1000).toFixed(2)} ms` : '';
  const bad = end.badFrames > 0 ? `, ${end.badFrames} not shown` : '';
  process.stderr.write(`vidbus vcam: stopped after ${end.framesWritten} frames (${end.liveFrames} live, ${end.placeholderFrames} placeholder${bad})${latency}\n`);
}

async function doctor(argv: string[]): Promise<number> {
  let json = false;
  try {
    json = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, strict: true }).values.json === true;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { diagnoseLoopback, formatReport } = await import('../sinks/loopback-doctor.js');
  const report = diagnoseLoopback();
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ready ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'vcam') {
      await vcam(rest);
      return 0;
    }
    if (command === 'doctor') return await doctor(rest);
    if (command === 'stream') {
      await stream(rest);
      return 0;
    }
    if (command === 'devices') {
      await devices(rest);
      return 0;
    }
    if (command === 'list') {
      await list(rest);
      return 0;
    }
    if (command === 'receive') return await receive(rest);
    if (command === 'record') {
      await record(rest);
      return 0;
    }
    if (command === 'convert') {
      await convert(rest);
      return 0;
    }
    if (command === 'fx') {
      await fx(rest);
      return 0;
    }
    if (command === 'demo') {
      await demo(rest);
      return 0;
    }
    if (command === 'view') {
      await view(rest);
      return 0;
    }
    if (command === 'info') {
      await info(rest);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vidbus: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (isVidbusError(e)) {
      process.stderr.write(`vidbus: ${e.message}\n`);
      if (process.argv.includes('--verbose')) process.stderr.write(`${e.stack}\n`);
      // A bad option value, or a file given as an option that cannot be used, is a usage error.
      return DEVICE_CODES.includes(e.code) ? 3 : e.code === 'ERR_INVALID_OPTION' || e.code === 'ERR_BAD_IMAGE' ? 2 : 1;
    }
    throw e;
  }
}

// Run when executed, not when imported by tests.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
