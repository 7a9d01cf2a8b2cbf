/** Benchmark consumer on vidbus: bench/consumer-bus.js NAME. Reports one JSON line at the stream's end. */
import { openConsumer } from '../src/index.js';

const consumer = await openConsumer(process.argv[2]!, { policy: 'latest' });
const latencies: number[] = [];
let cpuStart: NodeJS.CpuUsage | undefined;
let first = 0n;
let last = 0n;
for await (const frame of consumer) {
  const now = process.hrtime.bigint();
  if (cpuStart === undefined) {
    cpuStart = process.cpuUsage();
    first = now;
  }
  last = now;
  latencies.push(Number(now - frame.publishTimestamp) / 1000);
}
const cpu = process.cpuUsage(cpuStart);
process.stdout.write(`${JSON.stringify({ received: latencies.length, seconds: Number(last - first) / 1e9, cpuMs: (cpu.user + cpu.system) / 1000, latencies })}\n`);
