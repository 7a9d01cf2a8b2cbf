/**
 * One conformance suite across every implementation of the protocol:
 * TypeScript (this package), C (libvidbus) and Python (python/, over
 * libvidbus). Every producer language against every consumer language,
 * across processes: exact frame content for every raw format, metadata
 * and timestamps intact, 'every' gets all frames in order, 'latest' ends
 * on the newest, four mixed-language consumers on one producer, and
 * crashes (kill -9) on either side with nothing left behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { RAW_FORMATS, type PixelFormat } from '../src/index.js';
import { checkFrames, consumeCommand, LANGS, missingPeers, Peer, produceCommand, type Lang } from './peers.js';

let counter = 0;
const uniqueName = (tag: string) => `t-conf-${tag}-${process.pid}-${++counter}`;
const leftovers = (name: string) => readdirSync('/dev/shm').filter((f) => f.startsWith(`vidbus-${name}`));
const skip = missingPeers();

/** Consumers first (following, so they may start before the producer), then the producer; all must exit cleanly. */
async function run(producerLang: Lang, consumerLangs: Lang[], format: PixelFormat, count = 20): Promise<{ consumers: Peer[]; producer: Peer }> {
  const name = uniqueName(`${producerLang}-${consumerLangs.join('')}`);
  const spec = { name, format, width: 64, height: 48 };
  const consumers = consumerLangs.map((lang, i) => new Peer(`${lang} consumer ${i}`, consumeCommand(lang, { name, policy: 'every', count, timeoutMs: 10000, follow: true })));
  try {
    await Promise.all(consumers.map((c) => c.waitFor('ready')));
    const producer = new Peer(`${producerLang} producer`, produceCommand(producerLang, { ...spec, count, fps: 100, slots: 16, waitFor: consumerLangs.length }));
    assert.equal(await producer.finish(), 0, `${producer.label}: ${producer.stderr}`);
    for (const c of consumers) assert.equal(await c.finish(), 0, `${c.label}: ${c.stderr}`);
    assert.deepEqual(leftovers(name), [], 'nothing left in /dev/shm');
    return { consumers, producer };
  } finally {
    for (const c of consumers) c.kill();
  }
}

