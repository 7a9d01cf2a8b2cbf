/**
 * Waking consumers: the one-hop wake socket, the futex fallback (old
 * producers, `wakeup: 'futex'`, a socket the producer cannot reach), a C
 * producer (libvidbus) waking a Node consumer, and subscribe().
 *
 * Consumers here use a liveness interval of a minute, so a frame that
 * arrives at all arrived through a wake: the liveness timeout cannot have
 * delivered it within the test's time.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { createProducer, openConsumer, type Consumer, type Frame, type Producer, type Wakeup } from '../../src/index.js';
import { C_CONSUME, C_PRODUCE, consumeCommand, Peer } from '../../conformance/peers.js';
import { CTL_HEADER_BYTES, H, R } from '../../src/bus/layout.js';
import { ctlPath, dataPath } from '../../src/bus/names.js';
import { shmEntries, spawnChild, stopProcess, uniqueName, type Child } from '../helpers.js';

const producers: Producer[] = [];
const consumers: Consumer[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of consumers.splice(0)) c.close();
  for (const p of producers.splice(0)) p.close();
  await Promise.all(children.splice(0).map((c) => c.kill()));
  for (let i = 0; i < 50 && shmEntries('t-wake-').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(shmEntries('t-wake-'), [], 'streams left in /dev/shm');
});

const NEVER = 60_000; // liveness interval: only a wake can deliver in time

async function pair(options: { wakeup?: Wakeup; policy?: 'latest' | 'every'; beforeOpen?: (name: string) => void } = {}) {
  const name = uniqueName('wake');
  const producer = await createProducer(name, { width: 32, height: 16, format: 'GRAY8', slots: 8 });
  producers.push(producer);
  options.beforeOpen?.(name);
  const consumer = await openConsumer(name, { policy: options.policy ?? 'every', livenessIntervalMs: NEVER, wakeup: options.wakeup });
  consumers.push(consumer);
  return { name, producer, consumer };
}

/** Reads a word of a stream's file straight from /dev/shm (as another process would see it). */
function readWord(path: string, offset: number, bytes: 4 | 8): bigint {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    readSync(fd, buf, 0, bytes, offset);
    return bytes === 4 ? BigInt(buf.readUInt32LE(0)) : buf.readBigUInt64LE(0);
  } finally {
    closeSync(fd);
  }
}

