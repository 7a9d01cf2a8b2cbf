/**
 * In the lab VM: a Python producer (the vidbus package over libvidbus)
 * feeds `vidbus vcam`, and ffmpeg reads its colour from the loopback
 * device: the Python effects app of ../shared/seeds/001 handing frames to
 * the daemon that owns the camera.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { listLoopbackDevices } from '../../../src/api/vcam.js';
import { inVm, meanRgb, modprobe, rmmod, waitFor } from './kernel.js';

const run = promisify(execFile);
const DEVICE = '/dev/video62';
const LABEL = 'vidbus python test';
const STREAM = 'vm-python';
const COLOUR = [30, 160, 220];
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const library = `${root}libvidbus/build/libvidbus.so.1`;

describe('a Python producer on the virtual camera', { skip: !inVm ? 'runs inside the VM lab only (npm run test:vm)' : !existsSync(library) ? 'libvidbus is not built (make -C libvidbus)' : false }, () => {
  let producer: ChildProcess | undefined;
  let vcam: ChildProcess | undefined;

  before(async () => {
    modprobe('v4l2loopback', ['devices=1', 'video_nr=62', `card_label="${LABEL}"`, 'exclusive_caps=1']);
    producer = spawn('/usr/bin/python3', [`${root}python/tests/solid_producer.py`, STREAM, '320', '240', ...COLOUR.map(String), '15'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: producer!.stdout! }).once('line', () => resolve());
      producer!.once('exit', (code) => reject(new Error(`the Python producer exited with ${code}`)));
    });
    vcam = spawn(process.execPath, [cli, 'vcam', '--from', STREAM, '--device', DEVICE, '--size', '320x240', '--fps', '15'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor('the daemon to attach', () => listLoopbackDevices().find((d) => d.path === DEVICE && d.canCapture), 60000);
  });

  after(async () => {
    for (const child of [vcam, producer]) {
      child?.kill('SIGTERM');
      if (child && child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
    rmmod('v4l2loopback');
  });

  it('ffmpeg reads the colour Python publishes', { timeout: 180000 }, async () => {
    const deadline = Date.now() + 60000;
    let colour: number[] = [];
    while (Date.now() < deadline) {
      const { stdout } = await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-i', DEVICE, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024, timeout: 120000 });
      colour = meanRgb(stdout);
      if (colour.every((v, i) => Math.abs(v - COLOUR[i]!) <= 10)) break;
    }
    colour.forEach((v, i) => assert.ok(Math.abs(v - COLOUR[i]!) <= 10, `channel ${i}: ${v.toFixed(1)} vs ${COLOUR[i]} (${colour.map((c) => c.toFixed(1)).join(', ')})`));
  });
});