describe('conformance across TypeScript, C and Python', { skip }, () => {
  for (const producer of LANGS) {
    for (const consumer of LANGS) {
      it(`${producer} -> ${consumer}: every raw format, content, metadata and timestamps exact, all frames in order`, { timeout: 240000 }, async () => {
        for (const format of RAW_FORMATS) {
          const { consumers } = await run(producer, [consumer], format);
          const frames = consumers[0]!.frames();
          assert.deepEqual(
            frames.map((f) => f.seq),
            Array.from({ length: 20 }, (_, i) => i + 1),
            `${format}: every frame in order (${consumers[0]!.stderr})`,
          );
          assert.deepEqual(checkFrames(frames, { format, width: 64, height: 48 }), [], format);
        }
      });
    }
  }

  it('four consumers in three languages read one producer at once', { timeout: 60000 }, async () => {
    for (const producer of LANGS) {
      const { consumers } = await run(producer, ['c', 'python', 'ts', 'c'], 'NV12', 30);
      for (const c of consumers) {
        assert.equal(c.frames().length, 30, `${producer} -> ${c.label}`);
        assert.deepEqual(checkFrames(c.frames(), { format: 'NV12', width: 64, height: 48 }), [], c.label);
      }
    }
  });

  it("'latest' ends on the newest frame, in every language", { timeout: 60000 }, async () => {
    for (const lang of LANGS) {
      const name = uniqueName(`latest-${lang}`);
      const producer = new Peer('ts producer', produceCommand('ts', { name, format: 'RGBA', width: 32, height: 32, count: 60, fps: 60, slots: 4 }));
      try {
        await producer.waitFor('ready');
        const consumer = new Peer(`${lang} consumer`, consumeCommand(lang, { name, policy: 'latest', count: 1000, timeoutMs: 5000 }));
        assert.equal(await producer.finish(), 0);
        // The C example exits 1 when fewer than -c frames arrived (here: always, by design of the test).
        assert.ok([0, 1].includes((await consumer.finish()) ?? -1), consumer.stderr);
        const seqs = consumer.frames().map((f) => Number(f.seq));
        assert.ok(seqs.length >= 2, `${lang}: received ${seqs.length}`);
        assert.equal(seqs.at(-1), 60, `${lang} ends on the newest: ${seqs.join(',')}`);
        assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'never goes back');
        assert.deepEqual(checkFrames(consumer.frames(), { format: 'RGBA', width: 32, height: 32 }), []);
      } finally {
        producer.kill();
      }
    }
  });

  it('kill -9 of a Python producer: a following TS consumer carries on with the next producer', { timeout: 60000 }, async () => {
    const name = uniqueName('crash-producer');
    const consumer = new Peer('ts consumer', consumeCommand('ts', { name, policy: 'every', count: 1000, timeoutMs: 10000, follow: true }));
    try {
      await consumer.waitFor('ready');
      const first = new Peer('python producer', produceCommand('python', { name, format: 'GRAY8', width: 64, height: 48, count: 100000, fps: 50, slots: 4 }));
      while (consumer.frames().length < 5) await new Promise((r) => setTimeout(r, 50));
      first.kill('SIGKILL');
      await first.exited;
      const before = consumer.frames().length;
      const second = new Peer('python producer 2', produceCommand('python', { name, format: 'GRAY8', width: 64, height: 48, count: 10, fps: 50, slots: 4, waitFor: 1 }));
      assert.equal(await second.finish(), 0, second.stderr);
      const deadline = Date.now() + 5000;
      while (consumer.frames().length < before + 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const after = consumer.frames().slice(before);
      assert.ok(after.length >= 10, `frames from the next producer: ${after.length}`);
      assert.deepEqual(checkFrames(after.slice(-10), { format: 'GRAY8', width: 64, height: 48 }), []);
      assert.deepEqual(leftovers(name), [], 'the dead producer\'s files were reclaimed');
    } finally {
      consumer.kill('SIGTERM');
      await consumer.finish(10000);
    }
  });

  it('kill -9 of a C consumer holding frames: the TS producer takes its slots back at once', { timeout: 60000 }, async () => {
    const name = uniqueName('crash-consumer');
    // 3 slots, and the C consumer holds 3: while it lives, the producer has no free slot and drops.
    const producer = new Peer('ts producer', produceCommand('ts', { name, format: 'GRAY8', width: 64, height: 48, count: 150, fps: 100, slots: 3 }));
    try {
      await producer.waitFor('ready');
      const holder = new Peer('c consumer', consumeCommand('c', { name, policy: 'every', count: 100000, timeoutMs: 5000, hold: 3 }));
      await holder.waitFor('ready');
      while (holder.frames().length < 3) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200)); // the producer drops while the holds are live
      holder.kill('SIGKILL');
      await holder.exited;
      const reader = new Peer('ts consumer', consumeCommand('ts', { name, policy: 'every', count: 100000, timeoutMs: 3000 }));
      assert.equal(await producer.finish(), 0, producer.stderr);
      assert.equal(await reader.finish(), 0, reader.stderr);
      const summary = producer.lines.find((l) => l.type === 'summary')!;
      assert.ok(Number(summary.dropped) > 0, 'the holds were honoured while the consumer lived');
      assert.ok(Number(summary.published) >= 100, `publishing resumed after the kill: ${JSON.stringify(summary)}`);
      assert.ok(reader.frames().length >= 20, `a new consumer reads on: ${reader.frames().length}`);
      assert.deepEqual(leftovers(name), []);
    } finally {
      producer.kill();
    }
  });
});
