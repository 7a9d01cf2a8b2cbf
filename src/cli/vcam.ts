/**
 * `vidbus vcam --from <stream>`: the virtual-camera service (src/daemon/)
 * on a sink backend (v4l2loopback by default), until Ctrl-C; or, with
 * --install-service, a systemd user unit that runs the same at login.
 * `vidbus doctor`: what stands between this machine and a working camera.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parsePositive, parseSize } from './usage.js';

export interface VcamArgs {
  from: string;
  device?: string;
  backend?: string;
  name?: string;
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

const VCAM_OPTIONS = {
  from: { type: 'string', value: 'STREAM', help: 'the bus stream to show (required)' },
  device: { type: 'string', value: 'PATH|LABEL', help: "the backend's target: a loopback device path or card label (default: the first free one)" },
  backend: { type: 'string', value: 'NAME', help: 'where frames go: v4l2loopback (default), pipewire (no kernel module), auto (a free loopback device, else PipeWire), or another registered sink (memory, null, ...)' },
  name: { type: 'string', value: 'LABEL', help: 'what apps list the camera as, with --backend pipewire (default "vidbus camera"); a loopback device keeps its card_label' },
  size: { type: 'string', default: '1280x720', value: 'WxH', help: 'what readers get (default 1280x720)' },
  fps: { type: 'string', default: '30', value: 'N', help: 'frames per second readers get (default 30)' },
  format: { type: 'string', default: 'YUYV', value: 'FORMAT', help: 'pixel format readers get (default YUYV)' },
  'stall-ms': { type: 'string', default: '1000', value: 'MS', help: 'show the placeholder after this long without a frame (default 1000)' },
  placeholder: { type: 'string', value: 'FILE', help: 'a PNG or JPEG shown while no producer is live (default: a generated card)' },
  'install-service': { type: 'boolean', default: false, help: 'write a systemd user unit that runs this camera at login, instead of running it now' },
} as const;

/** Parses `vidbus vcam ...` arguments (exported for in-process tests). */
export function parseVcamArgs(argv: string[]): VcamArgs {
  const { values: v } = parseOptions(VCAM_OPTIONS, argv);
  if (typeof v.from !== 'string' || !v.from) throw new UsageError('vcam needs --from <stream>');
  const integer = (name: string) => parsePositive(name, v[name] as string);
  return {
    from: v.from,
    ...(typeof v.device === 'string' ? { device: v.device } : {}),
    ...(typeof v.backend === 'string' ? { backend: v.backend } : {}),
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
    ...parseSize('size', v.size as string),
    fps: integer('fps'),
    format: (v.format as string).toUpperCase(),
    stallMs: integer('stall-ms'),
    // Absolute, so that a systemd unit (which runs elsewhere) finds the picture.
    ...(typeof v.placeholder === 'string' ? { placeholder: resolve(v.placeholder) } : {}),
    installService: v['install-service'] === true,
    passthrough: argv
      .filter((a) => a !== '--install-service')
      .map((a, i, all) => (all[i - 1] === '--placeholder' ? resolve(a) : a.startsWith('--placeholder=') ? `--placeholder=${resolve(a.slice(14))}` : a)),
  };
}

export const vcamCommand: Command = {
  name: 'vcam',
  summary: 'Feed a virtual camera from a bus stream, with a placeholder while no producer is attached.',
  synopsis: ['--from <stream> [--device <path|label>] [--backend NAME] [--name LABEL] [--size 1280x720] [--fps 30] [--format YUYV] [--stall-ms 1000] [--placeholder picture.png] [--install-service]'],
  options: VCAM_OPTIONS,
  examples: ['vcam --from cam0', 'vcam --from cam0-fx --device "vidbus camera" --size 640x480 --fps 15', 'vcam --from cam0 --placeholder ~/Pictures/be-right-back.png', 'vcam --from cam0 --backend pipewire --name "Studio camera"'],
  async run(argv, { signal }) {
    const args = parseVcamArgs(argv);
    if (args.installService) {
      const { installUnit } = await import('../daemon/service-unit.js');
      const cli = fileURLToPath(new URL('./main.js', import.meta.url));
      const { path, next } = installUnit({ from: args.from, args: args.passthrough, node: process.execPath, cli });
      process.stdout.write(`Wrote ${path}\nNext:\n${next.map((l) => `  ${l}`).join('\n')}\n`);
      return;
    }
    const { VcamService } = await import('../daemon/vcam-service.js');
    const { installService, passthrough, ...options } = args;
    const service = await VcamService.start({ ...options, format: args.format as never });
    const s = service.stats();
    process.stderr.write(`vidbus vcam: ${s.device} "${s.label}" (${s.backend}) ${args.width}x${args.height} ${args.format} @ ${args.fps} fps, from stream "${args.from}"\n`);
    process.stderr.write(`vidbus vcam: ${s.state === 'live' ? 'live' : 'showing the placeholder until a producer publishes'}\n`);
    service.onWarning = (message) => process.stderr.write(`vidbus vcam: ${message}\n`);
    service.onStateChange = (state) => process.stderr.write(`vidbus vcam: ${state === 'live' ? 'live' : 'no frames: showing the placeholder'}\n`);
    await untilStopped(signal);
    await service.close();
    const end = service.stats();
    const lat = end.addedLatency;
    const latency = lat.count > 0 ? `; added latency p50 ${(lat.p50Us / 1000).toFixed(2)} ms, p99 ${(lat.p99Us / 1000).toFixed(2)} ms` : '';
    const bad = end.badFrames > 0 ? `, ${end.badFrames} not shown` : '';
    process.stderr.write(`vidbus vcam: stopped after ${end.framesWritten} frames (${end.liveFrames} live, ${end.placeholderFrames} placeholder${bad})${latency}\n`);
  },
};

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Explain what stands between this machine and a working virtual camera (v4l2loopback and PipeWire), with each fix.',
  synopsis: ['[--json]'],
  options: { json: { type: 'boolean', default: false, help: 'the report as JSON' } },
  examples: ['doctor'],
  async run(argv) {
    const { values } = parseOptions(this.options, argv);
    const { diagnoseLoopback, formatReport, formatFindings } = await import('../devices/loopback-doctor.js');
    const { diagnosePipeWire } = await import('../devices/pipewire-doctor.js');
    const loopback = diagnoseLoopback();
    const pipewire = await diagnosePipeWire();
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...loopback, pipewire }, null, 2)}\n`);
    } else {
      const verdict = pipewire.ready
        ? 'Ready: `vidbus vcam --backend pipewire` makes a camera browsers can open.'
        : 'Not ready: a PipeWire camera would not reach browsers yet (see the fixes above).';
      process.stdout.write(`${formatReport(loopback)}\nPipeWire (no kernel module needed):\n${formatFindings(pipewire.findings)}${verdict}\n`);
    }
    return loopback.ready || pipewire.ready ? 0 : 1;
  },
};
