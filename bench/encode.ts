/**
 * npm run bench:encode: H.264 with libx264 at 720p30 and 1080p30, in one run:
 * - vidbus: a producer here publishes I420 frames into the bus; `vidbus
 *   encode` (vidbus-encode) hands each slot to libx264 as it is and
 *   publishes the access unit; a Node consumer here takes it. Latency is
 *   raw publish -> encoded frame received (the capture timestamp travels
 *   with the frame); the stage also reports the encoder's own time.
 * - ffmpeg: the same frames written to `ffmpeg -f rawvideo -i pipe:0 -c:v
 *   libx264 ... -f h264 pipe:1`; latency is write -> the access unit's first
 *   bytes read back.
 * Both: preset veryfast, tune zerolatency, 4 Mb/s (720p: 2.5 Mb/s), gop 60,
 * no B-frames. CPU is the encoding process's own (user + system, all
 * threads) over the window after a warm-up, per frame.
 *
 *   npm run bench:encode [-- --seconds 10]
 */
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { convertFrame, createProducer, frameLayout, openConsumer } from '../src/index.js';
import { startEncodeStage } from '../src/encode/encode-stage.js';
import { monoNs, sleep } from '../src/util/clock.js';
import { percentile } from '../src/util/latency.js';
import { numberOption } from './args.js';
import { cpuSecondsOf } from './proc.js';

const seconds = numberOption('--seconds', 10);
const WARM_UP_MS = 2000;
const FPS = 30;
const SIZES = [
  { label: '720p30', width: 1280, height: 720, bitrate: 2_500_000 },
  { label: '1080p30', width: 1920, height: 1080, bitrate: 4_000_000 },
];

if (spawnSync('sh', ['-c', 'command -v ffmpeg'], { stdio: 'ignore' }).status !== 0) {
  console.error('bench:encode needs ffmpeg');
  process.exit(1);
}

interface Result {
  fps: number;
  cpuMsPerFrame: number;
  p50Ms: number;
  p99Ms: number;
  encoderP50Ms?: number;
  encoderP99Ms?: number;
}

/** 30 distinct I420 pictures: diagonal colour bands that move, and a bright box crossing them. */
function pictures(width: number, height: number): Uint8Array[] {
  const rgbaLayout = frameLayout('RGBA', width, height);
  const i420 = frameLayout('I420', width, height);
  const rgba = new Uint8Array(rgbaLayout.frameBytes);
  const out: Uint8Array[] = [];
  for (let n = 0; n < FPS; n++) {
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const band = ((x + y + n * 16) >> 6) & 7;
        const inBox = Math.abs(x - ((n * width) / FPS)) < 80 && Math.abs(y - height / 2) < 80;
        const o = (y * width + x) * 4;
        rgba[o] = inBox ? 255 : band & 1 ? 220 : 30;
        rgba[o + 1] = inBox ? 255 : band & 2 ? 200 : 40;
        rgba[o + 2] = inBox ? 255 : band & 4 ? 210 : 50;
        rgba[o + 3] = 255;
      }
    const picture = new Uint8Array(i420.frameBytes);
    convertFrame(rgba, rgbaLayout, picture, i420);
    out.push(picture);
  }
  return out;
}

/** Calls `tick(n)` at FPS until `stop()` says so; returns the stopper. */
function paced(tick: (n: number) => void): () => void {
  let n = 0;
  const start = performance.now();
  let timer: NodeJS.Timeout;
  const next = () => {
    tick(n++);
    timer = setTimeout(next, Math.max(0, start + (n * 1000) / FPS - performance.now()));
  };
  timer = setTimeout(next, 0);
  return () => clearTimeout(timer);
}

