import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avcCodecString, findNal } from './annexb.js';

const KEY = Uint8Array.from([0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1e, 0xab, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 1, 0x65, 0x88, 0x84]);

describe('Annex B on the Node side', () => {
  it('finds NAL units by type, ending at the next start code', () => {
    assert.deepEqual([...findNal(KEY, 7)!], [0x67, 0x42, 0xe0, 0x1e, 0xab]);
    assert.deepEqual([...findNal(KEY, 8)!], [0x68, 0xce, 0x3c, 0x80]);
    assert.deepEqual([...findNal(KEY, 5)!], [0x65, 0x88, 0x84]);
    assert.equal(findNal(KEY, 1), undefined);
  });

  it('reads the codec string from the SPS; none without one, nor from a truncated SPS', () => {
    assert.equal(avcCodecString(KEY), 'avc1.42e01e');
    assert.equal(avcCodecString(Uint8Array.from([0, 0, 1, 0x41, 0x9a])), undefined);
    assert.equal(avcCodecString(Uint8Array.from([0, 0, 1, 0x67, 0x42])), undefined);
    for (let n = 0; n <= KEY.length; n++) avcCodecString(KEY.subarray(0, n)); // no throw at any length
  });
});
