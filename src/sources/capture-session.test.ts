import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jpegLength } from './capture-session.js';

describe('jpegLength', () => {
  it('ends an MJPEG frame at its last end-of-image marker, dropping driver padding', () => {
    const frame = new Uint8Array(64);
    frame.set([0xff, 0xd8, 1, 2, 0xff, 0xd9, 3, 0xff, 0xd9], 0);
    assert.equal(jpegLength(frame, 64), 9, 'padding after the last EOI is dropped');
    assert.equal(jpegLength(frame, 6), 6, 'bytesused is an upper bound');
    assert.equal(jpegLength(new Uint8Array(16), 16), 16, 'no marker: trust the driver');
    assert.equal(jpegLength(frame.subarray(0, 8), 64), 6, 'never past the buffer');
  });
});
