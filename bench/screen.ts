/**
 * npm run bench:screen: capturing an X screen at 1080p, 30 and 60 fps,
 * under Xvfb (started here), in one run:
 * - vidbus `stream --screen` (the X server writes into bus slots), with a
 *   Node consumer in this process timing capture -> consumer;
 * - ffmpeg `-f x11grab` into the null muxer;
 * - GStreamer `ximagesrc ! fakesink`.
 * A painter (GStreamer's videotestsrc pattern=ball into ximagesink, a
 * 1920x1080 window) changes the whole screen 60 times a second, so a
 * damage-driven grabber has something to capture every frame. None of the
 * grabbers draws the cursor. CPU is the grabber process's own (user +
 * system) over a window after a warm-up, per frame it delivered; the X
 * server's copy is the same for all three and not counted.
 *
 *   npm run bench:screen [-- --seconds 10]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { inspectStream, openConsumer, type Consumer } from '../src/index.js';
import { monoNs, sleep } from '../src/util/clock.js';
import { percentile } from '../src/util/latency.js';
import { Xvfb } from '../test/screen/xvfb.js';
import { numberOption } from './args.js';
import { cpuSecondsOf } from './proc.js';

const seconds = numberOption('--seconds', 10);
const WARM_UP_MS = 2000;
const W = 1920;
const H = 1080;
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

for (const tool of ['Xvfb', 'xsetroot', 'ffmpeg', 'gst-launch-1.0']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
    console.error(`bench:screen needs ${tool}`);
    process.exit(1);
  }
}

interface Result {
  fps: number;
  cpuMsPerFrame: number;
  p50Us?: number;
  p99Us?: number;
}

/** Waits out the warm-up, then measures `frames()` and the child's CPU over the window. */
async function window(child: ChildProcess, frames: () => number): Promise<Result> {
  await sleep(WARM_UP_MS);
  const cpu0 = cpuSecondsOf(child.pid!);
  const n0 = frames();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu1 = cpuSecondsOf(child.pid!);
  const n = frames() - n0;
  const elapsed = (performance.now() - t0) / 1000;
  return { fps: n / elapsed, cpuMsPerFrame: ((cpu1 - cpu0) * 1000) / Math.max(n, 1) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function vidbus(display: string, fps: number): Promise<Result> {
  const name = `bench-screen-${process.pid}`;
  const child = spawn(process.execPath, [cli, 'stream', '--screen', `x11:${display}`, '--name', name, '--fps', String(fps)], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    let consumer: Consumer | undefined;
    for (let i = 0; i < 100 && !consumer; i++) {
      consumer = await openConsumer(name).catch(() => undefined);
      if (!consumer) await sleep(50);
    }
    if (!consumer) throw new Error('vidbus stream --screen never published');
    const latencies: number[] = [];
    let measuring = true;
    const reader = consumer;
    const reading = (async () => {
      for await (const frame of reader) {
        if (!measuring) break;
        latencies.push(Number(monoNs() - frame.timestamp) / 1000);
      }
    })();
    const published = () => inspectStream(name).published;
    const r = await window(child, published);
    measuring = false;
    await consumer.close();
    await reading.catch(() => undefined);
    // The first frames fall in the warm-up.
    const counted = latencies.slice(Math.round((WARM_UP_MS / 1000) * fps));
    return { ...r, p50Us: percentile(counted, 0.5), p99Us: percentile(counted, 0.99) };
  } finally {
    await stopChild(child);
  }
}

async function ffmpeg(display: string, fps: number): Promise<Result> {
  const child = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-stats_period', '0.2', '-f', 'x11grab', '-draw_mouse', '0', '-framerate', String(fps), '-video_size', `${W}x${H}`, '-i', display, '-f', 'null', '-'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let frames = 0;
  child.stdout!.on('data', (d: Buffer) => {
    for (const m of d.toString().matchAll(/^frame=(\d+)/gm)) frames = Number(m[1]);
  });
  try {
    return await window(child, () => frames);
  } finally {
    await stopChild(child);
  }
}

async function ximagesrc(display: string, fps: number): Promise<Result> {
  const child = spawn('gst-launch-1.0', ['-v', 'ximagesrc', `display-name=${display}`, 'show-pointer=false', 'use-damage=false', '!', `video/x-raw,framerate=${fps}/1`, '!', 'fakesink', 'silent=false', 'sync=false'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let frames = 0;
  child.stdout!.on('data', (d: Buffer) => (frames += [...d.toString().matchAll(/chain {3}\*{7}/g)].length));
  try {
    return await window(child, () => frames);
  } finally {
    await stopChild(child);
  }
}

const x = await Xvfb.start(W, H);
const painter = spawn('gst-launch-1.0', ['videotestsrc', 'pattern=ball', 'is-live=true', '!', `video/x-raw,width=${W},height=${H},framerate=60/1`, '!', 'ximagesink', `display=${x.display}`], { stdio: 'ignore' });
try {
  await sleep(1500);
  console.log(`vidbus screen benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  Xvfb ${W}x${H}, the whole screen repainted at 60 fps, ${seconds} s per run after ${WARM_UP_MS / 1000} s of warm-up`);
  console.log('');
  console.log('| fps asked | grabber | frames/s | CPU ms per frame (grabber) | CPU vs x11grab | capture → consumer p50 µs | p99 µs |');
  console.log('|---|---|---|---|---|---|---|');
  const targets: string[] = [];
  for (const fps of [30, 60]) {
    process.stderr.write(`bench:screen: ${fps} fps vidbus...\n`);
    const ours = await vidbus(x.display, fps);
    process.stderr.write(`bench:screen: ${fps} fps ffmpeg x11grab...\n`);
    const grab = await ffmpeg(x.display, fps);
    process.stderr.write(`bench:screen: ${fps} fps ximagesrc...\n`);
    const gst = await ximagesrc(x.display, fps);
    const row = (label: string, r: Result) =>
      console.log(
        `| ${fps} | ${label} | ${r.fps.toFixed(1)} | ${r.cpuMsPerFrame.toFixed(2)} | ${(r.cpuMsPerFrame / grab.cpuMsPerFrame).toFixed(2)}x | ${r.p50Us?.toFixed(0) ?? '—'} | ${r.p99Us?.toFixed(0) ?? '—'} |`,
      );
    row('vidbus stream --screen', ours);
    row('ffmpeg -f x11grab', grab);
    row('gst ximagesrc', gst);
    targets.push(`| ${fps} fps: CPU per frame < x11grab | ${(ours.cpuMsPerFrame / grab.cpuMsPerFrame).toFixed(2)}x | ${ours.cpuMsPerFrame < grab.cpuMsPerFrame ? 'met' : 'NOT met'} |`);
  }
  console.log('');
  console.log('| target | vidbus / x11grab | |');
  console.log('|---|---|---|');
  for (const t of targets) console.log(t);
} finally {
  painter.kill('SIGKILL');
  await x.stop();
}
