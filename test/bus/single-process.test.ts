/** Producer and consumer in one process: the API contract, policies, holds, errors. */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { createProducer, listStreams, openConsumer, isVidbusError, type Producer, type Consumer } from '../../src/index.js';
import { shmEntries, uniqueName } from '../helpers.js';

const open: (Producer | Consumer)[] = [];
function track<T extends Producer | Consumer>(x: T): T {
  open.push(x);
  return x;
}
afterEach(() => {
  for (const x of open.splice(0)) x.close();
  assert.deepEqual(shmEntries(`t-sp-`), [], 'test left streams in /dev/shm');
});

async function pair(opts: { slots?: number; policy?: 'latest' | 'every'; holdLifespanMs?: number } = {}) {
  const name = uniqueName('sp');
  const producer = track(
    await createProducer(name, { width: 32, height: 16, format: 'RGBA', slots: opts.slots ?? 4, holdLifespanMs: opts.holdLifespanMs ?? 2000 }),
  );
  const consumer = track(await openConsumer(name, { policy: opts.policy ?? 'every' }));
  return { name, producer, consumer };
}

function publishValue(producer: Producer, value: number): number | null {
  const frame = producer.loan();
  if (!frame) return null;
  frame.data.fill(value);
  return producer.publish(frame);
}

