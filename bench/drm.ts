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
import { closeSync, openSync } from 'node:fs';
import { DrmCapture, listDrmOutputs } from '../src/devices/drm.js';
import { drmCrtc, drmCloseHandle, drmDumbMapOffset, drmExportHandle, drmFramebuffer, mapReadOnly, unmapBuffer } from '../src/native/drm.js';
import { closeFd } from '../src/native/shm.js';
import { createScreenSource } from '../src/sources/screen-source.js';
import { cardOf, showBars } from '../test/vm/guest/display.js';
import { numberOption } from './args.js';

const seconds = numberOption('--seconds', 5);
const W = 1024;
const H = 768;

/** CPU ms per frame of `n` plain copies of the CRTC's framebuffer (mapped the same way vidbus maps it). */
function plainCopy(card: string, frames: number): number {
  const fd = openSync(card, 'r+');
  try {
    const crtcId = listDrmOutputs(card).find((o) => o.mode?.width === W)!.crtcId!;
    const fb = drmFramebuffer(fd, drmCrtc(fd, crtcId).fbId);
    const length = Math.ceil((fb.offsets[0]! + fb.pitches[0]! * fb.height) / 4096) * 4096;
    let dmabuf: number | undefined;
    let buffer: ArrayBuffer;
    try {
      dmabuf = drmExportHandle(fd, fb.handles[0]!);
      buffer = mapReadOnly(dmabuf, length);
    } catch {
      if (dmabuf !== undefined) closeFd(dmabuf);
      dmabuf = undefined;
      buffer = mapReadOnly(fd, length, drmDumbMapOffset(fd, fb.handles[0]!));
    }
    drmCloseHandle(fd, fb.handles[0]!);
    const src = new Uint8Array(buffer, fb.offsets[0]!, fb.pitches[0]! * fb.height);
    const dst = new Uint8Array(src.length);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < frames; i++) dst.set(src);
    const cpu = process.cpuUsage(cpu0);
    unmapBuffer(buffer);
    if (dmabuf !== undefined) closeFd(dmabuf);
    return (cpu.user + cpu.system) / 1000 / frames;
  } finally {
    closeSync(fd);
  }
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
