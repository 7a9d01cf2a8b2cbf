/**
 * npm run bench:effects: background blur and replacement per frame at 720p
 * and 1080p, broken down (decode to RGBA, model inference in the worker,
 * mask + composite (+ blur), encode to the output format), the rate when
 * each step waits for the one before (serial) and when inference overlaps
 * compositing as the effect stage runs it (pipelined), and the CPU used
 * then (all threads, in cores), beside a naive-JS baseline of the
 * composite and blur measured in the same run.
 *   node dist/bench/effects.js [--frames 60]
 * The input is a photograph of a person (test/fixtures/downloaded, from
 * scripts/setup.sh) in NV12, as a camera would deliver it.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Segmenter } from '../src/effects/segmenter.js';
import { Compositor, type Effect } from '../src/effects/compositor.js';
import { fitFrame, stretchFrame } from '../src/video/convert.js';
import { frameLayout } from '../src/video/formats.js';
import { loadImage } from '../src/video/image-file.js';
import { numberOption } from './args.js';

const N = numberOption('--frames', 60);
const PERSON = fileURLToPath(new URL('../../test/fixtures/downloaded/astronaut.png', import.meta.url));
if (!existsSync(PERSON)) {
  console.error('bench:effects needs the person photo: run scripts/setup.sh');
  process.exit(2);
}
const photo = loadImage(PERSON);
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** The obvious JavaScript: a 3-pass box blur each way and a per-pixel blend. */
function naive(frame: Uint8Array, alpha: Uint8Array, w: number, h: number, radius: number, out: Uint8Array): void {
  const bg = Uint8Array.from(frame);
  const tmp = new Uint8Array(frame.length);
  const r = Math.max(1, Math.round(radius * 0.577));
  for (let pass = 0; pass < 3; pass++) {
    for (const [len, count, step, lineStep] of [
      [w, h, 4, w * 4],
      [h, w, w * 4, 4],
    ] as const) {
      for (let line = 0; line < count; line++) {
        for (let c = 0; c < 4; c++) {
          for (let i = 0; i < len; i++) {
            let sum = 0;
            for (let k = -r; k <= r; k++) sum += bg[line * lineStep + Math.min(len - 1, Math.max(0, i + k)) * step + c]!;
            tmp[line * lineStep + i * step + c] = sum / (2 * r + 1);
          }
        }
      }
      bg.set(tmp);
    }
  }
  for (let i = 0; i < w * h; i++) {
    const a = alpha[i]! / 255;
    for (let c = 0; c < 3; c++) out[i * 4 + c] = frame[i * 4 + c]! * a + bg[i * 4 + c]! * (1 - a);
    out[i * 4 + 3] = 255;
  }
}

const segmenter = await Segmenter.create();
console.log(`vidbus effects benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${N} frames per cell, NV12 in and out`);
console.log('');
console.log('| effect | size | decode ms | inference ms | mask+composite ms | encode ms | serial ms | serial fps | pipelined fps | CPU cores (pipelined) | naive JS composite+blur ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const [w, h] of [
  [1280, 720],
  [1920, 1080],
] as const) {
  const nv12 = frameLayout('NV12', w, h);
  const input = new Uint8Array(nv12.frameBytes);
  stretchFrame(photo.data, frameLayout('RGBA', photo.width, photo.height), input, nv12);
  const rgbaLayout = frameLayout('RGBA', w, h);
  const rgba = new Uint8Array(rgbaLayout.frameBytes);
  const out = new Uint8Array(rgbaLayout.frameBytes);
  const encoded = new Uint8Array(nv12.frameBytes);
  const gradient = { width: 640, height: 360, data: new Uint8Array(640 * 360 * 4) };
  for (let i = 0; i < 640 * 360; i++) gradient.data.set([i % 640 >> 2, 80, 200 - (i / 640 / 2), 255], i * 4);
  const effects: [string, Effect][] = [
    ['blur 12', { kind: 'blur', radius: 12 }],
    ['picture', { kind: 'image', image: gradient }],
  ];
  for (const [name, effect] of effects) {
    const compositor = new Compositor(w, h, effect);
    const t = { decode: 0, inference: 0, composite: 0, encode: 0 };
    const step = async (measure: boolean) => {
      const a = now();
      fitFrame(input, nv12, rgba, rgbaLayout);
      const b = now();
      const mask = await segmenter.segment(rgba, rgbaLayout);
      const c = now();
      compositor.apply(rgba, mask, segmenter.inputWidth, segmenter.inputHeight, out);
      const d = now();
      fitFrame(out, rgbaLayout, encoded, nv12);
      const e = now();
      if (measure) {
        t.decode += b - a;
        t.inference += c - b;
        t.composite += d - c;
        t.encode += e - d;
      }
    };
    for (let i = 0; i < 5; i++) await step(false);
    for (let i = 0; i < N; i++) await step(true);
    // As the stage runs: composite with the newest finished mask while the worker segments the next frame.
    let mask: Float32Array | undefined;
    let inflight: Promise<void> | undefined;
    const cpu0 = process.cpuUsage();
    const wall0 = now();
    for (let i = 0; i < N; i++) {
      fitFrame(input, nv12, rgba, rgbaLayout);
      if (!inflight) inflight = segmenter.segment(rgba, rgbaLayout).then((m) => ((mask = m), (inflight = undefined)));
      if (!mask) await inflight;
      compositor.apply(rgba, mask!, segmenter.inputWidth, segmenter.inputHeight, out);
      fitFrame(out, rgbaLayout, encoded, nv12);
      await new Promise((r) => setImmediate(r)); // let the worker's reply in, as the event loop would between frames
    }
    await inflight;
    const wall = now() - wall0;
    const cpu = process.cpuUsage(cpu0);
    const cores = (cpu.user + cpu.system) / 1000 / wall;
    const pipelinedFps = (N * 1000) / wall;
    let naiveMs = NaN;
    if (effect.kind === 'blur') {
      const n0 = now();
      naive(rgba, compositor.lastAlpha, w, h, 12, out);
      naiveMs = now() - n0;
    }
    const per = (v: number) => (v / N).toFixed(2);
    const total = (t.decode + t.inference + t.composite + t.encode) / N;
    console.log(
      `| ${name} | ${w}x${h} | ${per(t.decode)} | ${per(t.inference)} | ${per(t.composite)} | ${per(t.encode)} | ${total.toFixed(2)} | ${(1000 / total).toFixed(1)} | ${pipelinedFps.toFixed(1)} | ${cores.toFixed(2)} | ${Number.isNaN(naiveMs) ? '-' : naiveMs.toFixed(0)} |`,
    );
  }
}
await segmenter.close();
