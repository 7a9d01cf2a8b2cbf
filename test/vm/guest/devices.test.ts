/**
 * In the lab VM: `vidbus devices` and `vidbus info` against real drivers:
 * vivid (camera and output nodes) and v4l2loopback (with exclusive_caps);
 * and `vidbus stream --device` as a child process. (Debian's kernel has no
 * mem2mem test driver; src/devices/discover.test.ts covers encoders,
 * decoders and converters.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DeviceInfo } from '../../../src/devices/discover.js';
import type { SystemInfo } from '../../../src/devices/system-info.js';
import { uniqueName } from '../../helpers.js';
import { inVm, modprobe, rmmod, videoDevices, waitFor } from './kernel.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const MODULES = ['vivid', 'v4l2loopback'];

async function vidbus<T>(...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [cli, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}

describe('vidbus devices and info', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  before(async () => {
    modprobe('vivid', ['n_devs=1', 'node_types=0x101']);
    modprobe('v4l2loopback', ['devices=1', 'video_nr=40', 'exclusive_caps=1', 'card_label="vidbus devices test"']);
    await waitFor('every node', () => videoDevices().length >= 3);
  });
  after(() => {
    for (const m of MODULES) rmmod(m);
  });

  it('classifies every node by role, with formats on request', async () => {
    const list = await vidbus<DeviceInfo[]>('devices', '--formats', '--json');
    const roles = (driver: string) => list.filter((d) => d.driver === driver).map((d) => d.role).sort();
    assert.deepEqual(roles('vivid'), ['camera', 'output']);
    const loopback = list.find((d) => d.path === '/dev/video40')!;
    assert.equal(loopback.role, 'loopback-output');
    assert.equal(loopback.exclusiveCaps, true);
    assert.equal(loopback.card, 'vidbus devices test');
    const camera = list.find((d) => d.driver === 'vivid' && d.role === 'camera')!;
    const yuyv = camera.formats!.capture!.find((f) => f.format === 'YUYV')!;
    assert.ok(yuyv, 'vivid offers YUYV');
    const sizes = yuyv.sizes as { width: number; height: number; fps: number[] }[];
    const vga = sizes.find((s) => s.width === 640 && s.height === 480)!;
    assert.ok(vga.fps.includes(25), `640x480 at 25 fps: ${JSON.stringify(vga)}`);
  });

  it('reports modules, devices by role, tools and access', async () => {
    const info = await vidbus<SystemInfo>('info', '--json');
    const module = (name: string) => info.modules.find((m) => m.name === name)!;
    assert.equal(module('vivid').loaded, true);
    assert.equal(module('v4l2loopback').loaded, true);
    assert.match(module('v4l2loopback').version ?? '', /^0\.\d+\.\d+/);
    assert.ok(info.devices.camera!.length >= 1);
    assert.deepEqual(info.devices['loopback-output'], ['/dev/video40']);
    assert.ok(info.tools.find((t) => t.name === 'ffmpeg')!.available);
    assert.ok(info.tools.find((t) => t.name === 'gst-launch-1.0')!.available);
    assert.ok(info.access.length >= 3 && info.access.every((a) => a.readWrite), 'root opens every node');
  });

  it('vidbus stream publishes a camera until SIGINT, reporting progress as JSON', async () => {
    const camera = videoDevices().find((d) => d.driver === 'vivid' && d.canCapture)!.path;
    const name = uniqueName('cli-cam');
    const child = spawn(process.execPath, [cli, 'stream', '--device', camera, '--name', name, '--format', 'YUYV', '--size', '640x480', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    await waitFor('frames published', () => lines.some((l) => l.type === 'progress' && (l.published as number) >= 5), 120000);
    assert.ok(existsSync(`/dev/shm/vidbus-${name}`));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /640x480 YUYV .* zero copy \(USERPTR\)/);
    const summary = lines.find((l) => l.type === 'summary')!;
    assert.ok((summary.published as number) >= 5);
    assert.ok(!existsSync(`/dev/shm/vidbus-${name}`), 'the stream is removed on SIGINT');
  });
});