/** Measures over the window: frames(), the process's CPU, and the latencies gathered meanwhile. */
async function measure(pid: number, frames: () => number, latencies: number[]): Promise<Omit<Result, 'encoderP50Ms' | 'encoderP99Ms'>> {
  await sleep(WARM_UP_MS);
  latencies.length = 0;
  const cpu0 = cpuSecondsOf(pid);
  const n0 = frames();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu1 = cpuSecondsOf(pid);
  const n = frames() - n0;
  const elapsed = (performance.now() - t0) / 1000;
  return { fps: n / elapsed, cpuMsPerFrame: ((cpu1 - cpu0) * 1000) / Math.max(n, 1), p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

async function vidbus(size: (typeof SIZES)[number], frames: Uint8Array[]): Promise<Result> {
  const input = `bench-enc-in-${process.pid}`;
  const output = `bench-enc-out-${process.pid}`;
  const producer = await createProducer(input, { width: size.width, height: size.height, format: 'I420', fps: FPS });
  const stage = await startEncodeStage({ input, output, bitrate: size.bitrate, gop: 60, preset: 'veryfast' });
  const stopPacing = paced((n) => producer.write(frames[n % frames.length]!, { timestamp: monoNs() }));
  try {
    await stage.ready();
    const consumer = await openConsumer(output, { policy: 'every' });
    const latencies: number[] = [];
    let received = 0;
    const reading = (async () => {
      for await (const f of consumer) {
        latencies.push(Number(monoNs() - f.timestamp) / 1e6);
        received++;
      }
    })().catch(() => undefined);
    const r = await measure(stage.pid!, () => received, latencies);
    const s = stage.stats();
    consumer.close();
    await reading;
    return { ...r, encoderP50Ms: s.encoderP50Us / 1000, encoderP99Ms: s.encoderP99Us / 1000 };
  } finally {
    stopPacing();
    await stage.close();
    producer.close();
  }
}

async function ffmpeg(size: (typeof SIZES)[number], frames: Uint8Array[]): Promise<Result> {
  const child = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-video_size', `${size.width}x${size.height}`, '-framerate', String(FPS), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', String(size.bitrate), '-maxrate', String(size.bitrate), '-bufsize', String(size.bitrate),
      '-g', '60', '-bf', '0', '-f', 'h264', 'pipe:1'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const sent: bigint[] = [];
  const latencies: number[] = [];
  let received = 0;
  // A frame's first slice has first_mb_in_slice 0: the bit after the NAL header is 1.
  let tail = Buffer.alloc(0);
  child.stdout!.on('data', (chunk: Buffer) => {
    const now = monoNs();
    const data = Buffer.concat([tail, chunk]);
    for (let i = 0; i + 4 < data.length; i++) {
      if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
        const type = data[i + 3]! & 0x1f;
        if ((type === 1 || type === 5) && data[i + 4]! & 0x80) {
          const at = sent[received];
          if (at !== undefined) latencies.push(Number(now - at) / 1e6);
          received++;
        }
        i += 3;
      }
    }
    tail = data.subarray(Math.max(0, data.length - 4));
  });
  child.stdin!.on('error', () => undefined);
  const stopPacing = paced((n) => {
    sent.push(monoNs());
    child.stdin!.write(frames[n % frames.length]!);
  });
  try {
    return await measure(child.pid!, () => received, latencies);
  } finally {
    stopPacing();
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '—' : n.toFixed(digits));
console.log(`bench:encode — libx264 veryfast/zerolatency, I420 in, ${seconds} s per run after ${WARM_UP_MS / 1000} s warm-up; load ${loadavg()[0]!.toFixed(2)}`);
console.log('| size | path | fps | CPU ms/frame | latency p50 ms | p99 ms | encoder p50 / p99 ms |');
console.log('|---|---|---|---|---|---|---|');
const rows: { label: string; v: Result; f: Result }[] = [];
for (const size of SIZES) {
  const frames = pictures(size.width, size.height);
  const v = await vidbus(size, frames);
  const f = await ffmpeg(size, frames);
  rows.push({ label: size.label, v, f });
  console.log(`| ${size.label} | vidbus encode | ${fmt(v.fps, 1)} | ${fmt(v.cpuMsPerFrame)} | ${fmt(v.p50Ms)} | ${fmt(v.p99Ms)} | ${fmt(v.encoderP50Ms)} / ${fmt(v.encoderP99Ms)} |`);
  console.log(`| ${size.label} | ffmpeg rawvideo pipe | ${fmt(f.fps, 1)} | ${fmt(f.cpuMsPerFrame)} | ${fmt(f.p50Ms)} | ${fmt(f.p99Ms)} | — |`);
}
console.log('\nRatios (vidbus / ffmpeg) and targets:');
for (const { label, v, f } of rows) {
  const added = v.p50Ms - (v.encoderP50Ms ?? 0);
  console.log(
    `- ${label}: CPU ${fmt(v.cpuMsPerFrame / f.cpuMsPerFrame)}x, latency p50 ${fmt(v.p50Ms / f.p50Ms)}x, p99 ${fmt(v.p99Ms / f.p99Ms)}x; ` +
      `added by the stage over the encoder's own p50: ${fmt(added)} ms (target ≤ 2 ms: ${added <= 2 ? 'met' : 'NOT met'})`,
  );
}
