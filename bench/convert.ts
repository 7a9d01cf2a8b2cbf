/**
 * npm run bench:convert: vidbus's pixel kernels (native/pixels.c through
 * src/video/convert.ts) against ffmpeg's swscale, in the same run.
 * ffmpeg's per-frame cost is the difference between runs of 2N and N
 * frames (user+sys CPU), so its start-up cancels out, minus the cost of
 * generating the source frames alone (measured the same way). Both sides
 * scale with nearest-neighbour sampling (-sws_flags neighbor).
 *   node dist/bench/convert.js [--frames 60]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fitFrame } from '../src/video/convert.js';
import { formatInfo, frameLayout, type RawFormat } from '../src/video/formats.js';
import { drawPattern } from '../src/video/pattern.js';
import { numberOption } from './args.js';

const N = numberOption('--frames', 100);

interface Cell {
  from: RawFormat;
  to: RawFormat;
  src: [number, number];
  dst: [number, number];
}

function vidbusMs({ from, to, src, dst }: Cell): number {
  const rgbaLayout = frameLayout('RGBA', src[0], src[1]);
  const rgba = new Uint8Array(rgbaLayout.frameBytes);
  drawPattern(rgba, rgbaLayout, 1);
  const srcLayout = frameLayout(from, src[0], src[1]);
  const input = new Uint8Array(srcLayout.frameBytes);
  fitFrame(rgba, rgbaLayout, input, srcLayout);
  const dstLayout = frameLayout(to, dst[0], dst[1]);
  const out = new Uint8Array(dstLayout.frameBytes);
  for (let i = 0; i < 5; i++) fitFrame(input, srcLayout, out, dstLayout);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fitFrame(input, srcLayout, out, dstLayout);
  return Number(process.hrtime.bigint() - t0) / 1e6 / N;
}

function ffmpegCpuMs(source: string, [w, h]: [number, number], to: string, frames: number, scale: string[]): number {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-benchmark', '-f', 'lavfi', '-i', `testsrc2=s=${w}x${h}:r=30,format=${source}`];
  args.push('-frames:v', String(frames), ...scale, '-sws_flags', 'neighbor', '-pix_fmt', to, '-f', 'null', '-');
  const run = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(run.stderr);
  if (!m) throw new Error(`ffmpeg -benchmark gave no times: ${run.stderr}`);
  return (Number(m[1]) + Number(m[2])) * 1000;
}

function ffmpegMs({ from, to, src, dst }: Cell): number {
  const source = formatInfo(from).ffmpeg;
  const scale = src[0] !== dst[0] || src[1] !== dst[1] ? ['-vf', `scale=${dst[0]}:${dst[1]}`] : [];
  const perFrame = (target: string, s: string[]) => (ffmpegCpuMs(source, src, target, 2 * N, s) - ffmpegCpuMs(source, src, target, N, s)) / N;
  return Math.max(perFrame(formatInfo(to).ffmpeg, scale) - perFrame(source, []), 0);
}

const cells: Cell[] = [];
for (const size of [
  [1280, 720],
  [1920, 1080],
] as [number, number][]) {
  for (const from of ['RGBA', 'BGRA', 'NV12', 'I420'] as RawFormat[]) {
    for (const to of ['YUYV', 'I420', 'NV12'] as RawFormat[]) if (from !== to) cells.push({ from, to, src: size, dst: size });
  }
}
cells.push({ from: 'NV12', to: 'YUYV', src: [640, 360], dst: [1280, 720] });
cells.push({ from: 'RGBA', to: 'YUYV', src: [1920, 1080], dst: [1280, 720] });
cells.push({ from: 'I420', to: 'NV12', src: [1280, 720], dst: [1920, 1080] });
cells.push({ from: 'YUYV', to: 'YUYV', src: [640, 480], dst: [1280, 720] });

const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
console.log(`vidbus conversion benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${N} frames per cell`);
console.log('');
console.log('| conversion | size | vidbus ms/frame | ffmpeg swscale ms/frame (CPU) | vidbus / ffmpeg |');
console.log('|---|---|---|---|---|');
const size = (s: [number, number]) => `${s[0]}x${s[1]}`;
for (const cell of cells) {
  const ours = vidbusMs(cell);
  const theirs = haveFfmpeg ? ffmpegMs(cell) : NaN;
  const sizes = cell.src[0] === cell.dst[0] ? size(cell.src) : `${size(cell.src)} -> ${size(cell.dst)}`;
  // Below ~0.05 ms ffmpeg's cost is lost in the noise of subtracting two whole runs.
  const measurable = Number.isFinite(theirs) && theirs >= 0.05;
  const ratio = measurable ? `${(ours / theirs).toFixed(2)}x` : '-';
  const shown = !Number.isFinite(theirs) ? 'ffmpeg not installed' : measurable ? theirs.toFixed(2) : '< 0.05 (below noise)';
  console.log(`| ${cell.from} -> ${cell.to} | ${sizes} | ${ours.toFixed(2)} | ${shown} | ${ratio} |`);
}
