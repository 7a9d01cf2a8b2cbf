/**
 * The lab VM's display cards (test/vm/lab.ts adds them): std VGA under
 * bochs-drm and virtio-gpu; and modetest (libdrm-tests) showing its SMPTE
 * bars on one of them, with no compositor. Used by the DRM tests and
 * `npm run bench:drm`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { listDrmOutputs } from '../../../src/devices/drm.js';

export type LabDriver = 'bochs-drm' | 'virtio_gpu';

/** The card of a lab display driver, by its PCI vendor (QEMU's std VGA for bochs-drm, Red Hat's for virtio-gpu). */
export function cardOf(driver: LabDriver): string | undefined {
  const vendor = driver === 'bochs-drm' ? '0x1234' : '0x1af4';
  for (const n of [0, 1, 2, 3]) {
    const file = `/sys/class/drm/card${n}/device/vendor`;
    if (existsSync(file) && readFileSync(file, 'utf8').trim() === vendor) return `/dev/dri/card${n}`;
  }
  return undefined;
}

/** libdrm's SMPTE pattern: the top two thirds are seven 75% bars (util/pattern.c), as [r, g, b]. */
export const SMPTE_BARS = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
] as const;

/**
 * modetest showing the SMPTE bars at `width`x`height` on the driver's first
 * connected output, until killed. modetest picks its card by driver name
 * (-M); it sets the mode, then waits for Enter on its stdin, kept open here.
 */
export async function showBars(driver: LabDriver, width: number, height: number): Promise<ChildProcess> {
  const card = cardOf(driver);
  if (!card) throw new Error(`no ${driver} card (modprobe ${driver === 'bochs-drm' ? 'bochs' : driver})`);
  const output = listDrmOutputs(card).find((o) => o.connected);
  if (!output) throw new Error(`${card} has no connected output`);
  const child = spawn('modetest', ['-M', driver, '-s', `${output.connectorId}:${width}x${height}`, '-F', 'smpte'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const deadline = Date.now() + 60000;
  while (!listDrmOutputs(card).some((o) => o.mode?.width === width && o.mode?.height === height)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`modetest did not show ${width}x${height} on ${card}: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}
