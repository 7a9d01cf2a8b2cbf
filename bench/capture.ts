/**
 * npm run bench:capture (inside the VM lab, which has vivid):
 *   npm run test:vm -- 'modprobe vivid n_devs=1 node_types=0x1 && node dist/bench/capture.js'
 * Captures vivid's largest YUYV size with vidbus (onto the bus, USERPTR and
 * MMAP), ffmpeg (-f v4l2 ... -f null) and GStreamer (v4l2src ! identity !
 * fakesink), one after the other in the same run. Every capturer gets the
 * same treatment: a warm-up, then a fixed window in which its frames and
 * its process's CPU time (/proc/PID/stat, or process.cpuUsage for vidbus)
 * are counted. The VM runs under software emulation (TCG): compare the
 * ratios, not the absolute numbers.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadavg } from 'node:os';
import { createCameraSource } from '../src/sources/camera.js';
import { openVideoNode, videoNodePaths, queryCapabilities } from '../src/native/v4l2.js';
import { BUF_TYPE, enumerateFormats, enumerateFrameRates, enumerateFrameSizes } from '../src/native/v4l2-stream.js';
import { closeSync, readFileSync } from 'node:fs';

const device = videoNodePaths().find((p) => {
  try {
    const c = queryCapabilities(p);
    return c.driver === 'vivid' && c.canCapture;
  } catch {
    return false;
  }
});
if (!device) {
  console.error('bench:capture needs vivid (run it in the VM lab: see the header of bench/capture.ts)');
  process.exit(2);
}
const fd = openVideoNode(device);
const yuyv = enumerateFormats(fd, BUF_TYPE.CAPTURE).find((f) => f.fourcc === 'YUYV')!;
const sizes = enumerateFrameSizes(fd, yuyv.pixelFormat).flatMap((s) => (s.kind === 'discrete' ? [s] : []));
const largest = sizes.sort((a, b) => b.width * b.height - a.width * a.height)[0]!;
const rates = enumerateFrameRates(fd, yuyv.pixelFormat, largest.width, largest.height);
const fps = rates.kind === 'discrete' ? Math.max(...rates.rates.map((r) => r.num / r.den)) : rates.max.num / rates.max.den;
closeSync(fd);
const { width, height } = largest;

const WARMUP_MS = 4000;
const WINDOW_MS = 12000;

interface Result {
  fps: number;
  cpuMs: number;
}

async function vidbus(io: 'userptr' | 'mmap'): Promise<Result> {
  const source = await createCameraSource({ device: device!, name: `bench-capture-${process.pid}`, format: 'YUYV', width, height, fps, io });
  await sleep(WARMUP_MS);
  const start = source.stats().published;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(WINDOW_MS); // one timer for the window: polling here would cost more than the capture
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const frames = source.stats().published - start;
  await source.close();
  return { fps: frames / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, frames) };
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs a peer, counting frames by the lines `countFrames` finds in its output. */
async function peer(cmd: string, args: string[], countFrames: (output: string) => number): Promise<Result> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await sleep(WARMUP_MS);
  const frames0 = countFrames(output);
  const cpu0 = cpuMsOf(child.pid!);
  const t0 = process.hrtime.bigint();
  await sleep(WINDOW_MS);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuMsOf(child.pid!) - cpu0;
  const frames = countFrames(output) - frames0;
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  if (frames <= 0) throw new Error(`${cmd} captured nothing: ${output.slice(-2000)}`);
  return { fps: frames / seconds, cpuMs: cpu / frames };
}

const lastFrameNumber = (output: string) => Number([...output.matchAll(/frame=\s*(\d+)/g)].pop()?.[1] ?? 0);
const ffmpeg = () =>
  peer('ffmpeg', ['-nostdin', '-stats', '-f', 'v4l2', '-input_format', 'yuyv422', '-video_size', `${width}x${height}`, '-framerate', String(fps), '-i', device!, '-f', 'null', '-'], lastFrameNumber);
const gst = () =>
  peer('gst-launch-1.0', ['-v', 'v4l2src', `device=${device}`, '!', `video/x-raw,format=YUY2,width=${width},height=${height},framerate=${fps}/1`, '!', 'identity', 'silent=false', '!', 'fakesink'], (o) => (o.match(/chain/g) ?? []).length);

console.log(`capture benchmark  ${device} (vivid) YUYV ${width}x${height} @ ${fps} fps  ${WINDOW_MS / 1000} s window per capturer  load ${loadavg()[0]!.toFixed(2)}`);
console.log('');
console.log('| capturer | frames/s | CPU ms/frame | CPU vs ffmpeg |');
console.log('|---|---|---|---|');
const rows: [string, Result][] = [
  ['vidbus (USERPTR into bus slots, zero copy)', await vidbus('userptr')],
  ['vidbus (MMAP, one copy into the bus)', await vidbus('mmap')],
  ['ffmpeg -f v4l2 ... -f null', await ffmpeg()],
  ['gst-launch-1.0 v4l2src ! identity ! fakesink', await gst()],
];
const ref = rows[2]![1].cpuMs;
for (const [name, r] of rows) console.log(`| ${name} | ${r.fps.toFixed(1)} | ${r.cpuMs.toFixed(2)} | ${ref > 0 ? (r.cpuMs / ref).toFixed(2) + 'x' : '-'} |`);
