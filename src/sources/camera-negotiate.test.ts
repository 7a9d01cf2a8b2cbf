import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseFormat, chooseRate, chooseSize } from './camera-negotiate.js';
import { fourccToU32 } from '../video/formats.js';
import type { FormatDescription, FrameSize } from '../native/v4l2-stream.js';

const fmt = (fourcc: string, description = fourcc): FormatDescription => ({ fourcc, pixelFormat: fourccToU32(fourcc), description, compressed: fourcc === 'MJPG' });
const webcam = [fmt('MJPG', 'Motion-JPEG'), fmt('YUYV', 'YUYV 4:2:2')];
const sizes: FrameSize[] = [
  { kind: 'discrete', width: 640, height: 480 },
  { kind: 'discrete', width: 1280, height: 720 },
  { kind: 'discrete', width: 1920, height: 1080 },
];

describe('camera negotiation', () => {
  it('prefers raw formats, honours a request by name or FourCC, and lists what is offered otherwise', () => {
    assert.equal(chooseFormat('/dev/video0', webcam), 'YUYV');
    assert.equal(chooseFormat('/dev/video0', webcam, 'mjpeg'), 'MJPEG');
    assert.equal(chooseFormat('/dev/video0', webcam, 'MJPG'), 'MJPEG');
    assert.equal(chooseFormat('/dev/video0', [fmt('MJPG')]), 'MJPEG');
    assert.throws(() => chooseFormat('/dev/video0', webcam, 'NV12'), { code: 'ERR_FORMAT_UNSUPPORTED', message: /offers: MJPEG \(Motion-JPEG\), YUYV/ });
    assert.throws(() => chooseFormat('/dev/video0', [fmt('H264')]), { code: 'ERR_FORMAT_UNSUPPORTED', message: /no format vidbus can publish/ });
  });

  it('picks 1280x720 by default, else the largest up to 1080p, and checks requests against ranges', () => {
    assert.deepEqual(chooseSize('/dev/video0', 'YUYV', sizes), { width: 1280, height: 720 });
    assert.deepEqual(chooseSize('/dev/video0', 'YUYV', [sizes[0]!, { kind: 'discrete', width: 3840, height: 2160 }]), { width: 640, height: 480 });
    assert.deepEqual(chooseSize('/dev/video0', 'YUYV', [{ kind: 'discrete', width: 3840, height: 2160 }]), { width: 3840, height: 2160 });
    assert.deepEqual(chooseSize('/dev/video0', 'YUYV', []), { width: 1280, height: 720 }, 'a driver without a list gets the default');
    const range: FrameSize[] = [{ kind: 'range', minWidth: 16, maxWidth: 1920, stepWidth: 16, minHeight: 16, maxHeight: 1080, stepHeight: 8 }];
    assert.deepEqual(chooseSize('/dev/video0', 'YUYV', range, { width: 640, height: 360 }), { width: 640, height: 360 });
    assert.throws(() => chooseSize('/dev/video0', 'YUYV', range, { width: 650, height: 360 }), { code: 'ERR_FORMAT_UNSUPPORTED', message: /steps of 16x8/ });
    assert.throws(() => chooseSize('/dev/video0', 'YUYV', sizes, { width: 800, height: 600 }), { code: 'ERR_FORMAT_UNSUPPORTED', message: /640x480, 1280x720, 1920x1080/ });
    assert.throws(() => chooseSize('/dev/video0', 'NV12', sizes, { width: 641, height: 480 }), { code: 'ERR_FORMAT_UNSUPPORTED', message: /even/ });
  });

  it('picks the highest rate up to 30 fps, or the one asked for', () => {
    const rates = { kind: 'discrete' as const, rates: [{ num: 60, den: 1 }, { num: 30, den: 1 }, { num: 25, den: 2 }] };
    assert.deepEqual(chooseRate('/dev/video0', rates), { num: 30, den: 1 });
    assert.deepEqual(chooseRate('/dev/video0', rates, 12.5), { num: 25, den: 2 });
    assert.deepEqual(chooseRate('/dev/video0', { kind: 'discrete', rates: [{ num: 60, den: 1 }] }), { num: 60, den: 1 });
    assert.throws(() => chooseRate('/dev/video0', rates, 24), { code: 'ERR_FORMAT_UNSUPPORTED', message: /60, 30, 12.5 fps/ });
    const range = { kind: 'range' as const, min: { num: 1, den: 1 }, max: { num: 120, den: 1 } };
    assert.deepEqual(chooseRate('/dev/video0', range), { num: 30, den: 1 });
    assert.deepEqual(chooseRate('/dev/video0', range, 50), { num: 50000, den: 1000 });
    assert.throws(() => chooseRate('/dev/video0', range, 200), { code: 'ERR_FORMAT_UNSUPPORTED' });
  });
});
