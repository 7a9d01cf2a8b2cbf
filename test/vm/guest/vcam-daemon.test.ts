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
import { listLoopbackDevices } from '../../../src/api/vcam.js';
import { PLACEHOLDER_BACKGROUND } from '../../../src/video/placeholder.js';
import { spawnChild, type Child } from '../../helpers.js';
import { inVm, modprobe, rmmod, waitFor } from './kernel.js';

const run = promisify(execFile);
const LABEL = 'vidbus daemon test';
const DEVICE = '/dev/video60';
const [W, H] = [320, 240];
const STREAM = 'vm-cam0';
const cli = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

/** One frame read by ffmpeg as RGB24. */
async function readFrame(device = DEVICE): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-i', device, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120000,
  });
  assert.equal(stdout.length, W * H * 3);
  return stdout;
}

/** Mean colour of a box of a frame. */
function meanColour(frame: Buffer, x0: number, y0: number, x1: number, y1: number): number[] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < 3; c++) sum[c] = sum[c]! + frame[(y * W + x) * 3 + c]!;
      n++;
    }
  }
  return sum.map((s) => s / n);
}

/** Mean colour of the centre quarter of one frame (bars and the placeholder frame stay out). */
async function centreColour(device = DEVICE): Promise<number[]> {
  return meanColour(await readFrame(device), W / 4, H / 4, (3 * W) / 4, (3 * H) / 4);
}

const QUADRANTS = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 255],
];

/** Waits until the four quadrants of the fixture pictures (test/fixtures/images) show. */
async function waitForQuadrants(what: string): Promise<void> {
  const deadline = Date.now() + 120000;
  let last: number[][] = [];
  while (Date.now() < deadline) {
    const f = await readFrame();
    // the centre of each quadrant, away from edges that JPEG and chroma subsampling blur
    last = [0, 1, 2, 3].map((q) => {
      const x = (q % 2) * (W / 2) + W / 8;
      const y = Math.floor(q / 2) * (H / 2) + H / 8;
      return meanColour(f, x, y, x + W / 4, y + H / 4);
    });
    if (last.every((c, q) => c.every((v, i) => Math.abs(v - QUADRANTS[q]![i]!) <= 16))) return;
  }
  assert.fail(`readers never saw ${what}; last quadrants ${JSON.stringify(last.map((c) => c.map(Math.round)))}`);
}

const IMAGES = fileURLToPath(new URL('../../../../test/fixtures/images/', import.meta.url));

async function waitForColour(colour: readonly number[], what: string, device = DEVICE): Promise<void> {
  const deadline = Date.now() + 120000;
  let last: number[] = [];
  while (Date.now() < deadline) {
    last = await centreColour(device);
    if (last.every((v, i) => Math.abs(v - colour[i]!) <= 10)) return;
  }
  assert.fail(`readers never saw ${what} ${JSON.stringify(colour)}; last ${JSON.stringify(last.map(Math.round))}`);
}

function startDaemon(stream = STREAM, label = LABEL, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [cli, 'vcam', '--from', stream, '--device', label, '--size', `${W}x${H}`, '--fps', '15', '--stall-ms', '500', ...extra], {
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

  it('decodes an MJPEG stream, and shows a placeholder picture while no producer is live', async () => {
    const stream = `${STREAM}-mjpeg`;
    const mjpeg = spawnChild('file-producer', stream, 'MJPEG', 64, 48, `${IMAGES}teal-422.jpg`, 15);
    await mjpeg.waitFor('ready', 60000);
    const vcam = startDaemon(stream, LABEL, ['--placeholder', `${IMAGES}quadrants-palette.png`]);
    try {
      await waitForColour([0, 128, 128], 'the MJPEG frames (solid teal)');
      await mjpeg.kill('SIGKILL');
      await waitForQuadrants('the placeholder picture');
    } finally {
      await mjpeg.kill();
      vcam.kill('SIGTERM');
      await new Promise((r) => vcam.once('exit', r));
    }
    assert.equal(vcam.exitCode, 0);
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
