/**
 * The smallest consumer: read frames in place and print stats each second.
 *   node dist/examples/consumer.js [stream] [--json]
 */
import { openConsumer } from '../src/index.js';

const name = process.argv[2] ?? 'demo';
const json = process.argv.includes('--json');
const consumer = await openConsumer(name, { policy: 'latest', follow: true });
process.on('SIGTERM', () => consumer.close());
process.on('SIGINT', () => consumer.close());

let frames = 0;
let checksum = 0;
const timer = setInterval(() => {
  const s = consumer.stats();
  const line = { received: s.received, fps: frames, missed: s.missed, p50Us: Math.round(s.latency.p50Us), p99Us: Math.round(s.latency.p99Us), checksum };
  process.stdout.write(json ? `${JSON.stringify(line)}\n` : `received ${line.received}  fps ${line.fps}  missed ${line.missed}  latency p50 ${line.p50Us} µs  p99 ${line.p99Us} µs\n`);
  frames = 0;
}, 1000);

for await (const frame of consumer) {
  // Zero-copy: look at a pixel in shared memory.
  checksum = (checksum + frame.data[0]!) & 0xffff;
  frames++;
}
clearInterval(timer);
