/**
 * npm run bench:pipewire: a bus stream shown as a PipeWire camera, two ways,
 * in one run, in a private PipeWire session (test/desktop/session.ts):
 * - vidbus: `vidbus vcam --backend pipewire` (the service + the C bridge);
 * - GStreamer, what a user would build today: a feeder
 *   `fdsrc ! rawvideoparse ! shmsink` and the bridge
 *   `shmsrc ! videoconvert ! pipewiresink mode=provide`.
 * The same YUYV frames at 30 fps enter both; each carries the
 * CLOCK_MONOTONIC time it was handed over (publish, or the write into the
 * feeder's pipe) in its first 8 bytes, untouched on every hop (same format
 * and size throughout). A C PipeWire consumer (bench/c/pw-probe.c) reads it
 * on arrival: publish → PipeWire-consumer latency. CPU per frame is the
 * bridge's: the vcam process plus the bridge helper, against the
 * shmsrc→pipewiresink process (user + system time over the window).
 *   npm run bench:pipewire [-- --seconds 10]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../src/index.js';
import { monoNs } from '../src/util/clock.js';
import { percentile } from '../src/util/latency.js';
import { cpuSecondsOf } from './proc.js';
import { numberOption } from './args.js';
import { DesktopSession } from '../test/desktop/session.js';

const seconds = numberOption('--seconds', 10);
const FPS = 30;
const SIZES: [number, number][] = [[1280, 720], [1920, 1080]];
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const probeBin = join(root, 'bench/out/pw-probe');

function buildProbe(): void {
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libpipewire-0.3'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
  const r = spawnSync('cc', ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', join(root, 'bench/c/pw-probe.c'), ...flags, '-o', probeBin], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench:pipewire: building bench/c/pw-probe.c failed (needs libpipewire-0.3-dev)');
}

/** Runs the probe on `node` for `count` frames; resolves the latencies (µs). */
function probe(session: DesktopSession, node: string, count: number): Promise<number[]> {
  const child = spawn(probeBin, [node, String(count)], { env: session.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), (count / FPS) * 1000 * 3 + 20000);
  return new Promise((resolve) =>
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out.trim().split('\n').filter(Boolean).map(Number));
    }),
  );
}

