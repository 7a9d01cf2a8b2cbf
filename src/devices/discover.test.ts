import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from './discover.js';
import { V4L2_CAP, type DeviceCapabilities } from '../native/v4l2.js';
import type { FormatDescription } from '../native/v4l2-stream.js';

const caps = (driver: string, flags: number): DeviceCapabilities => ({
  path: '/dev/video9',
  driver,
  card: driver,
  busInfo: '',
  version: '6.1.0',
  caps: flags,
  canCapture: (flags & (V4L2_CAP.VIDEO_CAPTURE | V4L2_CAP.VIDEO_CAPTURE_MPLANE)) !== 0,
  canOutput: (flags & (V4L2_CAP.VIDEO_OUTPUT | V4L2_CAP.VIDEO_OUTPUT_MPLANE)) !== 0,
  streaming: true,
  readWrite: false,
});
const f = (fourcc: string, compressed = false): FormatDescription => ({ fourcc, pixelFormat: 0, description: fourcc, compressed });

describe('classify', () => {
  it('tells cameras, outputs, loopback sides and mem2mem roles apart', () => {
    const m2m = V4L2_CAP.VIDEO_M2M_MPLANE | V4L2_CAP.STREAMING;
    assert.equal(classify(caps('uvcvideo', V4L2_CAP.VIDEO_CAPTURE), [f('YUYV')], []), 'camera');
    assert.equal(classify(caps('vivid', V4L2_CAP.VIDEO_OUTPUT), [], [f('YUYV')]), 'output');
    assert.equal(classify(caps('hantro-vpu', m2m), [f('NV12')], [f('H264', true)]), 'decoder');
    assert.equal(classify(caps('bcm2835-codec', m2m), [f('H264', true)], [f('YU12')]), 'encoder');
    assert.equal(classify(caps('vim2m', V4L2_CAP.VIDEO_M2M), [f('RGB3')], [f('YUYV')]), 'converter');
    assert.equal(classify(caps('v4l2 loopback', V4L2_CAP.VIDEO_OUTPUT), [], []), 'loopback-output');
    assert.equal(classify(caps('v4l2 loopback', V4L2_CAP.VIDEO_CAPTURE), [], []), 'loopback-capture');
    assert.equal(classify(caps('v4l2 loopback', 0), [], []), 'loopback-idle');
    assert.equal(classify(caps('vivid', 0x00200000 /* META_CAPTURE */), [], []), 'other');
  });
});
