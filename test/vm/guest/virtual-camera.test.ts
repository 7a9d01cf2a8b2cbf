/**
 * In the lab VM: VirtualCamera on a real v4l2loopback device (exclusive_caps=1).
 * ffmpeg and GStreamer read back the colour it sends; it opens and closes
 * three times and the device keeps working (the works-once bug); errors are
 * typed and say what to do.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { VirtualCamera, listLoopbackDevices } from '../../../src/api/vcam.js';
import { inVm, meanRgb, modprobe, rmmod } from './kernel.js';

const run = promisify(execFile);
const LABEL = 'vidbus vcam test';
const [W, H] = [320, 240];
const TOLERANCE = 8;

function rgba(r: number, g: number, b: number): Uint8Array {
  const frame = new Uint8Array(W * H * 4);
  for (let i = 0; i < frame.length; i += 4) frame.set([r, g, b, 255], i);
  return frame;
}

/** Sends `frame` at the camera's rate until stopped. */
function feed(cam: VirtualCamera, frame: Uint8Array): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      cam.send(frame);
      await cam.sleepUntilNextFrame();
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

async function ffmpegFrame(device: string): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-i', device, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120000,
  });
  return stdout;
}

function assertColour(rgb: Buffer, colour: number[]): void {
  assert.equal(rgb.length, W * H * 3);
  meanRgb(rgb).forEach((v, i) => assert.ok(Math.abs(v - colour[i]!) <= TOLERANCE, `channel ${i}: ${v.toFixed(1)} vs ${colour[i]}`));
}

describe('VirtualCamera on v4l2loopback', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  after(() => rmmod('v4l2loopback'));

  it('says how to load the module when there is no loopback device', async () => {
    await assert.rejects(VirtualCamera.open({ width: W, height: H }), { code: 'ERR_NO_LOOPBACK_DEVICE', message: /modprobe v4l2loopback .*exclusive_caps=1/ });
    modprobe('v4l2loopback', ['devices=1', 'video_nr=50', `card_label="${LABEL}"`, 'exclusive_caps=1']);
  });

  it('feeds ffmpeg and GStreamer the colour it is sent, at the configured size', async () => {
    const cam = await VirtualCamera.open({ width: W, height: H, fps: 15, device: LABEL });
    assert.equal(cam.device, '/dev/video50');
    assert.equal(cam.label, LABEL);
    const stop = feed(cam, rgba(40, 160, 220));
    try {
      assertColour(await ffmpegFrame(cam.device), [40, 160, 220]);
      const out = '/tmp/vcam-gst.rgb';
      await run('gst-launch-1.0', ['-q', 'v4l2src', `device=${cam.device}`, 'num-buffers=1', '!', 'videoconvert', '!', 'video/x-raw,format=RGB', '!', 'filesink', `location=${out}`], { timeout: 180000 });
      assertColour(readFileSync(out), [40, 160, 220]);
      assert.ok(cam.framesSent > 0);
      assert.ok(cam.currentFps <= 16);
    } finally {
      await stop();
      cam.close();
    }
  });

  it('refuses a second writer while one is attached', async () => {
    const cam = await VirtualCamera.open({ width: W, height: H, device: LABEL });
    try {
      await assert.rejects(VirtualCamera.open({ width: W, height: H, device: LABEL }), { code: 'ERR_DEVICE_BUSY', message: /writer/ });
      await assert.rejects(VirtualCamera.open({ width: W, height: H, device: '/dev/video50' }), { code: 'ERR_DEVICE_BUSY' });
    } finally {
      cam.close();
    }
  });

  it('keeps working across three open/close cycles (no works-once bug)', async () => {
    const colours = [
      [230, 30, 30],
      [30, 200, 60],
      [250, 250, 250],
    ];
    for (const colour of colours) {
      const dev = listLoopbackDevices().find((d) => d.card === LABEL)!;
      assert.equal(dev.canOutput, true, 'after a writer closes, the device offers OUTPUT again');
      const cam = await VirtualCamera.open({ width: W, height: H, fps: 15, device: LABEL });
      const stop = feed(cam, rgba(colour[0]!, colour[1]!, colour[2]!));
      try {
        assertColour(await ffmpegFrame(cam.device), colour);
      } finally {
        await stop();
        cam.close();
      }
    }
  });

  it('gives typed errors for wrong devices and options', async () => {
    await assert.rejects(VirtualCamera.open({ width: W, height: H, device: 'no such label' }), { code: 'ERR_DEVICE_NOT_FOUND', message: /vidbus vcam test/ });
    await assert.rejects(VirtualCamera.open({ width: W, height: H, device: '/dev/video99' }), { code: 'ERR_DEVICE_NOT_FOUND' });
    await assert.rejects(VirtualCamera.open({ width: W, height: H, device: '/dev/null' }), { code: 'ERR_NOT_A_V4L2_DEVICE' });
    await assert.rejects(VirtualCamera.open({ width: 321, height: H }), { code: 'ERR_INVALID_OPTION', message: /even/ });
    await assert.rejects(VirtualCamera.open({ width: W, height: H, fps: 0 }), { code: 'ERR_INVALID_OPTION' });
    await assert.rejects(VirtualCamera.open({ width: W, height: H, fsp: 30 } as never), { message: /did you mean "fps"/ });
    const cam = await VirtualCamera.open({ width: W, height: H, device: LABEL });
    try {
      assert.throws(() => cam.send(new Uint8Array(10)), { code: 'ERR_FRAME_SIZE' });
    } finally {
      cam.close();
      cam.close();
    }
  });
});
