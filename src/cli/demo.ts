/**
 * `vidbus demo`: the main job with nothing but the README's setup. A
 * test-pattern stream, a consumer in another process (`vidbus receive`)
 * whose live stats are printed every second, a browser preview (a local
 * URL with an access token), and the virtual camera where a v4l2loopback
 * device is free (else the line that makes one). Ctrl-C, SIGTERM or
 * --seconds stop everything and leave nothing behind.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parsePositive, parseSize } from './usage.js';

export interface DemoArgs {
  width: number;
  height: number;
  fps: number;
  seconds: number | undefined;
  name: string;
}

const DEMO_OPTIONS = {
  size: { type: 'string', default: '1280x720', value: 'WxH', help: 'the pattern\'s size (default 1280x720)' },
  fps: { type: 'string', default: '30', value: 'N', help: 'its rate (default 30)' },
  seconds: { type: 'string', value: 'N', help: 'stop after this long (default: Ctrl-C)' },
  name: { type: 'string', value: 'STREAM', help: 'the stream name (default demo-<pid>)' },
} as const;

export function parseDemoArgs(argv: string[]): DemoArgs {
  const v = parseOptions(DEMO_OPTIONS, argv).values as Record<string, string | undefined>;
  const size = parseSize('size', v.size!);
  if (size.width % 2 || size.height % 2) throw new UsageError(`--size needs even numbers (the virtual camera's formats do); received ${v.size}`);
  return { ...size, fps: parsePositive('fps', v.fps!), seconds: v.seconds !== undefined ? parsePositive('seconds', v.seconds, true) : undefined, name: v.name ?? `demo-${process.pid}` };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'The main job: a test-pattern stream, live stats, a browser preview, and the virtual camera.',
  synopsis: ['[--seconds N] [--size 1280x720] [--fps 30] [--name STREAM]'],
  options: DEMO_OPTIONS,
  examples: ['demo'],
  run: (argv, { signal }) => demo(argv, signal),
};

async function demo(argv: string[], signal: AbortSignal): Promise<void> {
  const args = parseDemoArgs(argv);
  const { createPatternSource } = await import('../sources/pattern-source.js');
  const { WebPreview } = await import('../sinks/web-preview.js');
  const { listLoopbackDevices, MODPROBE_LINE } = await import('../devices/loopback.js');
  const { VcamService } = await import('../daemon/vcam-service.js');
  const pattern = await createPatternSource({ name: args.name, width: args.width, height: args.height, fps: args.fps });
  const cli = fileURLToPath(new URL('./main.js', import.meta.url));
  const consumer = spawn(process.execPath, [cli, 'receive', args.name, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`vidbus demo: stream "${args.name}" ${args.width}x${args.height} test pattern @ ${args.fps} fps -> consumer pid ${consumer.pid}${args.seconds ? ` for ${args.seconds} s` : ' (Ctrl-C to stop)'}`);

  let preview: Awaited<ReturnType<typeof WebPreview.start>> | undefined;
  try {
    preview = await WebPreview.start({ stream: args.name });
    say(`preview: open ${preview.url} in a browser`);
  } catch (e) {
    say(`preview: not started: ${(e as Error).message}`);
  }

  let vcam: Awaited<ReturnType<typeof VcamService.start>> | undefined;
  const free = listLoopbackDevices().find((d) => d.canOutput);
  if (free) {
    try {
      vcam = await VcamService.start({ from: args.name, device: free.path, width: args.width, height: args.height, fps: Math.round(args.fps) });
      say(`virtual camera: ${vcam.device} "${free.card}" shows this stream (open it in a browser, or: ffplay ${vcam.device})`);
    } catch (e) {
      say(`virtual camera: not started: ${(e as Error).message}`);
    }
  } else {
    // No kernel module: a PipeWire camera node, where PipeWire runs and the bridge is built.
    try {
      vcam = await VcamService.start({ from: args.name, backend: 'pipewire', name: 'vidbus demo camera', width: args.width, height: args.height, fps: Math.round(args.fps) });
      say(`virtual camera: PipeWire camera "vidbus demo camera" shows this stream (Chromium: --enable-features=WebRtcPipeWireCamera; \`vidbus doctor\` checks the rest)`);
    } catch (e) {
      say(`virtual camera: no free v4l2loopback device (for one: ${MODPROBE_LINE}), and no PipeWire camera: ${(e as Error).message} (\`vidbus doctor\` explains more)`);
    }
  }

  createInterface({ input: consumer.stdout! }).on('line', (line) => {
    let c: { type: string; received: number; fps: number; missed: number; latency: { p50Ms: number; p99Ms: number } };
    try {
      c = JSON.parse(line);
    } catch {
      return;
    }
    if (c.type !== 'progress') return;
    const p = pattern.stats();
    say(`producer: published ${p.published} dropped ${p.dropped} consumers ${p.consumers} | consumer: ${c.fps} fps, received ${c.received}, missed ${c.missed}, latency p50 ${c.latency.p50Ms} ms p99 ${c.latency.p99Ms} ms`);
  });

  const consumerExited = new Promise((resolve) => consumer.once('exit', resolve));
  let timer: NodeJS.Timeout | undefined;
  const elapsed = args.seconds ? new Promise((resolve) => (timer = setTimeout(resolve, args.seconds! * 1000))) : new Promise(() => undefined);
  await untilStopped(signal, consumerExited, elapsed);
  clearTimeout(timer);
  // The consumer first (it prints its summary), then the rest.
  if (consumer.exitCode === null && consumer.signalCode === null) {
    consumer.kill('SIGTERM');
    await new Promise((r) => consumer.once('exit', r));
  }
  await vcam?.close();
  await preview?.close();
  await pattern.close();
  say('vidbus demo: stopped; nothing left behind');
}
