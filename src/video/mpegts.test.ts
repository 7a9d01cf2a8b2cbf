import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TsWriter, crc32Mpeg } from './mpegts.js';

const IDR = Buffer.from([0, 0, 0, 1, 0x67, 0x64, 0, 0x1f, 0, 0, 0, 1, 0x68, 0xee, 0x3c, 0x80, 0, 0, 1, 0x65, ...new Array<number>(400).fill(0x5a)]);
const P = Buffer.from([0, 0, 0, 1, 0x41, 0x9a, 0x02]);

/** The packets of a buffer, each checked for sync byte and length. */
function packets(ts: Buffer | undefined): Buffer[] {
  assert.ok(ts, 'packets written');
  assert.equal(ts.length % 188, 0, 'whole 188-byte packets');
  const out: Buffer[] = [];
  for (let i = 0; i < ts.length; i += 188) {
    assert.equal(ts[i], 0x47, `sync byte of packet ${i / 188}`);
    out.push(ts.subarray(i, i + 188));
  }
  return out;
}

const pid = (p: Buffer) => ((p[1]! & 0x1f) << 8) | p[2]!;

describe('TsWriter', () => {
  it("computes MPEG-2's CRC-32: the PAT every ffmpeg transport stream starts with ends in 2A B1 04 B2", () => {
    assert.equal(crc32Mpeg(Buffer.from([0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00])), 0x2ab104b2);
  });

  it('writes PAT and PMT before keyframes, the PES with its PTS, continuity counters, and an access unit delimiter', () => {
    const w = new TsWriter('H264');
    const first = packets(w.write(IDR, 5_000_000_000n, true));
    assert.deepEqual(first.slice(0, 2).map(pid), [0, 0x1000], 'PAT then PMT');
    const video = first.slice(2);
    assert.ok(video.length >= 3, 'a 420-byte unit spans several packets');
    assert.ok(video.every((p) => pid(p) === 0x100));
    assert.equal(video[0]![1]! & 0x40, 0x40, 'the first packet starts the PES');
    assert.equal(video[0]![5]! & 0x40, 0x40, 'random access indicator on a keyframe');
    assert.deepEqual(video.map((p) => p[3]! & 0x0f), video.map((_, i) => i), 'continuity counter counts up');
    // PES header after the 8-byte adaptation field: start code, video stream, PTS = 1 s (90000) for the first frame.
    const pes = video[0]!.subarray(4 + 8);
    assert.deepEqual([...pes.subarray(0, 4)], [0, 0, 1, 0xe0]);
    const pts = ((pes[9]! >> 1) & 7) * 2 ** 30 + (pes.readUInt16BE(10) >> 1) * 2 ** 15 + (pes.readUInt16BE(12) >> 1);
    assert.equal(pts, 90000);
    assert.deepEqual([...pes.subarray(14, 20)], [0, 0, 0, 1, 0x09, 0xf0], 'an access unit delimiter first');

    const next = packets(w.write(P, 5_040_000_000n, false));
    assert.ok(next.every((p) => pid(p) === 0x100), 'no PAT/PMT before a non-keyframe');
    const pes2 = next[0]!.subarray(4 + next[0]![4]! + 1);
    const pts2 = ((pes2[9]! >> 1) & 7) * 2 ** 30 + (pes2.readUInt16BE(10) >> 1) * 2 ** 15 + (pes2.readUInt16BE(12) >> 1);
    assert.equal(pts2, 90000 + 3600, '40 ms later is 3600 ticks of 90 kHz');
  });

  it('keeps a delimiter the encoder already put there, and uses the HEVC stream type and delimiter', () => {
    const withAud = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x09, 0xf0]), P]);
    const h264 = packets(new TsWriter('H264').write(withAud, 0n, true));
    const payload = h264[2]!.subarray(4 + h264[2]![4]! + 1 + 14);
    assert.deepEqual([...payload.subarray(0, 6)], [0, 0, 0, 1, 0x09, 0xf0]);
    assert.equal(payload[10], 0x41, 'the slice follows: no second delimiter');
    const hevc = packets(new TsWriter('HEVC').write(Buffer.from([0, 0, 0, 1, 0x26, 0x01, 0xaf]), 0n, true));
    assert.equal(hevc[1]![4 + 1 + 12], 0x24, 'PMT stream type HEVC');
    const hp = hevc[2]!.subarray(4 + hevc[2]![4]! + 1 + 14);
    assert.deepEqual([...hp.subarray(0, 7)], [0, 0, 0, 1, 0x46, 0x01, 0x50]);
  });

  it('writes nothing before the first keyframe, nor after resync() until the next one', () => {
    const w = new TsWriter('H264');
    assert.equal(w.write(P, 0n, false), undefined);
    packets(w.write(IDR, 40_000_000n, true));
    packets(w.write(P, 80_000_000n, false));
    w.resync();
    assert.equal(w.write(P, 120_000_000n, false), undefined);
    const again = packets(w.write(IDR, 160_000_000n, true));
    assert.deepEqual(again.slice(0, 2).map(pid), [0, 0x1000], 'PAT and PMT again at the keyframe');
  });

  it('fills each packet exactly, at every size around the packet boundaries', () => {
    for (const n of [1, 150, 156, 157, 158, 170, 176, 184, 340, 341, 342, 343, 1000]) {
      const au = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x41]), Buffer.alloc(n, 0x77)]);
      const video = packets(new TsWriter('H264').write(au, 0n, true)).slice(2);
      // The payloads, after each adaptation field, put back together: the PES header, the delimiter, the unit.
      const payload = Buffer.concat(video.map((p) => p.subarray(p[3]! & 0x20 ? 5 + p[4]! : 4)));
      assert.equal(payload.length, 14 + 6 + au.length, `size ${n}`);
      assert.deepEqual(payload.subarray(20), au, `size ${n}: the unit intact`);
    }
  });
});
