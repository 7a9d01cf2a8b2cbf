/**
 * In the lab VM: v4l2loopback with exclusive_caps=1 and a card label;
 * ffmpeg writes a known solid colour into it, and both ffmpeg (-f v4l2) and
 * GStreamer (v4l2src) read frames of that colour back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { background, inVm, meanRgb, modprobe, rmmod, videoDevices, waitFor } from './kernel.js';
import { stopProcess } from '../../helpers.js';

const NR = 42;
const DEVICE = `/dev/video${NR}`;
const LABEL = 'vidbus lab camera';
const [W, H] = [320, 240];
const COLOUR: [number, number, number] = [200, 60, 40];
const TOLERANCE = 8; // YUV 4:2:2 round trip

describe('v4l2loopback in the lab', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  let writer: ReturnType<typeof background> | undefined;

  before(async () => {
    modprobe('v4l2loopback', ['devices=1', `video_nr=${NR}`, `card_label=${LABEL}`, 'exclusive_caps=1']);
    const hex = COLOUR.map((c) => c.toString(16).padStart(2, '0')).join('');
    writer = background('ffmpeg', [
      '-nostdin', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', `color=c=0x${hex}:s=${W}x${H}:r=15`,
      '-pix_fmt', 'yuyv422', '-f', 'v4l2', DEVICE,
    ]);
    // exclusive_caps: the node announces CAPTURE once a writer is attached.
    await waitFor(`${DEVICE} to offer capture`, () => videoDevices().find((d) => d.path === DEVICE && d.canCapture), 120000);
  });

  after(async () => {
    if (writer) await stopProcess(writer);
    rmmod('v4l2loopback');
  });

  it('has the label and the loopback driver, capture-only while written', () => {
    const dev = videoDevices().find((d) => d.path === DEVICE)!;
    assert.equal(dev.card, LABEL);
    assert.equal(dev.driver, 'v4l2 loopback');
    assert.equal(dev.canOutput, false, 'exclusive_caps hides OUTPUT while a writer is attached');
  });

  it('ffmpeg reads back the colour ffmpeg wrote', () => {
    const rgb = execFileSync(
      'ffmpeg',
      ['-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-i', DEVICE, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120000 },
    );
    assert.equal(rgb.length, W * H * 3);
    meanRgb(rgb).forEach((v, i) => assert.ok(Math.abs(v - COLOUR[i]!) <= TOLERANCE, `channel ${i}: ${v.toFixed(1)} vs ${COLOUR[i]}`));
  });

  it('GStreamer v4l2src reads back the same colour', () => {
    const out = '/tmp/gst-frame.rgb';
    execFileSync(
      'gst-launch-1.0',
      ['-q', 'v4l2src', `device=${DEVICE}`, 'num-buffers=1', '!', 'videoconvert', '!', 'video/x-raw,format=RGB', '!', 'filesink', `location=${out}`],
      { timeout: 180000, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const rgb = readFileSync(out);
    assert.equal(rgb.length, W * H * 3);
    meanRgb(rgb).forEach((v, i) => assert.ok(Math.abs(v - COLOUR[i]!) <= TOLERANCE, `channel ${i}: ${v.toFixed(1)} vs ${COLOUR[i]}`));
  });
});
