/** Producers and consumers as separate processes, including kill -9 on either side. */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { createProducer, type Producer } from '../../src/index.js';
import { shmEntries, spawnChild, uniqueName, type Child } from '../helpers.js';

const children: Child[] = [];
function child(script: string, ...args: (string | number)[]): Child {
  const c = spawnChild(script, ...args);
  children.push(c);
  return c;
}
const producers: Producer[] = [];

afterEach(async () => {
  for (const p of producers.splice(0)) p.close();
  await Promise.all(children.splice(0).map((c) => c.kill()));
  // Give a reclaiming consumer's last unlink a moment, then demand a clean /dev/shm.
  for (let i = 0; i < 50 && shmEntries('t-mp-').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(shmEntries('t-mp-'), [], 'streams left in /dev/shm');
});

type Done = { received: number; bad: number; outOfOrder: number; lastSeq: number; seqs: number[]; stats: { missed: number } };

describe('across processes', () => {
  it("an 'every' consumer receives all N frames with exact content", async () => {
    const name = uniqueName('mp');
    const consumer = child('consumer', name, 'every', 300, 'follow');
    await consumer.waitFor('ready');
    const producer = child('producer', name, 300, 2, 320, 240, 'RGBA', 16, 1);
    const done = (await consumer.waitFor('done', 30000)) as unknown as Done;
    assert.equal(done.received, 300);
    assert.equal(done.bad, 0);
    assert.equal(done.outOfOrder, 0);
    assert.deepEqual(done.seqs, Array.from({ length: 300 }, (_, i) => i + 1));
    assert.equal(done.stats.missed, 0);
    assert.equal((await producer.exited).code, 0);
  });

  it("a slow 'latest' consumer skips to the newest frame and ends on the last one", async () => {
    const name = uniqueName('mp');
    const producer = child('producer', name, 150, 2, 64, 48, 'RGBA', 4);
    await producer.waitFor('ready');
    const consumer = child('consumer', name, 'latest', 0, '', 15);
    const done = (await consumer.waitFor('done', 30000)) as unknown as Done;
    assert.equal(done.bad, 0);
    assert.equal(done.outOfOrder, 0);
    assert.equal(done.lastSeq, 150, 'the final frame is delivered before the clean end');
    assert.ok(done.received < 100, `slow consumer skipped frames (got ${done.received})`);
    assert.ok(done.stats.missed > 0);
  });

  it('eight consumers read one producer at once', async () => {
    const name = uniqueName('mp');
    const consumers = Array.from({ length: 8 }, () => child('consumer', name, 'every', 200, 'follow'));
    await Promise.all(consumers.map((c) => c.waitFor('ready', 30000)));
    // A frame every 10 ms: 16 slots give each of the eight 160 ms of slack, which two loaded cores need ('every' counts, never waits).
    const producer = child('producer', name, 200, 10, 640, 480, 'NV12', 16, 8);
    const results = (await Promise.all(consumers.map((c) => c.waitFor('done', 60000)))) as unknown as Done[];
    for (const r of results) {
      assert.equal(r.received, 200);
      assert.equal(r.bad, 0);
      assert.equal(r.outOfOrder, 0);
    }
    // The producer ends by itself and removes its stream; on a loaded machine that can come after the consumers are done.
    assert.equal((await producer.exited).code, 0);
  });

  it('kill -9 of the producer: consumers report it and the stream is cleaned up', async () => {
    const name = uniqueName('mp');
    const producer = child('producer', name, 0, 2);
    await producer.waitFor('progress');
    const consumer = child('consumer', name, 'every', 0);
    await consumer.waitFor('first');
    await producer.kill('SIGKILL');
    const err = await consumer.waitFor('error', 10000);
    assert.equal(err.code, 'ERR_PRODUCER_DIED');
    assert.equal(err.bad, 0);
    await consumer.exited;
    assert.equal(existsSync(`/dev/shm/vidbus-${name}`), false, 'the consumer removed the dead stream');
  });

  it('follow: a consumer survives kill -9 and resumes with a new producer at another size', async () => {
    const name = uniqueName('mp');
    const first = child('producer', name, 0, 2, 64, 48, 'RGBA');
    await first.waitFor('progress');
    const consumer = child('consumer', name, 'every', 0, 'follow');
    await consumer.waitFor('first');
    await first.kill('SIGKILL');
    const lost = await consumer.waitFor('producer-lost', 10000);
    assert.equal(lost.reason, 'died');
    const second = child('producer', name, 100, 2, 320, 240, 'YUYV');
    await consumer.waitFor('producer-attached', 10000);
    await second.exited;
    // The clean end of the second producer is reported too, and the consumer keeps following.
    const closed = await consumer.waitFor('producer-lost', 10000, (m) => m.reason === 'closed');
    assert.equal(closed.reason, 'closed');
    await consumer.kill('SIGTERM');
    const frames = consumer.messages.filter((m) => m.type === 'first');
    assert.equal(frames.length, 1);
    assert.equal(consumer.messages.some((m) => m.type === 'error'), false);
  });

  it('kill -9 of a consumer holding frames: the producer takes them back at once', async () => {
    const name = uniqueName('mp');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'RGBA', slots: 3, holdLifespanMs: 60000 });
    producers.push(producer);
    const holder = child('holder', name, 2);
    await holder.waitFor('ready');
    // Publish until the holder has two frames.
    const publish = () => {
      const f = producer.loan();
      if (f) producer.publish(f);
      return f !== null;
    };
    const reached = holder.waitFor('holding', 10000);
    const timer = setInterval(publish, 5);
    await reached;
    clearInterval(timer);
    // Two slots held, one latest: nothing free.
    publish();
    const dropped = producer.stats().dropped;
    assert.equal(publish(), false);
    assert.equal(producer.stats().dropped, dropped + 1);
    await holder.kill('SIGKILL');
    assert.equal(publish(), true, 'holds of a dead consumer are taken back without waiting for their lifespan');
    assert.equal(publish(), true);
    assert.equal(producer.stats().consumers, 0);
  });

  it('SIGTERM, SIGINT and an uncaught exception in a producer remove its stream', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const name = uniqueName('mp');
      const producer = child('producer', name, 0, 5);
      await producer.waitFor('progress');
      assert.equal(existsSync(`/dev/shm/vidbus-${name}`), true);
      producer.process.kill(signal);
      const exit = await producer.exited;
      assert.equal(exit.code, 128 + constants.signals[signal], 'the process exits as a shell reports death by that signal');
      assert.deepEqual(shmEntries(name), []);
    }
    const name = uniqueName('mp');
    const crasher = child('crasher', name);
    const exit = await crasher.exited;
    assert.equal(exit.code, 1);
    assert.match(crasher.stderr, /deliberate/);
    assert.deepEqual(shmEntries(name), []);
  });
});
