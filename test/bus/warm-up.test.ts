/**
 * The warm-up (src/bus/warm-up.ts): it must leave nothing behind, run once
 * per process, not touch a real consumer's counts, and actually get V8 to
 * optimise the per-frame paths of consumers and producers (checked with
 * V8's own status bits in a child started with --allow-natives-syntax),
 * started by createProducer() as well as by openConsumer().
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProducer, openConsumer } from '../../src/index.js';
import { warmUp } from '../../src/bus/warm-up.js';
import { uniqueName } from '../helpers.js';

const openFds = () => readdirSync('/proc/self/fd').length;
const warmUpFiles = () => readdirSync('/dev/shm').filter((f) => f.includes('warm-up'));

describe('the warm-up', () => {
  it('leaves no file, descriptor or timer behind, and runs once per process', async () => {
    const fds = openFds();
    const started = performance.now();
    await warmUp();
    const took = performance.now() - started;
    assert.deepEqual(warmUpFiles(), [], 'nothing in /dev/shm');
    assert.equal(openFds(), fds, 'every descriptor it opened is closed');
    const again = performance.now();
    await warmUp();
    assert.ok(performance.now() - again < Math.max(5, took / 10), 'the second call waits for the first and does not run again');
  });

  it('does not count in a real consumer: stats are its own frames', async () => {
    const name = uniqueName('warm');
    const producer = await createProducer(name, { width: 16, height: 8, format: 'GRAY8', slots: 4 });
    const consumer = await openConsumer(name, { policy: 'every' });
    try {
      for (let i = 0; i < 3; i++) producer.write(new Uint8Array(128).fill(i));
      for (let i = 0; i < 3; i++) {
        const frame = await consumer.next({ timeoutMs: 2000 });
        assert.ok(frame);
        assert.equal(frame.data[0], i);
        frame.release();
      }
      const stats = consumer.stats();
      assert.equal(stats.received, 3);
      assert.equal(stats.missed, 0);
      assert.equal(stats.holding, 0);
    } finally {
      consumer.close();
      producer.close();
    }
  });

  // loan() and write() are thin: inside the warm-up V8 inlines them into the
  // optimised code that calls them, so they themselves stop at baseline
  // (Sparkplug) code; what they run (pickSlot, publishSized) is optimised.
  it('gets V8 to optimise the per-frame paths (take, pumpFor, next; publish and what loan and write run) before any real frame', () => {
    const out = inChild(`import { warmUp } from '${src('warm-up.js')}';
import { Consumer } from '${src('consumer.js')}';
import { Producer } from '${src('producer.js')}';
await warmUp();
await settle();
const status = {};
for (const name of ['take', 'pumpFor', 'next']) status[name] = optimised(Consumer.prototype[name]);
for (const name of ['publish', 'publishSized', 'pickSlot']) status[name] = optimised(Producer.prototype[name]);
for (const name of ['loan', 'write']) status[name] = compiled(Producer.prototype[name]);
console.log(JSON.stringify(status));
`);
    assert.deepEqual(out, { take: true, pumpFor: true, next: true, publish: true, publishSized: true, pickSlot: true, loan: true, write: true }, 'V8 status bit 4 (optimised), or for loan and write bit 4 or 15 (baseline)');
  });

  it('keeps that code through full GCs, when the warm-up\'s own objects are garbage (V8 drops code whose maps died)', () => {
    const out = inChild(
      `import { warmUp } from '${src('warm-up.js')}';
import { Consumer } from '${src('consumer.js')}';
import { Producer } from '${src('producer.js')}';
await warmUp();
await settle();
// A consumer or producer created later, and every frame released: no
// object of the warm-up's but what it keeps on purpose is alive. (Not
// Frame.release: V8 may inline it into its callers before giving it code
// of its own, as with loan() and write().)
for (let i = 0; i < 3; i++) globalThis.gc();
await new Promise((r) => setTimeout(r, 50));
globalThis.gc();
const status = {};
for (const name of ['take', 'pumpFor', 'next']) status[name] = optimised(Consumer.prototype[name]);
for (const name of ['publish', 'publishSized', 'pickSlot']) status[name] = optimised(Producer.prototype[name]);
console.log(JSON.stringify(status));
`,
      ['--expose-gc'],
    );
    assert.deepEqual(out, { take: true, pumpFor: true, next: true, publish: true, publishSized: true, pickSlot: true });
  });

  it('is started by createProducer(): a producer-only process gets its publish path optimised', () => {
    const out = inChild(`import { createProducer } from '${src('producer.js')}';
import { Producer } from '${src('producer.js')}';
const producer = await createProducer('${uniqueName('warm-producer')}', { width: 16, height: 8, format: 'GRAY8' });
try {
  // No warmUp() call: createProducer() must have started it.
  for (let i = 0; i < 100 && !optimised(Producer.prototype.publish); i++) await new Promise((r) => setTimeout(r, 30));
  await settle();
  console.log(JSON.stringify({ loan: compiled(Producer.prototype.loan), publish: optimised(Producer.prototype.publish), pickSlot: optimised(Producer.prototype.pickSlot) }));
} finally {
  producer.close();
}
`);
    assert.deepEqual(out, { loan: true, publish: true, pickSlot: true });
  });
});

const src = (file: string) => pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'bus', file)).href;

/**
 * Runs an ES module in a Node with --allow-natives-syntax and parses the
 * JSON line it prints. Its `optimised(f)`: V8's status bit 4 (Maglev or
 * TurboFan code); `compiled(f)`: that or bit 15 (Sparkplug baseline code),
 * i.e. no longer interpreted; `await settle()`: background compilations done
 * and their code installed.
 */
function inChild(body: string, flags: string[] = []): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'vidbus-warm-'));
  try {
    const script = join(dir, 'status.mjs');
    writeFileSync(script, `const optimised = (f) => (%GetOptimizationStatus(f) & 16) !== 0;
const compiled = (f) => (%GetOptimizationStatus(f) & (16 | 32768)) !== 0;
// Compilations still running finish, and the event loop turns so that V8
// installs their code (under load a finished one was not installed yet).
const settle = async () => {
  %WaitForBackgroundOptimization();
  await new Promise((r) => setTimeout(r, 100));
};
${body}`);
    return JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', ...flags, script], { encoding: 'utf8', timeout: 60_000 }).trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
