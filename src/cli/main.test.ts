import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseVcamArgs, UsageError } from './main.js';

describe('vidbus vcam arguments', () => {
  it('parses every option, with defaults', () => {
    assert.deepEqual(parseVcamArgs(['--from', 'cam0']), { from: 'cam0', width: 1280, height: 720, fps: 30, format: 'YUYV', stallMs: 1000 });
    assert.deepEqual(parseVcamArgs(['--from', 'fx', '--device', 'vidbus camera', '--size', '640x480', '--fps', '15', '--format', 'nv12', '--stall-ms', '250']), {
      from: 'fx',
      device: 'vidbus camera',
      width: 640,
      height: 480,
      fps: 15,
      format: 'NV12',
      stallMs: 250,
    });
  });

  it('rejects what it cannot use, with the reason', () => {
    assert.throws(() => parseVcamArgs([]), (e) => e instanceof UsageError && /--from/.test(e.message));
    assert.throws(() => parseVcamArgs(['--from', 'x', '--size', '640']), /--size must look like 1280x720/);
    assert.throws(() => parseVcamArgs(['--from', 'x', '--fps', '0']), /--fps must be a positive integer/);
    assert.throws(() => parseVcamArgs(['--from', 'x', '--colour', 'red']), UsageError);
    assert.throws(() => parseVcamArgs(['--from', 'x', 'extra']), UsageError);
  });
});
