/**
 * npm run bench:convert: vidbus's pixel conversions (src/video/convert.ts,
 * and the daemon's full fit + convert path) against ffmpeg's swscale, in
 * the same run. ffmpeg's per-frame cost is the difference between runs of
 * 2N and N frames (user+sys CPU), so its start-up cancels out.
 *   node dist/bench/convert.js [--frames 60]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { convertFrame } from '../src/video/convert.js';
import { frameLayout, type PixelFormat } from '../src/video/formats.js';
import { fitToRgba } from '../src/video/resample.js';
import { drawPattern } from '../src/video/pattern.js';

const framesArg = process.argv.indexOf('--frames');
const N = framesArg >= 0 ? Number(process.argv[framesArg + 1]) : 60;
const FFMPEG_FORMAT: Record<string, string> = { YUYV: 'yuyv422', I420: 'yuv420p', NV12: 'nv12', RGBA: 'rgba' };

function vidbusMs(w: number, h: number, to: PixelFormat, scaleFrom?: [number, number]): number {
  const rgbaLayout = frameLayout('RGBA', w, h);
  const rgba = new Uint8Array(rgbaLayout.frameBytes);
  const dst = frameLayout(to, w, h);
  const out = new Uint8Array(dst.frameBytes);
  let src: Uint8Array | undefined;
  let srcLayout: ReturnType<typeof frameLayout> | undefined;
  if (scaleFrom) {
    srcLayout = frameLayout('NV12', scaleFrom[0], scaleFrom[1]);
    src = new Uint8Array(srcLayout.frameBytes).fill(128);
  } else drawPattern(rgba, rgbaLayout, 1);
  const step = () => {
    if (src && srcLayout) fitToRgba(src, srcLayout, rgba, w, h);
    convertFrame(rgba, rgbaLayout, out, dst);
  };
  for (let i = 0; i < 5; i++) step(); // warm up the JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) step();
  return Number(process.hrtime.bigint() - t0) / 1e6 / N;
}

function ffmpegCpuMs(w: number, h: number, to: string, frames: number, scaleFrom?: [number, number]): number {
  const input = scaleFrom ? ['-f', 'lavfi', '-i', `testsrc2=s=${scaleFrom[0]}x${scaleFrom[1]}:r=30,format=nv12`] : ['-f', 'lavfi', '-i', `testsrc2=s=${w}x${h}:r=30,format=rgba`];
  const filters = scaleFrom ? ['-vf', `scale=${w}:${h}:flags=neighbor`] : [];
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-benchmark', ...input, '-frames:v', String(frames), ...filters, '-pix_fmt', to, '-f', 'null', '-'];
  const run = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(run.stderr);
  if (!m) throw new Error(`ffmpeg -benchmark gave no times: ${run.stderr}`);
  return (Number(m[1]) + Number(m[2])) * 1000;
}

function ffmpegMs(w: number, h: number, to: string, scaleFrom?: [number, number]): number {
  // The lavfi source generates frames too; measure it alone and subtract.
  const once = (fmt: string, f: number) => ffmpegCpuMs(w, h, fmt, f, scaleFrom);
  const convert = (once(to, 2 * N) - once(to, N)) / N;
  const sourceOnly = (once(scaleFrom ? 'nv12' : 'rgba', 2 * N) - once(scaleFrom ? 'nv12' : 'rgba', N)) / N;
  return Math.max(convert - (scaleFrom ? 0 : sourceOnly), 0);
}

const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
console.log(`vidbus conversion benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${N} frames per cell`);
console.log('');
console.log('| conversion | size | vidbus ms/frame | ffmpeg swscale ms/frame (CPU) | vidbus / ffmpeg |');
console.log('|---|---|---|---|---|');
for (const [w, h] of [
  [1280, 720],
  [1920, 1080],
] as const) {
  for (const to of ['YUYV', 'I420', 'NV12'] as const) {
    const ours = vidbusMs(w, h, to);
    const theirs = haveFfmpeg ? ffmpegMs(w, h, FFMPEG_FORMAT[to]!) : NaN;
    console.log(`| RGBA -> ${to} | ${w}x${h} | ${ours.toFixed(2)} | ${haveFfmpeg ? theirs.toFixed(2) : 'ffmpeg not installed'} | ${haveFfmpeg ? (ours / theirs).toFixed(1) + 'x' : '-'} |`);
  }
  const ours = vidbusMs(w, h, 'YUYV', [640, 360]);
  const theirs = haveFfmpeg ? ffmpegMs(w, h, 'yuyv422', [640, 360]) : NaN;
  console.log(`| 640x360 NV12 -> fit -> YUYV (daemon path) | ${w}x${h} | ${ours.toFixed(2)} | ${haveFfmpeg ? theirs.toFixed(2) + ' (scale+convert incl. source)' : '-'} | ${haveFfmpeg ? (ours / theirs).toFixed(1) + 'x' : '-'} |`);
}
