/**
 * Writes the golden pair of segment files (conformance/golden/): a real
 * stream "conformance-golden" made by the TypeScript producer, NV12 16x8,
 * 4 slots, three frames of the conformance pattern with metadata and fixed
 * timestamps, copied out of /dev/shm while its producer lives. Each
 * implementation's tests open a copy of these files (golden.json says what
 * they must find). Run once when the layout changes:
 *   node dist/conformance/make-golden.js
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../src/index.js';
import { patternByte, patternChecksum } from './peers/pattern.js';

const NAME = 'conformance-golden';
const out = fileURLToPath(new URL('../../conformance/golden/', import.meta.url));
const producer = await createProducer(NAME, { width: 16, height: 8, format: 'NV12', fps: { num: 30000, den: 1001 }, slots: 4, maxConsumers: 4, holdLifespanMs: 1500 });
for (let n = 0; n < 3; n++) {
  const frame = producer.loan()!;
  for (let i = 0; i < frame.data.length; i++) frame.data[i] = patternByte(n, i);
  const meta = new Uint8Array(8);
  new DataView(meta.buffer).setBigUint64(0, BigInt(n + 1), true);
  producer.publish(frame, { timestamp: BigInt(n) * 1_000_000n + 42n, wallClock: 10n ** 18n + BigInt(n), meta });
}
copyFileSync(`/dev/shm/vidbus-${NAME}`, `${out}vidbus-${NAME}`);
copyFileSync(`/dev/shm/vidbus-${NAME}.ctl`, `${out}vidbus-${NAME}.ctl`);
const expected = {
  name: NAME,
  format: 'NV12',
  width: 16,
  height: 8,
  strides: [16, 16],
  frameBytes: producer.layout.frameBytes,
  fps: [30000, 1001],
  slots: 4,
  maxConsumers: 4,
  holdLifespanMs: 1500,
  published: 3,
  // A consumer starts at the newest frame already published.
  firstFrame: { seq: 3, size: producer.layout.frameBytes, checksum: patternChecksum(2, producer.layout.frameBytes), timestamp: '2000042', wallClock: '1000000000000000002', meta: '0300000000000000', keyframe: true },
};
writeFileSync(`${out}golden.json`, `${JSON.stringify(expected, null, 2)}\n`);
producer.close();
console.log(`wrote ${out}vidbus-${NAME} and .ctl and golden.json`);
