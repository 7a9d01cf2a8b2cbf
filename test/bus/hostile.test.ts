/**
 * Hostile shared memory: streams whose header, descriptors or control
 * segment hold garbage. Opening, reading and listing must only ever throw
 * VidbusErrors (never a crash, never a view outside the mapping), and a
 * producer must survive any bytes consumers write into the control segment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { createProducer, inspectStream, isVidbusError, openConsumer } from '../../src/index.js';
import { lockTry } from '../../src/native/shm.js';
import { C, CTL_HEADER_BYTES, DESCRIPTOR_BYTES, DESCRIPTOR_OFFSET, H } from '../../src/bus/layout.js';
import { shmEntries, uniqueName } from '../helpers.js';

/** A small deterministic PRNG so failures reproduce (seed printed on failure). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 63, 64, 255, 4095, 4096, 65535, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];

function mutate(bytes: Uint8Array, random: () => number, regionStart: number, regionEnd: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const offset = regionStart + (Math.floor((random() * (regionEnd - regionStart)) / 4) * 4);
    if (offset + 4 > bytes.length) continue;
    const choice = random();
    if (choice < 0.5) view.setUint32(offset, INTERESTING[Math.floor(random() * INTERESTING.length)]!, true);
    else if (choice < 0.8) view.setUint32(offset, Math.floor(random() * 2 ** 32), true);
    else bytes[offset] = Math.floor(random() * 256);
  }
}

async function referenceImage(name: string): Promise<{ data: Uint8Array; ctl: Uint8Array }> {
  const producer = await createProducer(name, { width: 16, height: 16, format: 'GRAY8', slots: 2, maxConsumers: 2 });
  producer.write(new Uint8Array(256).fill(1));
  producer.write(new Uint8Array(256).fill(2));
  const data = new Uint8Array(readFileSync(`/dev/shm/vidbus-${name}`));
  const ctl = new Uint8Array(readFileSync(`/dev/shm/vidbus-${name}.ctl`));
  producer.close();
  return { data, ctl };
}

describe('hostile shared memory', () => {
  it('opening, reading and listing corrupt streams only throws typed errors (20,000 cases)', async () => {
    const name = uniqueName('hx');
    const ref = await referenceImage(name);
    const dataFile = `/dev/shm/vidbus-${name}`;
    const ctlFile = `${dataFile}.ctl`;
    const seed = Date.now() & 0xffff;
    const random = rng(seed);
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    const descriptorsEnd = DESCRIPTOR_OFFSET + 2 * DESCRIPTOR_BYTES;

    for (let i = 0; i < 20000; i++) {
      const data = ref.data.slice();
      const ctl = ref.ctl.slice();
      const target = random();
      if (target < 0.45) mutate(data, random, 0, 512);
      else if (target < 0.75) mutate(data, random, DESCRIPTOR_OFFSET, descriptorsEnd);
      else if (target < 0.9) mutate(ctl, random, 0, ctl.length);
      writeFileSync(dataFile, data, { mode: 0o600 });
      const ino = statSync(dataFile).ino;
      new DataView(ctl.buffer).setBigInt64(C.dataInode, BigInt(ino), true);
      if (target >= 0.9 && target < 0.95) mutate(ctl, random, 0, CTL_HEADER_BYTES);
      writeFileSync(ctlFile, ctl, { mode: 0o600 });
      if (target >= 0.95) {
        // Truncate one of the segments somewhere.
        const fd = openSync(random() < 0.7 ? dataFile : ctlFile, 'r+');
        ftruncateSync(fd, Math.floor(random() * data.length));
        closeSync(fd);
      }
      // Play the live producer: hold its liveness lock.
      const lockFd = openSync(dataFile, 'r+');
      lockTry(lockFd, 0);
      try {
        const info = inspectStream(name);
        assert.ok(['live', 'initializing', 'stale', 'corrupt', 'no-access'].includes(info.status));
        let consumer;
        try {
          consumer = await openConsumer(name, { openTimeoutMs: 0, policy: random() < 0.5 ? 'latest' : 'every' });
        } catch (e) {
          if (!isVidbusError(e)) throw new Error(`case ${i} (seed ${seed}): open threw a non-VidbusError: ${String(e)}`);
          count(`open:${e.code}`);
          continue;
        }
        try {
          for (let k = 0; k < 3; k++) {
            const frame = consumer.tryReceive();
            if (frame === null) {
              count('receive:none');
              break;
            }
            const slotCapacity = 256;
            assert.ok(frame.data.length <= slotCapacity && frame.meta.length <= 192, `case ${i}: oversized view`);
            // Touch every byte: must not fault.
            let sum = 0;
            for (const b of frame.data) sum += b;
            for (const b of frame.meta) sum += b;
            assert.ok(sum >= 0);
            frame.release();
            count('receive:frame');
          }
        } catch (e) {
          if (!isVidbusError(e)) throw new Error(`case ${i} (seed ${seed}): receive threw a non-VidbusError: ${String(e)}`);
          count(`receive:${e.code}`);
        } finally {
          consumer.close();
        }
      } finally {
        closeSync(lockFd);
        for (const f of [ctlFile, dataFile]) {
          try {
            unlinkSync(f);
          } catch {
            // the consumer may have reclaimed it
          }
        }
      }
    }
    const summary = Object.fromEntries([...outcomes].sort());
    // The fuzzer must reach the interesting paths, not just fail early.
    assert.ok((outcomes.get('receive:frame') ?? 0) > 1000, JSON.stringify(summary));
    assert.ok((outcomes.get('open:ERR_STREAM_CORRUPT') ?? 0) > 1000, JSON.stringify(summary));
    assert.ok((outcomes.get('receive:ERR_STREAM_CORRUPT') ?? 0) > 10, JSON.stringify(summary));
    assert.deepEqual(shmEntries('t-hx-'), []);
  });

  it('a producer survives garbage written into the control segment by a hostile consumer', async () => {
    const name = uniqueName('hx');
    const producer = await createProducer(name, { width: 16, height: 16, format: 'GRAY8', slots: 4, maxConsumers: 4 });
    const consumer = await openConsumer(name, { policy: 'every' });
    const ctlFd = openSync(`/dev/shm/vidbus-${name}.ctl`, 'r+');
    const ctlSize = statSync(`/dev/shm/vidbus-${name}.ctl`).size;
    const random = rng(12345);
    let published = 0;
    let received = 0;
    try {
      for (let i = 0; i < 5000; i++) {
        const junk = new Uint8Array(16);
        for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(random() * 256);
        writeSync(ctlFd, junk, 0, junk.length, CTL_HEADER_BYTES + Math.floor(random() * (ctlSize - CTL_HEADER_BYTES - 16)));
        if (producer.write(new Uint8Array(256).fill(i & 255)) !== null) published++;
        try {
          const f = consumer.tryReceive();
          if (f) {
            received++;
            f.release();
          }
        } catch (e) {
          assert.ok(isVidbusError(e), String(e));
        }
      }
      const stats = producer.stats();
      assert.ok(stats.published === published);
      assert.ok(published > 4000, `garbage holds of dead records must not starve the producer (published ${published})`);
      assert.ok(received > 0);
    } finally {
      closeSync(ctlFd);
      consumer.close();
      producer.close();
    }
    // A corrupt header word written by a hostile producer after open cannot steer the consumer:
    const name2 = uniqueName('hx');
    const p2 = await createProducer(name2, { width: 16, height: 16, format: 'GRAY8', slots: 2 });
    const c2 = await openConsumer(name2);
    const fd = openSync(`/dev/shm/vidbus-${name2}`, 'r+');
    const evil = Buffer.alloc(4);
    evil.writeUInt32LE(0xffffffff);
    writeSync(fd, evil, 0, 4, H.frameBytes);
    writeSync(fd, evil, 0, 4, H.slotCount);
    closeSync(fd);
    p2.write(new Uint8Array(256).fill(9));
    const f = (await c2.next({ timeoutMs: 1000 }))!;
    assert.equal(f.data.length, 256);
    f.release();
    c2.close();
    p2.close();
  });
});
