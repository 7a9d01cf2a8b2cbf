/**
 * npm run bench:drm (inside the VM lab: root, real display drivers): DRM
 * screen capture's CPU per frame against a plain copy of the same
 * framebuffer, for each card the lab has (virtio-gpu, read as a DMA-BUF;
 * bochs-drm, read through the dumb-buffer map). modetest shows its SMPTE
 * bars at 1024x768; vidbus captures at 30 fps for --seconds; the plain copy
 * is `Uint8Array.set` of the mapped framebuffer into a buffer of the same
 * size, as many times, in the same process. Under TCG every number is
 * slow; only the ratio means anything.
 *
 *   npm run bench:drm [-- --seconds 5]
 */
import { DrmCapture } from '../src/devices/drm.js';
import { createScreenSource } from '../src/sources/screen-source.js';
import { cardOf, showBars } from '../test/vm/guest/display.js';
import { numberOption } from './args.js';

const seconds = numberOption('--seconds', 5);
const W = 1024;
const H = 768;

/** CPU ms per frame of `frames` plain copies of the framebuffer, mapped as vidbus maps it. */
function plainCopy(card: string, frames: number): number {
  using capture = DrmCapture.open(card);
  const { bytes } = capture.framebufferBytes();
  const dst = new Uint8Array(bytes.length);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < frames; i++) dst.set(bytes);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / frames;
}

/** CPU ms per frame of the source's own read (DrmCapture.copyInto: CRTC check, DMA-BUF sync, copy with alpha), without the bus or pacing. */
function copyAlone(card: string, frames: number): number {
  using capture = DrmCapture.open(card);
  const dst = new Uint8Array(W * H * 4);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < frames; i++) capture.copyInto(dst, W, H, W * 4);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / frames;
}

console.log(`vidbus DRM benchmark (in the VM lab, TCG)  ${W}x${H} XRGB8888 SMPTE bars by modetest, vidbus at 30 fps for ${seconds} s`);
console.log('');
console.log('| card | read through | frames | vidbus CPU ms/frame (whole source) | its copy alone | plain copy CPU ms/frame | vidbus / plain copy | copy alone / plain copy |');
console.log('|---|---|---|---|---|---|---|---|');
for (const driver of ['virtio_gpu', 'bochs-drm'] as const) {
  const card = cardOf(driver);
  if (!card) {
    console.log(`| ${driver} | (no card: modprobe ${driver === 'bochs-drm' ? 'bochs' : driver}) | | | | |`);
    continue;
  }
  const modetest = await showBars(driver, W, H);
  try {
    const source = await createScreenSource({ name: `bench-drm-${process.pid}`, screen: `drm:${card}`, fps: 30 });
    const cpu0 = process.cpuUsage();
    const before = source.stats().published;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const frames = source.stats().published - before;
    const path = /DMA-BUF/.test(source.description) ? 'DMA-BUF' : 'dumb-buffer map';
    await source.close();
    const ours = (cpu.user + cpu.system) / 1000 / Math.max(frames, 1);
    const plain = plainCopy(card, Math.max(frames, 1));
    const copyOnly = copyAlone(card, Math.max(frames, 1));
    console.log(`| ${driver} | ${path} | ${frames} | ${ours.toFixed(2)} | ${copyOnly.toFixed(2)} | ${plain.toFixed(2)} | ${(ours / plain).toFixed(2)}x | ${(copyOnly / plain).toFixed(2)}x |`);
  } finally {
    modetest.kill('SIGKILL');
  }
}