describe('producer and consumer in one process', () => {
  it('delivers frames in place with metadata', async () => {
    const { producer, consumer } = await pair();
    const frame = producer.loan()!;
    assert.equal(frame.data.length, 32 * 16 * 4);
    frame.data.fill(7);
    const seq = producer.publish(frame, { timestamp: 123456789n, meta: new Uint8Array([1, 2, 3]) });
    assert.equal(seq, 1);
    const got = (await consumer.next({ timeoutMs: 1000 }))!;
    assert.equal(got.seq, 1);
    assert.equal(got.size, 32 * 16 * 4);
    assert.equal(got.format, 'RGBA');
    assert.deepEqual([got.width, got.height, got.strides[0]], [32, 16, 128]);
    assert.equal(got.timestamp, 123456789n);
    assert.ok(got.publishTimestamp > 0n && got.wallClock > 1_600_000_000_000_000_000n);
    assert.deepEqual([...got.meta], [1, 2, 3]);
    assert.ok(got.data.every((b) => b === 7));
    assert.equal(got.keyframe, true);
    assert.equal(got.release(), true);
    assert.equal(got.release(), false, 'second release reports nothing to release');
  });

  it("'every' hands frames in order; 'latest' hands the newest", async () => {
    const { name, producer, consumer } = await pair({ slots: 8 });
    const latest = track(await openConsumer(name, { policy: 'latest' }));
    for (let i = 1; i <= 5; i++) publishValue(producer, i);
    const seen: number[] = [];
    for (let f = consumer.tryReceive(); f; f = consumer.tryReceive()) {
      seen.push(f.seq);
      assert.equal(f.data[0], f.seq);
      f.release();
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    for (let i = 6; i <= 9; i++) publishValue(producer, i);
    // A consumer that attaches late starts with the newest frame present.
    const late = track(await openConsumer(name, { policy: 'every' }));
    assert.equal(late.tryReceive()!.seq, 9);
    for (let f = consumer.tryReceive(); f; f = consumer.tryReceive()) f.release();
    const newest = latest.tryReceive()!;
    assert.equal(newest.seq, 9);
    newest.release();
    assert.equal(latest.tryReceive(), null, 'nothing newer');
  });

  it("'every' counts the frames it could not keep up with", async () => {
    const { producer, consumer } = await pair({ slots: 4 });
    publishValue(producer, 1);
    consumer.tryReceive()!.release();
    for (let i = 2; i <= 11; i++) publishValue(producer, i);
    const got = consumer.tryReceive()!;
    // Slots hold seqs 8..11 (3 besides the latest got reused); 2..7 were overwritten.
    assert.equal(got.seq, 8);
    got.release();
    assert.equal(consumer.stats().missed, 6);
  });

  it('never overwrites a held frame, and drops when every slot is held', async () => {
    const { producer, consumer } = await pair({ slots: 3 });
    publishValue(producer, 1);
    const a = consumer.tryReceive()!;
    publishValue(producer, 2);
    const b = consumer.tryReceive()!;
    // Slot of seq 2 is the latest, slot of seq 1 is held: one slot left.
    assert.notEqual(publishValue(producer, 3), null);
    const c = consumer.tryReceive()!;
    assert.equal(publishValue(producer, 4), null, 'no free slot: dropped');
    assert.equal(producer.stats().dropped, 1);
    assert.ok(a.data.every((x) => x === 1) && b.data.every((x) => x === 2) && c.data.every((x) => x === 3));
    a.release();
    assert.notEqual(publishValue(producer, 5), null);
    b.release();
    c.release();
  });

  it('takes back a hold past its lifespan and tells the consumer; renew() extends it', async () => {
    const { producer, consumer } = await pair({ slots: 2, holdLifespanMs: 40 });
    publishValue(producer, 1);
    const held = consumer.tryReceive()!;
    const renewed = held.renew();
    assert.equal(renewed, true);
    publishValue(producer, 2); // latest slot now; the other is held
    assert.equal(publishValue(producer, 3), null, 'held and young: dropped');
    await new Promise((r) => setTimeout(r, 80));
    assert.notEqual(publishValue(producer, 4), null, 'expired hold taken back');
    assert.equal(held.valid, false);
    assert.equal(held.release(), false, 'release reports the frame was taken back');
    assert.equal(consumer.stats().expired, 1);
  });

  it('write() copies, checks sizes, and encoded streams carry sizes and keyframes', async () => {
    const name = uniqueName('sp');
    const producer = track(await createProducer(name, { width: 64, height: 64, format: 'H264', maxFrameBytes: 1000 }));
    const consumer = track(await openConsumer(name, { policy: 'every' }));
    assert.equal(producer.write(new Uint8Array([0, 0, 0, 1, 0x65]), { keyframe: true }), 1);
    const f1 = (await consumer.next({ timeoutMs: 1000 }))!;
    assert.deepEqual([...f1.data], [0, 0, 0, 1, 0x65]);
    assert.equal(f1.keyframe, true);
    f1.release();
    producer.write(new Uint8Array(10));
    const f2 = (await consumer.next({ timeoutMs: 1000 }))!;
    assert.equal(f2.size, 10);
    assert.equal(f2.keyframe, false);
    f2.release();
    assert.throws(() => producer.write(new Uint8Array(1001)), { code: 'ERR_FRAME_SIZE' });
    const raw = track(await createProducer(uniqueName('sp'), { width: 4, height: 4, format: 'GRAY8' }));
    assert.throws(() => raw.write(new Uint8Array(15)), { code: 'ERR_FRAME_SIZE', message: /16 bytes/ });
  });

  it('gives plane views for planar formats', async () => {
    const name = uniqueName('sp');
    const producer = track(await createProducer(name, { width: 4, height: 2, format: 'I420' }));
    const consumer = track(await openConsumer(name));
    const frame = producer.loan()!;
    const [y, u, v] = frame.planes;
    y!.fill(16);
    u!.fill(128);
    v!.fill(240);
    producer.publish(frame);
    const got = (await consumer.next({ timeoutMs: 1000 }))!;
    assert.deepEqual(
      got.planes.map((p) => [p.length, p[0]]),
      [
        [8, 16],
        [2, 128],
        [2, 240],
      ],
    );
    got.release();
  });

  it('next() waits, times out with null, and aborts with a typed error', async () => {
    const { producer, consumer } = await pair();
    const t0 = Date.now();
    assert.equal(await consumer.next({ timeoutMs: 50 }), null);
    assert.ok(Date.now() - t0 >= 45);
    setTimeout(() => publishValue(producer, 9), 30);
    const f = (await consumer.next({ timeoutMs: 5000 }))!;
    assert.equal(f.data[0], 9);
    f.release();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(consumer.next({ signal: ac.signal }), (e: unknown) => isVidbusError(e, 'ERR_ABORTED') && e.canceled);
    await assert.rejects(Promise.all([consumer.next({ timeoutMs: 20 }), consumer.next({ timeoutMs: 20 })]), { code: 'ERR_BUSY' });
  });

  it('ends cleanly when the producer closes, after the frames already published', async () => {
    const { producer, consumer } = await pair({ slots: 8 });
    const lost: unknown[] = [];
    consumer.on('producer-lost', (e) => lost.push(e));
    publishValue(producer, 1);
    (await consumer.next())!.release();
    publishValue(producer, 2);
    publishValue(producer, 3);
    producer.close();
    const seqs: number[] = [];
    for await (const f of consumer) seqs.push(f.seq);
    assert.deepEqual(seqs, [2, 3]);
    assert.deepEqual(lost, [{ reason: 'closed' }]);
    await assert.rejects(consumer.next(), { code: 'ERR_STREAM_ENDED' });
  });

  it('one live producer per name; close is idempotent; use after close throws', async () => {
    const name = uniqueName('sp');
    const producer = track(await createProducer(name, { width: 2, height: 2, format: 'GRAY8' }));
    await assert.rejects(createProducer(name, { width: 2, height: 2, format: 'GRAY8' }), { code: 'ERR_STREAM_EXISTS' });
    producer.close();
    producer.close();
    assert.throws(() => producer.loan(), { code: 'ERR_CLOSED' });
    assert.equal(existsSync(`/dev/shm/vidbus-${name}`), false);
    const again = track(await createProducer(name, { width: 2, height: 2, format: 'GRAY8' }));
    again.close();
  });

  it('supports `using` for producers, consumers and frames', async () => {
    const name = uniqueName('sp');
    {
      using producer = await createProducer(name, { width: 2, height: 2, format: 'GRAY8' });
      using consumer = await openConsumer(name);
      producer.write(new Uint8Array([1, 2, 3, 4]));
      {
        using frame = (await consumer.next({ timeoutMs: 1000 }))!;
        assert.equal(frame.data[3], 4);
        assert.equal(consumer.stats().holding, 1);
      }
      assert.equal(consumer.stats().holding, 0);
    }
    assert.deepEqual(shmEntries(`t-sp-`), []);
  });

  it('rejects bad options and names with clear messages', async () => {
    await assert.rejects(createProducer('ok', { width: 641, height: 480, format: 'I420' }), { code: 'ERR_INVALID_OPTION', message: /even width/ });
    await assert.rejects(createProducer('ok', { width: 64, height: 48, format: 'RGBA', slots: 0 }), { code: 'ERR_INVALID_OPTION', message: /slots/ });
    await assert.rejects(createProducer('ok', { width: 64, height: 48, format: 'RGBX' as never }), { code: 'ERR_INVALID_OPTION', message: /format/ });
    await assert.rejects(createProducer('ok', { width: 64, height: 48, format: 'RGBA', slot: 4 } as never), {
      message: 'Misspelled option "slot" for createProducer: did you mean "slots"?',
    });
    await assert.rejects(createProducer('bad/name', { width: 2, height: 2, format: 'GRAY8' }), { code: 'ERR_INVALID_NAME' });
    await assert.rejects(openConsumer('no-such-stream-here'), { code: 'ERR_STREAM_NOT_FOUND', message: /follow/ });
    await assert.rejects(openConsumer('x', { polcy: 'every' } as never), { message: /did you mean "policy"/ });
  });

  it('creates owner-only files by default and honours mode', async () => {
    const name = uniqueName('sp');
    const producer = track(await createProducer(name, { width: 2, height: 2, format: 'GRAY8', mode: 0o640 }));
    assert.equal(statSync(`/dev/shm/vidbus-${name}`).mode & 0o777, 0o640);
    assert.equal(statSync(`/dev/shm/vidbus-${name}.ctl`).mode & 0o777, 0o660);
    producer.close();
    const private_ = track(await createProducer(name, { width: 2, height: 2, format: 'GRAY8' }));
    assert.equal(statSync(`/dev/shm/vidbus-${name}`).mode & 0o777, 0o600);
    private_.close();
  });

  it('lists live streams with their consumers', async () => {
    const { name, producer } = await pair();
    publishValue(producer, 1);
    const info = listStreams().find((s) => s.name === name)!;
    assert.equal(info.status, 'live');
    assert.equal(info.description!.layout.format, 'RGBA');
    assert.equal(info.description!.producerPid, process.pid);
    assert.equal(info.published, 1);
    assert.equal(info.consumers.length, 1);
    assert.equal(info.consumers[0]!.policy, 'every');
    assert.equal(producer.stats().consumers, 1);
  });

  it('refuses a ninth consumer on a stream made for eight', async () => {
    const name = uniqueName('sp');
    track(await createProducer(name, { width: 2, height: 2, format: 'GRAY8', maxConsumers: 8 }));
    for (let i = 0; i < 8; i++) track(await openConsumer(name));
    await assert.rejects(openConsumer(name), { code: 'ERR_TOO_MANY_CONSUMERS' });
  });
});
