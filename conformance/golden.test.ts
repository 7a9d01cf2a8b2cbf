/**
 * The golden pair of segment files (conformance/golden/, written by
 * make-golden.ts) opened by this implementation: the same test exists for
 * libvidbus (libvidbus/tests/test_golden.c) and the Python package
 * (python/tests/test_golden.py). A copy is installed in /dev/shm, this
 * process holds its producer lock (as a live producer would), and the
 * ctl's dataInode is set to the copy's inode (protocol 4.1).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspectStream, openConsumer } from '../src/index.js';
import { lockTry } from '../src/native/shm.js';
import { fnv1a } from './peers/pattern.js';

const dir = fileURLToPath(new URL('../../conformance/golden/', import.meta.url));
const golden = JSON.parse(readFileSync(`${dir}golden.json`, 'utf8'));
const data = `/dev/shm/vidbus-${golden.name}`;

function install(): number {
  writeFileSync(data, readFileSync(`${dir}vidbus-${golden.name}`), { flag: 'wx', mode: 0o600 });
  const fd = openSync(data, 'r+');
  assert.ok(lockTry(fd, 0), 'the producer lock of the copy');
  const ctl = readFileSync(`${dir}vidbus-${golden.name}.ctl`);
  ctl.writeBigInt64LE(BigInt(fstatSync(fd).ino), 24);
  writeFileSync(`${data}.ctl`, ctl, { flag: 'wx', mode: 0o600 });
  return fd;
}

describe('the golden segment files', () => {
  it('open in TypeScript with every field and the newest frame as recorded', async () => {
    const fd = install();
    try {
      const info = inspectStream(golden.name);
      assert.equal(info.status, 'live');
      const d = info.description!;
      assert.deepEqual([d.layout.format, d.layout.width, d.layout.height, d.layout.frameBytes], [golden.format, golden.width, golden.height, golden.frameBytes]);
      assert.deepEqual(d.layout.planes.map((p) => p.stride), golden.strides);
      assert.deepEqual([d.fps.num, d.fps.den, d.slotCount, d.maxConsumers, d.holdLifespanMs], [...golden.fps, golden.slots, golden.maxConsumers, golden.holdLifespanMs]);
      assert.equal(info.published, golden.published);
      await using consumer = await openConsumer(golden.name, { policy: 'every' });
      const frame = (await consumer.next({ timeoutMs: 1000 }))!;
      const want = golden.firstFrame;
      assert.deepEqual(
        { seq: frame.seq, size: frame.size, checksum: fnv1a(frame.data.subarray(0, frame.size)), timestamp: String(frame.timestamp), wallClock: String(frame.wallClock), meta: Buffer.from(frame.meta).toString('hex'), keyframe: frame.keyframe },
        want,
      );
      frame.release();
      assert.equal(await consumer.next({ timeoutMs: 50 }), null, 'nothing newer');
    } finally {
      for (const path of [`${data}.ctl`, data]) unlinkSync(path);
      closeSync(fd);
    }
  });
});
