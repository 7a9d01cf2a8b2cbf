/** Helpers for tests that run inside the lab VM (as root, with real modules). */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { queryCapabilities, videoNodePaths, type DeviceCapabilities } from '../../../src/native/v4l2.js';

export const inVm = process.env.VIDBUS_VM === '1';

export function modprobe(module: string, params: string[] = []): void {
  execFileSync('modprobe', [module, ...params], { stdio: 'inherit' });
}

export function rmmod(module: string): void {
  execFileSync('modprobe', ['-r', module], { stdio: 'inherit' });
}

/** Polls `check` until it returns a value (conditions, never fixed sleeps). */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function videoDevices(): DeviceCapabilities[] {
  return videoNodePaths()
    .map((path) => {
      try {
        return queryCapabilities(path);
      } catch {
        return undefined;
      }
    })
    .filter((d): d is DeviceCapabilities => d !== undefined);
}

/** Starts a long-running helper (ffmpeg, gst-launch) and ends it with the test. */
export function background(cmd: string, args: string[]): ChildProcess & { output: () => string } {
  let output = '';
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return Object.assign(child, { output: () => output });
}

/** Mean R, G, B of a packed RGB24 buffer. */
export function meanRgb(rgb: Buffer): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  const n = rgb.length / 3;
  for (let i = 0; i < rgb.length; i += 3) {
    r += rgb[i]!;
    g += rgb[i + 1]!;
    b += rgb[i + 2]!;
  }
  return [r / n, g / n, b / n];
}