async function waitForNode(session: DesktopSession, node: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const dump = spawnSync('pw-dump', [], { env: session.env, encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
    if (dump.includes(`"node.name": "${node}"`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node ${node} never appeared`);
}

/** A YUYV frame whose first 8 bytes will carry the hand-over time. */
function stamped(frame: Uint8Array): Uint8Array {
  new DataView(frame.buffer, frame.byteOffset, 8).setBigInt64(0, monoNs(), true);
  return frame;
}

interface Result {
  p50: number;
  p99: number;
  frames: number;
  cpuMsPerFrame: number;
  /** of which the C bridge (vidbus only) */
  helperMsPerFrame?: number;
}

function summarise(latencies: number[], cpuS: number): Result {
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), frames: latencies.length, cpuMsPerFrame: (cpuS * 1000) / Math.max(1, latencies.length) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function viaVidbus(session: DesktopSession, width: number, height: number): Promise<Result> {
  const name = `bench-pw-${process.pid}`;
  const producer = await createProducer(name, { width, height, format: 'YUYV', fps: FPS });
  const frame = new Uint8Array(producer.layout.frameBytes).fill(128);
  const pacer = setInterval(() => producer.write(stamped(frame)), 1000 / FPS);
  const vcam = spawn(process.execPath, [cli, 'vcam', '--from', name, '--backend', 'pipewire', '--name', 'bench vidbus', '--size', `${width}x${height}`, '--fps', String(FPS), '--format', 'YUYV'], {
    env: session.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await waitForNode(session, 'bench-vidbus');
    const helper = Number(spawnSync('pgrep', ['-P', String(vcam.pid), '-x', 'vidbus-pipewire'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    const pids = [vcam.pid!, helper];
    const warm = await probe(session, 'bench-vidbus', FPS); // links, negotiates, warms caches
    if (warm.length === 0) throw new Error('the vidbus camera delivered nothing');
    const before = pids.map(cpuSecondsOf);
    const latencies = await probe(session, 'bench-vidbus', seconds * FPS);
    const used = pids.map((p, i) => cpuSecondsOf(p) - before[i]!);
    return { ...summarise(latencies, used[0]! + used[1]!), helperMsPerFrame: (used[1]! * 1000) / Math.max(1, latencies.length) };
  } finally {
    await stop(vcam);
    clearInterval(pacer);
    producer.close();
  }
}

/** shmsink leaves its areas (/dev/shm/shmpipe.*) behind when it is stopped: the run removes the ones it made. */
const shmAreas = () => new Set(readdirSync('/dev/shm').filter((f) => f.startsWith('shmpipe.')));

async function viaGStreamer(session: DesktopSession, width: number, height: number): Promise<Result> {
  const areasBefore = shmAreas();
  const socket = join(session.dir, `shm-${width}`);
  const frameBytes = width * height * 2;
  const caps = `video/x-raw,format=YUY2,width=${width},height=${height},framerate=${FPS}/1`;
  const feeder = spawn(
    'gst-launch-1.0',
    ['-q', 'fdsrc', 'fd=0', `blocksize=${frameBytes}`, '!', 'rawvideoparse', 'format=yuy2', `width=${width}`, `height=${height}`, `framerate=${FPS}/1`, '!', 'shmsink', `socket-path=${socket}`, `shm-size=${frameBytes * 8}`, 'wait-for-connection=false', 'sync=false'],
    { env: session.env, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  feeder.stdin!.on('error', () => undefined);
  const frame = new Uint8Array(frameBytes).fill(128);
  const pacer = setInterval(() => feeder.stdin!.write(Buffer.from(stamped(frame))), 1000 / FPS);
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  const bridge = spawn(
    'gst-launch-1.0',
    ['-q', 'shmsrc', `socket-path=${socket}`, 'is-live=true', 'do-timestamp=true', '!', caps, '!', 'videoconvert', '!', 'pipewiresink', 'mode=provide', 'stream-properties=props,media.class=Video/Source,media.role=Camera,node.name=bench-gst,node.description=bench-gst'],
    { env: session.env, stdio: 'ignore' },
  );
  try {
    await waitForNode(session, 'bench-gst');
    const warm = await probe(session, 'bench-gst', FPS);
    if (warm.length === 0) throw new Error('the GStreamer bridge delivered nothing');
    const before = cpuSecondsOf(bridge.pid!);
    const latencies = await probe(session, 'bench-gst', seconds * FPS);
    return summarise(latencies, cpuSecondsOf(bridge.pid!) - before);
  } finally {
    clearInterval(pacer);
    await stop(bridge);
    feeder.stdin!.end();
    await stop(feeder);
    rmSync(socket, { force: true });
    for (const area of shmAreas()) if (!areasBefore.has(area)) rmSync(`/dev/shm/${area}`, { force: true });
  }
}

const fmt = (us: number) => (us / 1000).toFixed(2);
buildProbe();
const session = await DesktopSession.start({ portal: false });
try {
  console.log(`bench:pipewire — ${FPS} fps YUYV, ${seconds} s per run, load ${loadavg()[0]!.toFixed(2)}; latency = publish → PipeWire consumer, CPU = the bridge's`);
  console.log('size       path                     p50 ms  p99 ms  frames  CPU ms/frame');
  for (const [w, h] of SIZES) {
    const v = await viaVidbus(session, w, h);
    const g = await viaGStreamer(session, w, h);
    const row = (path: string, r: Result) => console.log(`${`${w}x${h}`.padEnd(10)} ${path.padEnd(24)} ${fmt(r.p50).padStart(6)}  ${fmt(r.p99).padStart(6)}  ${String(r.frames).padStart(6)}  ${r.cpuMsPerFrame.toFixed(3).padStart(12)}`);
    row('vidbus vcam (pipewire)', v);
    console.log(`${''.padEnd(10)} ${'  of which the C bridge'.padEnd(24)} ${''.padStart(6)}  ${''.padStart(6)}  ${''.padStart(6)}  ${v.helperMsPerFrame!.toFixed(3).padStart(12)}`);
    row('GStreamer shm bridge', g);
    console.log(`${''.padEnd(10)} ${'ratio vidbus/GStreamer'.padEnd(24)} ${(v.p50 / g.p50).toFixed(2).padStart(6)}  ${(v.p99 / g.p99).toFixed(2).padStart(6)}  ${''.padStart(6)}  ${(v.cpuMsPerFrame / g.cpuMsPerFrame).toFixed(2).padStart(12)}`);
  }
} finally {
  await session.stop();
}
