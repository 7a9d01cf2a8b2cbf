/** In the lab VM: the README's main job (the demo) also drives the virtual camera when a loopback device exists. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { listLoopbackDevices } from '../../../src/api/vcam.js';
import { inVm, modprobe, rmmod, waitFor } from './kernel.js';

const run = promisify(execFile);
const demo = fileURLToPath(new URL('../../../examples/demo.js', import.meta.url));

describe('the demo with a loopback device', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  after(() => rmmod('v4l2loopback'));

  it('shows its test pattern on the virtual camera and frees the device at the end', { timeout: 300000 }, async () => {
    modprobe('v4l2loopback', ['devices=1', 'video_nr=90', 'card_label="vidbus demo"', 'exclusive_caps=1']);
    let output = '';
    const child = spawn(process.execPath, [demo, '--seconds', '40', '--size', '640x480', '--fps', '15'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitFor('the demo to start the camera', () => output.includes('virtual camera: /dev/video90'), 120000);
    // The service shows its placeholder until the first pattern frame lands,
    // so read frames until the pattern appears (its first bar is light grey;
    // the burned-in label covers the top-left corner, so look lower down).
    const at = (360 * 640 + 5) * 3;
    let stdout = Buffer.alloc(0);
    const deadline = Date.now() + 120000;
    do {
      ({ stdout } = await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-i', '/dev/video90', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120000,
      }));
    } while (!(stdout[at]! > 200 && stdout[at + 1]! > 200 && stdout[at + 2]! > 200) && Date.now() < deadline);
    assert.equal(stdout.length, 640 * 480 * 3);
    assert.ok(stdout[at]! > 200 && stdout[at + 1]! > 200 && stdout[at + 2]! > 200, `first bar ${stdout[at]},${stdout[at + 1]},${stdout[at + 2]}`);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.equal(listLoopbackDevices().find((d) => d.path === '/dev/video90')?.canOutput, true, 'the device is free again');
  });
});
