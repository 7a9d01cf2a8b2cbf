/**
 * Benchmark consumer on vidbus: bench/consumer-bus.js NAME [--wakeup auto|futex] [--api iterator|subscribe].
 * Notes publish -> "the application has the frame" for each frame, and
 * reports one JSON line at the stream's end.
 */
import { openConsumer, type Frame } from '../src/index.js';

const flag = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const wakeup = flag('--wakeup', 'auto') as 'auto' | 'futex';
const api = flag('--api', 'iterator');

const consumer = await openConsumer(process.argv[2]!, { policy: 'latest', wakeup });
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
process.stdout.write(
  `${JSON.stringify({ received, seconds: Number(last - first) / 1e9, cpuMs: (cpu.user + cpu.system) / 1000, latencies: Array.from(latencies.subarray(0, received)) })}\n`,
);
