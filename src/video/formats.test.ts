import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFromFourcc, fourccToU32, frameLayout, PIXEL_FORMATS, u32ToFourcc, formatInfo } from './formats.js';

describe('frameLayout', () => {
  it('computes packed and planar sizes', () => {
    assert.equal(frameLayout('RGBA', 1920, 1080).frameBytes, 1920 * 1080 * 4);
    assert.equal(frameLayout('RGB24', 641, 3).frameBytes, 641 * 3 * 3);
    assert.equal(frameLayout('YUYV', 640, 480).frameBytes, 640 * 480 * 2);
    assert.equal(frameLayout('GRAY8', 7, 5).frameBytes, 35);
    const i420 = frameLayout('I420', 1920, 1080);
    assert.equal(i420.frameBytes, (1920 * 1080 * 3) / 2);
    assert.deepEqual(
      i420.planes.map((p) => [p.offset, p.stride, p.rows]),
      [
        [0, 1920, 1080],
        [1920 * 1080, 960, 540],
        [1920 * 1080 + 960 * 540, 960, 540],
      ],
    );
    const nv12 = frameLayout('NV12', 640, 480);
    assert.deepEqual(
      nv12.planes.map((p) => [p.offset, p.stride, p.rows]),
      [
        [0, 640, 480],
        [640 * 480, 640, 240],
      ],
    );
  });

  it('honours explicit strides and stride alignment', () => {
    const aligned = frameLayout('RGB24', 10, 2, { strideAlign: 64 });
    assert.equal(aligned.planes[0]!.stride, 64);
    assert.equal(aligned.frameBytes, 128);
    const explicit = frameLayout('I420', 4, 2, { strides: [8, 4, 4] });
    assert.deepEqual(
      explicit.planes.map((p) => p.offset),
      [0, 16, 20],
    );
  });

  it('rejects what the formats cannot represent', () => {
    assert.throws(() => frameLayout('I420', 641, 480), { code: 'ERR_INVALID_OPTION', message: /even width/ });
    assert.throws(() => frameLayout('NV12', 640, 481), { code: 'ERR_INVALID_OPTION', message: /even height/ });
    assert.throws(() => frameLayout('YUYV', 3, 2), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => frameLayout('RGBA', 0, 2), { code: 'ERR_INVALID_OPTION', message: /width/ });
    assert.throws(() => frameLayout('RGBA', 2.5, 2), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => frameLayout('XRGB' as never, 2, 2), { code: 'ERR_INVALID_OPTION', message: /one of/ });
    assert.throws(() => frameLayout('RGBA', 4, 4, { strides: [15] }), { code: 'ERR_INVALID_OPTION', message: /strides\[0\]/ });
    assert.throws(() => frameLayout('RGBA', 4, 4, { strideAlign: 3 }), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => frameLayout('RGBA', 4, 4, { maxFrameBytes: 10 }), { code: 'ERR_INVALID_OPTION', message: /encoded/ });
  });

  it('gives encoded formats a variable-size slot', () => {
    const h264 = frameLayout('H264', 1280, 720, { maxFrameBytes: 500000 });
    assert.equal(h264.frameBytes, 500000);
    assert.equal(h264.planes.length, 0);
    assert.equal(frameLayout('MJPEG', 16, 16).frameBytes, 65536);
  });

  it('round-trips every FourCC', () => {
    for (const f of PIXEL_FORMATS) {
      const code = fourccToU32(formatInfo(f).fourcc);
      assert.equal(u32ToFourcc(code), formatInfo(f).fourcc);
      assert.equal(formatFromFourcc(code), f);
    }
    assert.equal(fourccToU32('YUYV'), 0x56595559);
  });
});
