/**
 * The TypeScript side of the cross-language conformance suite: the same
 * command-line contract as python/tests/peer.py and libvidbus's
 * vidbus-produce -T / vidbus-consume -j.
 *
 *   ts-peer.js produce NAME FORMAT WxH COUNT FPS SLOTS [WAIT]   (WAIT: consumers to wait for, up to 10 s)
 *   ts-peer.js consume NAME POLICY COUNT TIMEOUT_MS [follow] [stats]   (stats: no per-frame lines)
 */
import { createProducer, openConsumer, isVidbusError, type PixelFormat } from '../../src/index.js';
import { fnv1a, patternByte } from './pattern.js';

const [role, name, ...args] = process.argv.slice(2);
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function produce(): Promise<void> {
  const [format, size, count, fps, slots, waitFor] = args as [string, string, string, string, string, string | undefined];
  const [width, height] = size.split('x').map(Number) as [number, number];
  using producer = await createProducer(name!, { width, height, format: format as PixelFormat, fps: Number(fps), slots: Number(slots) });
  say({ type: 'ready', pid: process.pid });
  const giveUp = Date.now() + 10000;
  while (producer.stats().consumers < Number(waitFor ?? 0) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 5));
  const period = Number(fps) > 0 ? 1000 / Number(fps) : 0;
  let next = performance.now();
  for (let n = 0; n < Number(count); n++) {
    const frame = producer.loan();
    if (frame) {
      const data = frame.data;
      for (let i = 0; i < producer.layout.frameBytes; i++) data[i] = patternByte(n, i);
      const meta = new Uint8Array(8);
      new DataView(meta.buffer).setBigUint64(0, BigInt(n + 1), true);
      producer.publish(frame, { timestamp: BigInt(n) * 1_000_000n + 42n, wallClock: 10n ** 18n + BigInt(n), keyframe: true, meta });
    }
    if (period) {
      next += period;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  }
  say({ type: 'summary', ...producer.stats() });
}

async function consume(): Promise<void> {
  const [policy, count, timeoutMs, ...flags] = args as [string, string, string, ...string[]];
  const statsOnly = flags.includes('stats');
  const consumer = await openConsumer(name!, { policy: policy as 'every', follow: flags.includes('follow') });
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  say({ type: 'ready' });
  let received = 0;
  try {
    while (received < Number(count)) {
      let frame;
      try {
        frame = await consumer.next({ timeoutMs: Number(timeoutMs), signal: stop.signal });
      } catch (e) {
        if (isVidbusError(e) && ['ERR_STREAM_ENDED', 'ERR_PRODUCER_DIED', 'ERR_ABORTED'].includes(e.code)) break;
        throw e;
      }
      if (!frame) break;
      received++;
      if (statsOnly) {
        frame.release();
        continue;
      }
      say({
        type: 'frame',
        seq: frame.seq,
        size: frame.size,
        keyframe: frame.keyframe,
        format: frame.format,
        width: frame.width,
        height: frame.height,
        checksum: fnv1a(frame.data.subarray(0, frame.size)),
        timestamp: String(frame.timestamp),
        wallClock: String(frame.wallClock),
        meta: Buffer.from(frame.meta).toString('hex'),
      });
      frame.release();
    }
    const s = consumer.stats();
    say({ type: 'summary', received: s.received, missed: s.missed, expired: s.expired, p50Us: s.latency.p50Us, p99Us: s.latency.p99Us });
  } finally {
    consumer.close();
  }
}

await (role === 'produce' ? produce() : consume());
