import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceInfo } from '../devices/discover.js';
import { encodeArgs, hardwareEncoder } from './encode-stage.js';

const device = (path: string, role: DeviceInfo['role'], fourccs: string[]): DeviceInfo => ({
  path,
  role,
  driver: 'test',
  card: 'test',
  busInfo: '',
  version: '6.1.0',
  formats: { capture: fourccs.map((fourcc) => ({ fourcc, format: undefined, description: fourcc, compressed: true, sizes: [] })) },
});

describe('encode stage options', () => {
  it('finds the V4L2 encoder that makes the codec, and none for MJPEG or among cameras and decoders', () => {
    const devices = [device('/dev/video0', 'camera', ['H264']), device('/dev/video1', 'decoder', ['NV12']), device('/dev/video2', 'encoder', ['H264']), device('/dev/video3', 'encoder', ['HEVC'])];
    assert.equal(hardwareEncoder(devices, 'h264')?.path, '/dev/video2');
    assert.equal(hardwareEncoder(devices, 'hevc')?.path, '/dev/video3');
    assert.equal(hardwareEncoder(devices, 'mjpeg'), undefined);
    assert.equal(hardwareEncoder(devices.slice(0, 2), 'h264'), undefined);
  });

  it("'auto' prefers a hardware encoder when one is found, except for a profile (WebRTC's baseline) or an explicit encoder", () => {
    const found = () => device('/dev/video2', 'encoder', ['H264']);
    const none = () => undefined;
    assert.ok(encodeArgs({ input: 'a', output: 'b' }, found).includes('--prefer-hardware'));
    assert.ok(!encodeArgs({ input: 'a', output: 'b' }, none).includes('--prefer-hardware'));
    assert.ok(!encodeArgs({ input: 'a', output: 'b', profile: 'baseline' }, found).includes('--prefer-hardware'));
    assert.ok(!encodeArgs({ input: 'a', output: 'b', encoder: 'x264' }, found).includes('--prefer-hardware'));
  });

  it('checks every option before a helper starts', () => {
    const none = () => undefined;
    assert.deepEqual(encodeArgs({ input: 'a', output: 'b', codec: 'hevc', bitrate: 4_000_000, gop: 30, quality: 50, keyframeGapMs: 100, slots: 4 }, none), [
      '--in', 'a', '--out', 'b', '--codec', 'hevc', '--encoder', 'auto', '--preset', 'veryfast',
      '--bitrate', '4000000', '--gop', '30', '--quality', '50', '--keyframe-gap-ms', '100', '--slots', '4',
    ]);
    for (const bad of [
      { input: 'a', output: 'a' },
      { input: 'a', output: 'b', codec: 'vp9' },
      { input: 'a', output: 'b', codec: 'hevc', encoder: 'x264' },
      { input: 'a', output: 'b', preset: 'warp' },
      { input: 'a', output: 'b', gop: 0 },
      { input: 'a', output: 'b', profile: 'extended' },
      { input: 'a b', output: 'c' },
      { input: 'a', output: 'b', colour: 'red' },
    ]) assert.throws(() => encodeArgs(bad as never, none), (e: { code?: string }) => e.code === 'ERR_INVALID_OPTION' || e.code === 'ERR_INVALID_NAME', JSON.stringify(bad));
  });
});
