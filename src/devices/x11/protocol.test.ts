import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packetLength, parseCursorImage, parseSetupReply, queryExtension, setupReplyLength, setupRequest, shmGetImage, X11ProtocolError } from './protocol.js';

/** A setup reply with one screen: root 0x100, 640x480, depth 24 at 32 bpp, visual 0x21 with BGR masks. */
function setupReply(): Uint8Array {
  const vendor = 'Test';
  const bytes = new Uint8Array(40 + 4 + 8 + 40 + 8 + 24);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, 1);
  v.setUint16(2, 11, true);
  v.setUint16(6, (bytes.length - 8) / 4, true);
  v.setUint32(12, 0x00400000, true);
  v.setUint32(16, 0x001fffff, true);
  v.setUint16(24, vendor.length, true);
  v.setUint8(28, 1);
  v.setUint8(29, 1);
  bytes.set(new TextEncoder().encode(vendor), 40);
  v.setUint8(44, 24); // format: depth 24, 32 bpp, pad 32
  v.setUint8(45, 32);
  v.setUint8(46, 32);
  const s = 52;
  v.setUint32(s, 0x100, true);
  v.setUint16(s + 20, 640, true);
  v.setUint16(s + 22, 480, true);
  v.setUint32(s + 32, 0x21, true);
  v.setUint8(s + 38, 24);
  v.setUint8(s + 39, 1);
  v.setUint8(s + 40, 24);
  v.setUint16(s + 42, 1, true);
  v.setUint32(s + 48, 0x21, true);
  v.setUint32(s + 56, 0xff0000, true);
  v.setUint32(s + 60, 0xff00, true);
  v.setUint32(s + 64, 0xff, true);
  return bytes;
}

describe('X11 protocol', () => {
  it('parses a setup reply', () => {
    const bytes = setupReply();
    assert.equal(setupReplyLength(bytes), bytes.length);
    const setup = parseSetupReply(bytes);
    assert.equal(setup.vendor, 'Test');
    assert.deepEqual(setup.screens, [
      { root: 0x100, width: 640, height: 480, rootDepth: 24, rootVisual: { id: 0x21, redMask: 0xff0000, greenMask: 0xff00, blueMask: 0xff }, bitsPerPixel: 32, scanlinePad: 32 },
    ]);
  });

  it('reports a refusal with the server\'s reason', () => {
    const reason = 'No protocol specified';
    const bytes = new Uint8Array(8 + 24);
    bytes[0] = 0;
    bytes[1] = reason.length;
    bytes.set(new TextEncoder().encode(reason), 8);
    assert.throws(() => parseSetupReply(bytes), (e: unknown) => e instanceof X11ProtocolError && /refused the connection: No protocol specified/.test((e as Error).message));
  });

  it('rejects every truncation and lying count in a setup reply without reading past it', () => {
    const good = setupReply();
    for (let n = 0; n < good.length; n++) assert.throws(() => parseSetupReply(good.slice(0, n)), X11ProtocolError, `truncated to ${n}`);
    // Counts that point past the end: vendor length, screens, formats, depths, visuals.
    for (const [offset, value] of [
      [24, 0xffff],
      [28, 200],
      [29, 200],
      [52 + 39, 200],
      [52 + 42, 0xffff],
    ] as [number, number][]) {
      const bad = good.slice();
      const v = new DataView(bad.buffer);
      if (offset === 24 || offset === 52 + 42) v.setUint16(offset, value, true);
      else v.setUint8(offset, value);
      assert.throws(() => parseSetupReply(bad), X11ProtocolError, `offset ${offset}`);
    }
  });

  it('frames packets: errors and events are 32 bytes, replies and generic events say their length', () => {
    const p = new Uint8Array(32);
    assert.equal(packetLength(p.subarray(0, 31)), undefined);
    p[0] = 0;
    assert.equal(packetLength(p), 32);
    p[0] = 1;
    new DataView(p.buffer).setUint32(4, 3, true);
    assert.equal(packetLength(p), 44);
    p[0] = 35;
    assert.equal(packetLength(p), 44);
    p[0] = 2 | 0x80; // a SendEvent-flagged event
    assert.equal(packetLength(p), 32);
  });

  it('encodes requests with their length in 4-byte units', () => {
    const q = queryExtension('MIT-SHM');
    assert.equal(q.length, 16);
    assert.equal(new DataView(q.buffer).getUint16(2, true), 4);
    const g = shmGetImage(130, 0x100, 1, 2, 3, 4, 0x400001, 4096);
    assert.equal(g.length, 32);
    assert.deepEqual([g[0], g[1], new DataView(g.buffer).getUint16(2, true), new DataView(g.buffer).getUint32(28, true)], [130, 4, 8, 4096]);
    const s = setupRequest('MIT-MAGIC-COOKIE-1', new Uint8Array(16));
    assert.equal(s.length, 12 + 20 + 16);
    assert.equal(s[0], 0x6c);
  });

  it('refuses a cursor image larger than its reply', () => {
    const reply = new Uint8Array(32 + 4 * 4);
    const v = new DataView(reply.buffer);
    v.setUint16(12, 2, true);
    v.setUint16(14, 2, true);
    assert.equal(parseCursorImage(reply).argb.length, 4);
    v.setUint16(14, 3, true);
    assert.throws(() => parseCursorImage(reply), X11ProtocolError);
  });
});
