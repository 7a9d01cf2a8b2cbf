/**
 * The smallest producer: moving colour bars at 30 fps, written straight
 * into shared memory.
 *   node dist/examples/producer.js [stream] [seconds]
 */
import { createProducer } from '../src/index.js';

const name = process.argv[2] ?? 'demo';
const seconds = Number(process.argv[3] ?? 0);
const BARS = [
  [255, 255, 255],
  [255, 255, 0],
  [0, 255, 255],
  [0, 255, 0],
  [255, 0, 255],
  [255, 0, 0],
  [0, 0, 255],
  [0, 0, 0],
];
using producer = await createProducer(name, { width: 640, height: 480, format: 'RGBA', fps: 30 });
const { width, height } = producer.layout;
const stride = producer.layout.planes[0]!.stride;
const started = Date.now();
for (let n = 0; seconds === 0 || Date.now() - started < seconds * 1000; n++) {
  const frame = producer.loan(); // a writable slot in shared memory, or null if consumers hold them all
  if (frame) {
    const row = frame.data.subarray(0, width * 4);
    for (let x = 0; x < width; x++) row.set([...BARS[Math.floor((((x + n * 4) % width) * BARS.length) / width)]!, 255], x * 4);
    for (let y = 1; y < height; y++) frame.data.copyWithin(y * stride, 0, width * 4);
    producer.publish(frame);
  }
  await new Promise((r) => setTimeout(r, 1000 / 30));
}
console.log(producer.stats());
