/**
 * The Node wake floor: a consumer process that does nothing but sleep on a
 * futex word through vidbus's native waiter thread and note when its event
 * loop runs the callback. No bus logic: the least any Node consumer woken by
 * a futex can pay. bench/consumer-waiter.js PATH
 */
import { openSync } from 'node:fs';
import { Mapping, Waiter, WAIT_WOKEN } from '../src/native/shm.js';

const fd = openSync(process.argv[2]!, 'r');
const mapping = new Mapping(fd, 4096, false);
const i32 = new Int32Array(mapping.buffer);
const i64 = new BigInt64Array(mapping.buffer);
const waiter = new Waiter(mapping.buffer, 0);
const latencies: number[] = [];
let cpuStart: NodeJS.CpuUsage | undefined;
let first = 0n;
let last = 0n;
let seen = Atomics.load(i32, 0);
// Word 1 = 1 when the producer is done; i64[1] = stamp of the last publish.
while (Atomics.load(i32, 1) === 0) {
  const result = await waiter.wait(seen, 250);
  const now = process.hrtime.bigint();
  const current = Atomics.load(i32, 0);
  if (result === WAIT_WOKEN && current !== seen) {
    if (cpuStart === undefined) {
      cpuStart = process.cpuUsage();
      first = now;
    }
    last = now;
    latencies.push(Number(now - Atomics.load(i64, 1)) / 1000);
  }
  seen = current;
}
waiter.close();
const cpu = process.cpuUsage(cpuStart);
process.stdout.write(`${JSON.stringify({ received: latencies.length, seconds: Number(last - first) / 1e9, cpuMs: (cpu.user + cpu.system) / 1000, latencies })}\n`);
