/**
 * npm run bench:vcam: the latency and CPU the virtual-camera service adds
 * between a bus stream and the device, against the usual peer, an ffmpeg
 * process converting raw frames from a pipe (how v4l2loopback is fed with
 * ffmpeg), in the same run.
 *
 * vidbus: a producer process publishes at the device rate; the service (in
 * this process) receives, converts/scales and hands each frame to the
 * null sink backend, which drops it (the VM lab proves the real device;
 * this machine has none). Added latency is publish -> handed over,
 * CLOCK_MONOTONIC.
 * ffmpeg: this process writes each frame to ffmpeg's stdin and reads the
 * converted frame back from its stdout; latency is write -> frame read.
 * CPU is the service process, or the ffmpeg process, per frame.
 *   node dist/bench/vcam.js [--seconds 5]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../src/util/latency.js';
import { VcamService } from '../src/daemon/vcam-service.js';
import { formatInfo, frameLayout, type RawFormat } from '../src/video/formats.js';
import { fitFrame } from '../src/video/convert.js';
import { drawPattern } from '../src/video/pattern.js';
import { numberOption } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = numberOption('--seconds', 5);
const FPS = 30;

interface Case {
  from: RawFormat;
  src: [number, number];
  dst: [number, number];
}

interface Result {
  p50Ms: number;
  p99Ms: number;
  cpuMsPerFrame: number;
  frames: number;
}

async function vidbus(c: Case): Promise<Result> {
  const name = `bench-vcam-${process.pid}`;
  const child = spawn(process.execPath, [join(here, 'vcam-producer.js'), name, String(c.src[0]), String(c.src[1]), c.from, String(FPS), String(SECONDS + 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const service = await VcamService.start({ from: name, width: c.dst[0], height: c.dst[1], fps: FPS, backend: 'null' });
  await new Promise((r) => setTimeout(r, 500)); // warm up
  const cpu0 = process.cpuUsage();
  const live0 = service.stats().liveFrames;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const stats = service.stats();
  await service.close();
  await new Promise((r) => child.once('exit', r));
  const frames = stats.liveFrames - live0;
  return { p50Ms: stats.addedLatency.p50Us / 1000, p99Ms: stats.addedLatency.p99Us / 1000, cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / stats.framesWritten, frames };
}

function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ = 100)
}

async function ffmpeg(c: Case): Promise<Result> {
  const srcLayout = frameLayout(c.from, c.src[0], c.src[1]);
  const rgbaLayout = frameLayout('RGBA', c.src[0], c.src[1]);
  const rgba = new Uint8Array(rgbaLayout.frameBytes);
  drawPattern(rgba, rgbaLayout, 1);
  const input = new Uint8Array(srcLayout.frameBytes);
  fitFrame(rgba, rgbaLayout, input, srcLayout);
  const outBytes = c.dst[0] * c.dst[1] * 2;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-fflags', 'nobuffer', '-flags', 'low_delay', '-f', 'rawvideo', '-pix_fmt', formatInfo(c.from).ffmpeg, '-s', `${c.src[0]}x${c.src[1]}`, '-r', String(FPS), '-i', 'pipe:0'];
  args.push('-vf', `scale=${c.dst[0]}:${c.dst[1]}:force_original_aspect_ratio=decrease:flags=neighbor,pad=${c.dst[0]}:${c.dst[1]}:-1:-1`, '-pix_fmt', 'yuyv422', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-flush_packets', '1', 'pipe:1');
  const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const sent: bigint[] = [];
  const latencies: number[] = [];
  let received = 0;
  let pending = 0;
  let measuring = false;
  child.stdout.on('data', (d: Buffer) => {
    pending += d.length;
    while (pending >= outBytes) {
      pending -= outBytes;
      const t = sent[received++];
      if (measuring && t !== undefined) latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  });
  const total = (SECONDS + 0.5) * FPS;
  let cpu0 = 0;
  for (let i = 0; i < total; i++) {
    if (i === Math.round(0.5 * FPS)) {
      measuring = true;
      cpu0 = procCpuMs(child.pid!);
    }
    sent.push(process.hrtime.bigint());
    child.stdin.write(input);
    await new Promise((r) => setTimeout(r, 1000 / FPS));
  }
  const cpu = procCpuMs(child.pid!) - cpu0;
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  const measured = total - Math.round(0.5 * FPS);
  return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), cpuMsPerFrame: cpu / measured, frames: latencies.length };
}

const cases: Case[] = [
  { from: 'RGBA', src: [1280, 720], dst: [1280, 720] },
  { from: 'NV12', src: [1920, 1080], dst: [1280, 720] },
  { from: 'YUYV', src: [640, 480], dst: [1280, 720] },
];
console.log(`vidbus virtual-camera benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${FPS} fps, ${SECONDS} s per cell`);
console.log('');
console.log('| input -> device YUYV | vidbus added latency p50 / p99 ms | ffmpeg pipe p50 / p99 ms | latency ratio (p50) | vidbus CPU ms/frame | ffmpeg CPU ms/frame |');
console.log('|---|---|---|---|---|---|');
for (const c of cases) {
  const ours = await vidbus(c);
  const theirs = await ffmpeg(c);
  const label = `${c.from} ${c.src[0]}x${c.src[1]} -> ${c.dst[0]}x${c.dst[1]}`;
  console.log(
    `| ${label} | ${ours.p50Ms.toFixed(2)} / ${ours.p99Ms.toFixed(2)} | ${theirs.p50Ms.toFixed(2)} / ${theirs.p99Ms.toFixed(2)} | ${(ours.p50Ms / theirs.p50Ms).toFixed(2)}x | ${ours.cpuMsPerFrame.toFixed(2)} | ${theirs.cpuMsPerFrame.toFixed(2)} |`,
  );
}
