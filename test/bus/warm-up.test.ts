/**
 * The consumer warm-up (src/bus/warm-up.ts): it must leave nothing behind,
 * run once per process, not touch a real consumer's counts, and actually
 * get V8 to optimise the per-frame path (checked with V8's own status
 * bits in a child started with --allow-natives-syntax).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProducer, openConsumer } from '../../src/index.js';
import { warmUpConsumers } from '../../src/bus/warm-up.js';
import { uniqueName } from '../helpers.js';

const openFds = () => readdirSync('/proc/self/fd').length;
const warmUpFiles = () => readdirSync('/dev/shm').filter((f) => f.includes('warm-up'));

describe('the consumer warm-up', () => {
  it('leaves no file, descriptor or timer behind, and runs once per process', async () => {
    const fds = openFds();
    const started = performance.now();
    await warmUpConsumers();
    const took = performance.now() - started;
    assert.deepEqual(warmUpFiles(), [], 'nothing in /dev/shm');
    assert.equal(openFds(), fds, 'every descriptor it opened is closed');
    const again = performance.now();
    await warmUpConsumers();
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

  it('gets V8 to optimise the per-frame path (take, pumpFor, next) before any real frame', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-warm-'));
    try {
      const script = join(dir, 'status.mjs');
      const src = (file: string) => pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'bus', file)).href;
      writeFileSync(
        script,
        `import { warmUpConsumers } from '${src('warm-up.js')}';
import { Consumer } from '${src('consumer.js')}';
await warmUpConsumers();
%WaitForBackgroundOptimization();
const status = {};
for (const name of ['take', 'pumpFor', 'next']) status[name] = (%GetOptimizationStatus(Consumer.prototype[name]) & 16) !== 0;
console.log(JSON.stringify(status));
`,
      );
      const out = execFileSync(process.execPath, ['--allow-natives-syntax', script], { encoding: 'utf8', timeout: 60_000 });
      assert.deepEqual(JSON.parse(out.trim()), { take: true, pumpFor: true, next: true }, 'V8 status bit 4 (optimised) on each');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
