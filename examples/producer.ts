/**
 * The smallest producer: a moving test pattern at 30 fps.
 *   node dist/examples/producer.js [stream] [seconds]
 */
import { createProducer } from '../src/index.js';
import { drawPattern } from '../src/video/pattern.js';

const name = process.argv[2] ?? 'demo';
const seconds = Number(process.argv[3] ?? 0);
using producer = await createProducer(name, { width: 640, height: 480, format: 'RGBA', fps: 30 });
const started = Date.now();
for (let n = 0; seconds === 0 || Date.now() - started < seconds * 1000; n++) {
  const frame = producer.loan(); // a slot straight in shared memory
  if (frame) {
    drawPattern(frame.data, producer.layout, n);
    producer.publish(frame);
  }
  await new Promise((r) => setTimeout(r, 1000 / 30));
}
console.log(producer.stats());
