/**
 * npm run bench:gstreamer: the same pipelines through vidbussink ->
 * vidbussrc and through GStreamer's own shmsink -> shmsrc, in one run:
 * frames per second delivered to the consumer pipeline when the producer
 * pushes as fast as it can, and the CPU both gst-launch processes spend per
 * delivered frame. videotestsrc pattern=black makes the frames (cheap to
 * draw, so the transport shows), I420 at 1080p and 4K. vidbus gets its
 * default 4 slots; shm gets room for 8 frames (with 4, shmsink's allocator
 * stalls now and then: more room only helps it).
 *   npm run bench:gstreamer [-- --frames 300]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSecondsOf } from './proc.js';

const frames = Number(process.argv[process.argv.indexOf('--frames') + 1] || 300);
const plugin = fileURLToPath(new URL('../../gstreamer/build/', import.meta.url));
if (!existsSync(`${plugin}libgstvidbus.so`)) {
  console.error('bench:gstreamer needs the plugin: make -C gstreamer');
  process.exit(1);
}
const env = { ...process.env, GST_PLUGIN_PATH: plugin };

interface Timed {
  stdout: string;
  cpuS: number;
}

/**
 * A gst-launch-1.0 process under bash's `time`: its output and its CPU
 * seconds (user + system). `tolerated`: an exit status that still counts
 * (shmsink fails with "Failed waiting on fd activity" when its client goes
 * away at the end, after delivering every frame).
 */
function timed(args: string[], tolerated = 0): Promise<Timed> {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('bash', ['-c', `TIMEFORMAT='cpu %U %S'; time gst-launch-1.0 ${quoted}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(stderr);
      if ((code !== 0 && code !== tolerated) || !m) reject(new Error(`gst-launch-1.0 ${args.join(' ')}: exit ${code}: ${stderr.slice(-800)}`));
      else resolve({ stdout, cpuS: Number(m[1]) + Number(m[2]) });
    }),
  );
}

interface Result {
  delivered: number;
  fps: number;
  cpuMsPerFrame: number;
}

const source = (w: number, h: number) => ['videotestsrc', `num-buffers=${frames}`, 'pattern=black', '!', `video/x-raw,format=I420,width=${w},height=${h},framerate=30/1`];
const counter = ['fakesink', 'sync=false', 'silent=false', 'signal-handoffs=false'];
const delivered = (out: string) => [...out.matchAll(/chain {3}\*{7}/g)].length;

async function vidbus(w: number, h: number): Promise<Result> {
  const name = `bench-gst-${process.pid}`;
  const consumer = timed(['-v', 'vidbussrc', `stream=${name}`, 'follow=true', 'policy=every', 'timeout=2000', '!', ...counter]);
  await new Promise((r) => setTimeout(r, 500));
  const started = process.hrtime.bigint();
  const producer = await timed([...source(w, h), '!', 'vidbussink', `stream=${name}`, 'slots=4', 'sync=false']);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = await consumer;
  const n = delivered(c.stdout);
  return { delivered: n, fps: n / seconds, cpuMsPerFrame: ((producer.cpuS + c.cpuS) * 1000) / Math.max(n, 1) };
}

/** shmsrc never ends by itself: it runs until the frames stopped coming, then its CPU is read and it is stopped. */
async function untilQuiet(args: string[]): Promise<Timed> {
  const child = spawn('gst-launch-1.0', args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  let lastData = Date.now();
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    lastData = Date.now();
  });
  while (Date.now() - lastData < 1500) await new Promise((r) => setTimeout(r, 100));
  const cpuS = cpuSecondsOf(child.pid!);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return { stdout, cpuS };
}

/** shmsink leaves its area (/dev/shm/shmpipe.*) behind when it fails at the end: remove what this run made. */
const shmAreas = () => new Set(readdirSync('/dev/shm').filter((f) => f.startsWith('shmpipe.')));

async function shm(w: number, h: number): Promise<Result> {
  const before = shmAreas();
  const socket = join(tmpdir(), `bench-gst-shm-${process.pid}`);
  rmSync(socket, { force: true });
  const frameBytes = (w * h * 3) / 2;
  const producer = timed([...source(w, h), '!', 'shmsink', `socket-path=${socket}`, `shm-size=${frameBytes * 8}`, 'wait-for-connection=true', 'sync=false'], 1);
  while (!existsSync(socket)) await new Promise((r) => setTimeout(r, 20));
  const started = process.hrtime.bigint();
  const consumer = untilQuiet(['-v', 'shmsrc', `socket-path=${socket}`, 'is-live=true', '!', `video/x-raw,format=I420,width=${w},height=${h},framerate=30/1`, '!', ...counter]);
  const p = await producer;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = await consumer;
  const n = delivered(c.stdout);
  rmSync(socket, { force: true });
  for (const area of shmAreas()) if (!before.has(area)) rmSync(`/dev/shm/${area}`, { force: true });
  return { delivered: n, fps: n / seconds, cpuMsPerFrame: ((p.cpuS + c.cpuS) * 1000) / Math.max(n, 1) };
}

if (spawnSync('gst-inspect-1.0', ['shmsink'], { env }).status !== 0) {
  console.error('bench:gstreamer needs shmsink (gstreamer1.0-plugins-bad)');
  process.exit(1);
}
console.log(`vidbus GStreamer benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${frames} frames per run, I420, producer as fast as it can`);
console.log('');
console.log('| size | transport | frames delivered | frames/s | CPU ms per delivered frame (both processes) | frames/s vs shm | CPU vs shm |');
console.log('|---|---|---|---|---|---|---|');
for (const [w, h] of [
  [1920, 1080],
  [3840, 2160],
] as [number, number][]) {
  process.stderr.write(`bench:gstreamer: ${w}x${h} vidbus...\n`);
  const ours = await vidbus(w, h);
  process.stderr.write(`bench:gstreamer: ${w}x${h} shm...\n`);
  const theirs = await shm(w, h);
  const row = (label: string, r: Result, ratios: string) => console.log(`| ${w}x${h} | ${label} | ${r.delivered} | ${r.fps.toFixed(1)} | ${r.cpuMsPerFrame.toFixed(2)} | ${ratios} |`);
  row('vidbussink -> vidbussrc', ours, `${(ours.fps / theirs.fps).toFixed(2)}x | ${(ours.cpuMsPerFrame / theirs.cpuMsPerFrame).toFixed(2)}x`);
  row('shmsink -> shmsrc', theirs, '1.00x | 1.00x');
}