function writeBytes(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Publishes `count` frames 5 ms apart while the consumer takes them with next(); returns their first bytes. */
async function exchange(producer: Producer, consumer: Consumer, count: number): Promise<number[]> {
  const got: number[] = [];
  const reading = (async () => {
    for (let i = 0; i < count; i++) {
      const frame = await consumer.next({ timeoutMs: 10_000 });
      assert.ok(frame, `frame ${i + 1} of ${count} never woke the consumer`);
      got.push(frame.data[0]!);
      frame.release();
    }
  })();
  for (let i = 1; i <= count; i++) {
    await new Promise((r) => setTimeout(r, 5));
    producer.write(new Uint8Array(32 * 16).fill(i));
  }
  await reading;
  return got;
}

const openFds = () => readdirSync('/proc/self/fd').length;

describe('wake-ups', () => {
  it('a Node producer wakes a Node consumer through its socket, one frame per publish', async () => {
    const { name, producer, consumer } = await pair();
    assert.equal(consumer.wakeMode, 'socket');
    assert.equal(readWord(dataPath(name), H.flags, 4) & 1n, 1n, 'the header says the producer wakes sockets');
    const got = await exchange(producer, consumer, 20);
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 1));
    // While it sleeps, its record says how: waiting = 2 and its token.
    const next = consumer.next();
    await new Promise((r) => setTimeout(r, 20));
    const record = CTL_HEADER_BYTES; // the first consumer takes record 0
    assert.equal(readWord(ctlPath(name), record + R.waiting, 4), 2n);
    assert.notEqual(readWord(ctlPath(name), record + R.wakeToken, 8), 0n);
    producer.write(new Uint8Array(32 * 16).fill(99));
    const frame = await next;
    assert.equal(frame?.data[0], 99);
    frame?.release();
    assert.equal(readWord(ctlPath(name), record + R.waiting, 4), 0n);
  });

  it("wakeup: 'futex' sleeps on the futex through the native thread", async () => {
    const { producer, consumer } = await pair({ wakeup: 'futex' });
    assert.equal(consumer.wakeMode, 'futex');
    assert.deepEqual(await exchange(producer, consumer, 10), Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('a producer that does not offer wake sockets (flags 0) still wakes a new consumer, on the futex', async () => {
    const { producer, consumer } = await pair({ beforeOpen: (name) => writeBytes(dataPath(name), H.flags, Buffer.alloc(4)) });
    assert.equal(consumer.wakeMode, 'futex');
    assert.deepEqual(await exchange(producer, consumer, 10), Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('a socket the producer cannot reach: the consumer notices at its liveness check and moves to the futex', async () => {
    const name = uniqueName('wake');
    const producer = await createProducer(name, { width: 32, height: 16, format: 'GRAY8', slots: 8 });
    producers.push(producer);
    const consumer = await openConsumer(name, { policy: 'every', livenessIntervalMs: 100 });
    consumers.push(consumer);
    assert.equal(consumer.wakeMode, 'socket');
    // Another token in the record: the producer's datagrams go nowhere.
    const token = Buffer.alloc(8);
    token.writeBigUInt64LE(0x1234567890abcdefn);
    writeBytes(ctlPath(name), CTL_HEADER_BYTES + R.wakeToken, token);
    const started = Date.now();
    const first = consumer.next({ timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 20));
    producer.write(new Uint8Array(32 * 16).fill(7));
    const frame = await first;
    assert.equal(frame?.data[0], 7);
    frame?.release();
    assert.ok(Date.now() - started < 2000, 'found by the liveness check');
    assert.equal(consumer.wakeMode, 'futex');
    assert.deepEqual(await exchange(producer, consumer, 5), [1, 2, 3, 4, 5]);
  });

  it('a C producer (libvidbus) wakes a Node consumer through its socket', { skip: !existsSync(C_PRODUCE) && 'make -C libvidbus first' }, async () => {
    const name = uniqueName('wake');
    // 60 frames at 30 fps once one consumer is attached; -T fills frames with a pattern.
    const producer = spawn(C_PRODUCE, [name, '-s', '64x48', '-f', 'GRAY8', '-r', '30', '-n', '60', '-l', '8', '-w', '1'], { stdio: 'ignore' });
    try {
      let consumer: Consumer | undefined;
      for (let i = 0; i < 200 && consumer === undefined; i++) {
        consumer = await openConsumer(name, { policy: 'every', livenessIntervalMs: NEVER }).catch(() => undefined);
        if (consumer === undefined) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(consumer, 'the C producer created its stream');
      consumers.push(consumer);
      assert.equal(consumer.wakeMode, 'socket');
      const seqs: number[] = [];
      for await (const frame of consumer) seqs.push(frame.seq);
      assert.ok(seqs.length >= 55, `got ${seqs.length} of 60 frames`);
      assert.equal(seqs.at(-1), 60);
    } finally {
      await stopProcess(producer);
    }
  });

  it('a C consumer (futex) and a Node consumer (socket) on one producer both get every frame', { skip: !existsSync(C_CONSUME) && 'make -C libvidbus first' }, async () => {
    const { name, producer, consumer } = await pair();
    const c = new Peer('C consumer', consumeCommand('c', { name, policy: 'every', count: 20, timeoutMs: 10_000 }));
    try {
      await c.waitFor('ready');
      const got = await exchange(producer, consumer, 20);
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(await c.finish(15_000), 0, c.stderr);
      assert.equal(c.frames().length, 20);
    } finally {
      c.kill();
    }
  });

  it('closing a consumer closes its wake socket and its watch', async () => {
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      const { producer, consumer } = await pair();
      await exchange(producer, consumer, 2);
      consumer.close();
      producer.close();
    }
    assert.equal(openFds(), before);
  });
});

describe("the low-latency mode (wakeup: 'poll')", () => {
  /** A C producer at `fps` (paced on an absolute clock) and a poll-mode consumer of every frame. */
  async function steady(fps: number, count: number): Promise<{ seqs: number[]; consumer: Consumer }> {
    const name = uniqueName('wake');
    const producer = spawn(C_PRODUCE, [name, '-s', '64x48', '-f', 'GRAY8', '-r', String(fps), '-n', String(count), '-l', '8', '-w', '1'], { stdio: 'ignore' });
    try {
      let consumer: Consumer | undefined;
      for (let i = 0; i < 200 && consumer === undefined; i++) {
        consumer = await openConsumer(name, { policy: 'every', wakeup: 'poll' }).catch(() => undefined);
        if (consumer === undefined) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(consumer, 'the C producer created its stream');
      consumers.push(consumer);
      const seqs: number[] = [];
      await consumer.subscribe((frame) => void seqs.push(frame.seq)).done;
      return { seqs, consumer };
    } finally {
      await stopProcess(producer);
    }
  }

  it('finds frames of a steady producer by polling at the predicted time, and loses none', { skip: !existsSync(C_PRODUCE) && 'make -C libvidbus first' }, async () => {
    const { seqs, consumer } = await steady(50, 100);
    assert.deepEqual(seqs, Array.from({ length: 100 }, (_, i) => i + 1));
    const low = consumer.stats().lowLatency!;
    assert.ok(low, 'stats().lowLatency is there in poll mode');
    // How many land inside the polling window depends on the producer's
    // jitter on this machine; that it plans a wake for nearly every frame
    // and finds some by polling does not.
    assert.ok(low.hits >= 1, `frames found by polling: ${JSON.stringify(low)}`);
    const planned = low.hits + low.early + low.misses;
    assert.ok(planned >= 50 && planned <= 100, `early wakes planned for ${planned} of 100 frames: ${JSON.stringify(low)}`);
    assert.ok(low.spinUsPerFrame > 0 && low.spinUsPerFrame < 2000, `polling per frame ${low.spinUsPerFrame} µs is bounded`);
  });

  it('an irregular producer still gets every frame through (the normal wake takes over)', async () => {
    const { producer, consumer } = await pair({ wakeup: 'poll' });
    const gaps = [5, 40, 3, 25, 12, 60, 8, 30, 2, 45, 15, 20, 5, 35, 10, 50];
    const got: number[] = [];
    const reading = (async () => {
      for (let i = 0; i < gaps.length * 2; i++) {
        const frame = await consumer.next({ timeoutMs: 10_000 });
        assert.ok(frame);
        got.push(frame.data[0]!);
        frame.release();
      }
    })();
    for (let i = 1; i <= gaps.length * 2; i++) {
      await new Promise((r) => setTimeout(r, gaps[i % gaps.length]));
      producer.write(new Uint8Array(32 * 16).fill(i));
    }
    await reading;
    assert.deepEqual(got, Array.from({ length: gaps.length * 2 }, (_, i) => i + 1));
  });

  it('close() and an abort end a wait for the early wake at once', async () => {
    const { producer, consumer } = await pair({ wakeup: 'poll' });
    // Learn a slow rhythm (200 ms), so the next early wake is far away.
    const seen: number[] = [];
    const sub = consumer.subscribe((frame) => void seen.push(frame.seq));
    for (let i = 0; i < 6; i++) {
      producer.write(new Uint8Array(32 * 16).fill(i));
      await new Promise((r) => setTimeout(r, 200));
    }
    const started = Date.now();
    sub.close();
    await sub.done;
    assert.ok(Date.now() - started < 100, `ended after ${Date.now() - started} ms`);
    const controller = new AbortController();
    const waiting = consumer.next({ signal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await assert.rejects(waiting, { code: 'ERR_ABORTED' });
  });
});

describe('subscribe()', () => {
  it('hands every frame to the callback in order and releases each when the callback returns', async () => {
    const { producer, consumer } = await pair();
    const seen: number[] = [];
    const sub = consumer.subscribe((frame) => {
      seen.push(frame.data[0]!);
      assert.ok(frame.valid);
    });
    for (let i = 1; i <= 30; i++) {
      producer.write(new Uint8Array(32 * 16).fill(i));
      await new Promise((r) => setTimeout(r, 3));
    }
    while (seen.length < 30) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i + 1));
    assert.equal(consumer.stats().holding, 0);
    producer.close();
    await sub.done; // the stream ended: done resolves
    assert.equal(consumer.stats().received, 30);
  });

  it('keep() keeps a frame past its callback until released', async () => {
    const { producer, consumer } = await pair();
    const kept: Frame[] = [];
    const sub = consumer.subscribe((frame) => {
      if (frame.data[0] === 2) kept.push(frame.keep());
    });
    for (let i = 1; i <= 4; i++) {
      producer.write(new Uint8Array(32 * 16).fill(i));
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(kept.length, 1);
    assert.ok(kept[0]!.valid);
    assert.equal(kept[0]!.data[0], 2);
    assert.equal(consumer.stats().holding, 1);
    assert.equal(kept[0]!.release(), true);
    sub.close();
    await sub.done;
  });

  it('close() ends it, and next() works again afterwards; only one reader at a time', async () => {
    const { producer, consumer } = await pair();
    const sub = consumer.subscribe(() => {});
    await assert.rejects(consumer.next(), { code: 'ERR_BUSY' });
    assert.throws(() => consumer.subscribe(() => {}), { code: 'ERR_BUSY' });
    await new Promise((r) => setTimeout(r, 10));
    sub.close();
    await sub.done;
    assert.deepEqual(await exchange(producer, consumer, 3), [1, 2, 3]);
  });

  it('an abort signal ends it, and so does closing the consumer', async () => {
    const { consumer } = await pair();
    const controller = new AbortController();
    const sub = consumer.subscribe(() => {}, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await sub.done;
    const again = consumer.subscribe(() => {});
    await new Promise((r) => setTimeout(r, 10));
    consumer.close();
    await again.done;
  });

  it("rejects done with the callback's error, and with ERR_PRODUCER_DIED when the producer is killed", async () => {
    const { producer, consumer } = await pair();
    const sub = consumer.subscribe(() => {
      throw new Error('boom');
    });
    producer.write(new Uint8Array(32 * 16));
    await assert.rejects(sub.done, /boom/);
    assert.equal(consumer.stats().holding, 0, 'the frame was released anyway');

    const name = uniqueName('wake');
    const child = spawnChild('producer', name, 0, 20, 32, 16, 'GRAY8', 8, 0);
    children.push(child);
    await child.waitFor('ready');
    const victim = await openConsumer(name, { livenessIntervalMs: 50 });
    consumers.push(victim);
    let frames = 0;
    const dying = victim.subscribe(() => void frames++);
    while (frames < 3) await new Promise((r) => setTimeout(r, 10));
    await child.kill('SIGKILL');
    await assert.rejects(dying.done, { code: 'ERR_PRODUCER_DIED' });
  });

  it('follows a stream across producers when the consumer follows', async () => {
    const name = uniqueName('wake');
    const consumer = await openConsumer(name, { follow: true, livenessIntervalMs: 50 });
    consumers.push(consumer);
    const seen: number[] = [];
    const sub = consumer.subscribe((frame) => void seen.push(frame.data[0]!));
    for (const colour of [10, 20]) {
      const producer = await createProducer(name, { width: 32, height: 16, format: 'GRAY8' });
      producers.push(producer);
      while (!consumer.connected) await new Promise((r) => setTimeout(r, 5));
      producer.write(new Uint8Array(32 * 16).fill(colour));
      while (!seen.includes(colour)) await new Promise((r) => setTimeout(r, 5));
      producer.close();
      while (consumer.connected) await new Promise((r) => setTimeout(r, 5));
    }
    sub.close();
    await sub.done;
    assert.deepEqual(seen, [10, 20]);
  });
});
