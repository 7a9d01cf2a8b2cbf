/**
 * Benchmark consumer on vidbus: bench/consumer-bus.js NAME [--wakeup auto|futex|poll] [--api iterator|subscribe].
 * Notes publish -> "the application has the frame" for each frame, and
 * reports one JSON line at the stream's end.
 */
import { isVidbusError, openConsumer, type Consumer, type Frame, type Wakeup } from '../src/index.js';
import { option } from './args.js';

const wakeup = option('--wakeup', 'auto') as Wakeup;
const api = option('--api', 'iterator');

// The producer may still be creating the stream: retry for a while.
let consumer: Consumer | undefined;
for (let attempt = 0; consumer === undefined; attempt++) {
  try {
    consumer = await openConsumer(process.argv[2]!, { policy: 'latest', wakeup });
  } catch (e) {
    if (!isVidbusError(e) || e.code !== 'ERR_STREAM_NOT_FOUND' || attempt > 500) throw e;
    await new Promise((r) => setTimeout(r, 10));
  }
}
// Preallocated, so that the benchmark's own bookkeeping allocates nothing per frame.
const latencies = new Float64Array(1 << 20);
let received = 0;
let cpuStart: NodeJS.CpuUsage | undefined;
let first = 0n;
let last = 0n;
function note(frame: Frame): void {
  const now = process.hrtime.bigint();
  if (cpuStart === undefined) {
    cpuStart = process.cpuUsage();
    first = now;
  }
  last = now;
  if (received < latencies.length) latencies[received++] = Number(now - frame.publishTimestamp) / 1000;
}
if (api === 'subscribe') await consumer.subscribe(note).done;
else for await (const frame of consumer) note(frame);
const cpu = process.cpuUsage(cpuStart);
const lowLatency = consumer.stats().lowLatency;
process.stdout.write(
  `${JSON.stringify({ received, lowLatency, seconds: Number(last - first) / 1e9, cpuMs: (cpu.user + cpu.system) / 1000, latencies: Array.from(latencies.subarray(0, received)) })}\n`,
);
