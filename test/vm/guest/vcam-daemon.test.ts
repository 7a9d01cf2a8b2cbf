/**
 * In the lab VM: `vidbus vcam` owns a v4l2loopback device and feeds it from a
 * bus stream. Readers see the published colour, the placeholder once the
 * producer is killed, and a new producer's picture at another size and
 * format without reopening the device; the daemon restarts cleanly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { listLoopbackDevices } from '../../../src/index.js';
import { PLACEHOLDER_BACKGROUND } from '../../../src/video/placeholder.js';
import { spawnChild, type Child } from '../../helpers.js';
import { inVm, modprobe, rmmod, waitFor } from './kernel.js';

const run = promisify(execFile);
const LABEL = 'vidbus daemon test';
const DEVICE = '/dev/video60';
const [W, H] = [320, 240];
const STREAM = 'vm-cam0';
const cli = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

/** Mean colour of the centre quarter of one frame read by ffmpeg (bars and the placeholder frame stay out). */
async function centreColour(device = DEVICE): Promise<number[]> {
  const { stdout } = await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-i', device, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120000,
  });
  assert.equal(stdout.length, W * H * 3);
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = H / 4; y < (3 * H) / 4; y++) {
    for (let x = W / 4; x < (3 * W) / 4; x++) {
      for (let c = 0; c < 3; c++) sum[c] = sum[c]! + stdout[(y * W + x) * 3 + c]!;
      n++;
    }
  }
  return sum.map((s) => s / n);
}

async function waitForColour(colour: readonly number[], what: string, device = DEVICE): Promise<void> {
  const deadline = Date.now() + 120000;
  let last: number[] = [];
  while (Date.now() < deadline) {
    last = await centreColour(device);
    if (last.every((v, i) => Math.abs(v - colour[i]!) <= 10)) return;
  }
  assert.fail(`readers never saw ${what} ${JSON.stringify(colour)}; last ${JSON.stringify(last.map(Math.round))}`);
}

function startDaemon(stream = STREAM, label = LABEL): ChildProcess {
  return spawn(process.execPath, [cli, 'vcam', '--from', stream, '--device', label, '--size', `${W}x${H}`, '--fps', '15', '--stall-ms', '500'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

describe('vidbus vcam daemon', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  let producer: Child | undefined;

  before(() => modprobe('v4l2loopback', ['devices=2', 'video_nr=60,61', `card_label="${LABEL},${LABEL} 2"`, 'exclusive_caps=1,1']));
  after(async () => {
    await producer?.kill();
    rmmod('v4l2loopback');
  });

  it('shows the stream, the placeholder after a kill -9, and a new producer at another size', async () => {
    const vcam = startDaemon();
    try {
      // The device offers capture (and a format) before any producer exists.
      await waitFor('the daemon to attach', () => listLoopbackDevices().find((d) => d.path === DEVICE && d.canCapture), 60000);
      await waitForColour(PLACEHOLDER_BACKGROUND, 'the placeholder');
      producer = spawnChild('solid-producer', STREAM, 320, 240, 'RGBA', 40, 160, 220, 15);
      await producer.waitFor('ready', 60000);
      await waitForColour([40, 160, 220], 'the first producer');
      await producer.kill('SIGKILL');
      await waitForColour(PLACEHOLDER_BACKGROUND, 'the placeholder after the producer died');
      producer = spawnChild('solid-producer', STREAM, 640, 360, 'NV12', 230, 200, 30, 15);
      await producer.waitFor('ready', 60000);
      await waitForColour([230, 200, 30], 'the second producer (640x360 NV12, letterboxed)');
    } finally {
      vcam.kill('SIGTERM');
      await new Promise((r) => vcam.once('exit', r));
    }
    assert.equal(vcam.exitCode, 0);
  });

  it('runs two cameras at once, each from its own stream', async () => {
    const second = spawnChild('solid-producer', `${STREAM}-2`, 320, 240, 'I420', 250, 120, 10, 15);
    const first = startDaemon();
    const other = startDaemon(`${STREAM}-2`, `${LABEL} 2`);
    try {
      await second.waitFor('ready', 60000);
      await waitForColour([230, 200, 30], 'the first camera', DEVICE);
      await waitForColour([250, 120, 10], 'the second camera', '/dev/video61');
    } finally {
      for (const d of [first, other]) {
        d.kill('SIGTERM');
        await new Promise((r) => d.once('exit', r));
      }
      await second.kill();
    }
  });

  it('restarts three times and the device keeps working', async () => {
    for (let i = 0; i < 3; i++) {
      await waitFor('the device to be free', () => listLoopbackDevices().find((d) => d.path === DEVICE && d.canOutput), 30000);
      const vcam = startDaemon();
      try {
        await waitForColour([230, 200, 30], `the producer after restart ${i + 1}`);
      } finally {
        vcam.kill('SIGTERM');
        await new Promise((r) => vcam.once('exit', r));
      }
      assert.equal(vcam.exitCode, 0);
    }
  });
});
