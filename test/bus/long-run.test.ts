/** 100k frames with flat memory. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fixture, shmEntries, uniqueName } from '../helpers.js';

describe('long run', () => {
  it('moves 200,000 frames, the last 100,000 with flat memory, and no leaks', { timeout: 300000 }, async () => {
    const name = uniqueName('lr');
    const child = spawn(process.execPath, ['--expose-gc', fixture('long-run'), name, '200000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const messages: Record<string, number>[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => messages.push(JSON.parse(l) as Record<string, number>));
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0);
    const memory = messages.filter((m) => (m.type as unknown) === 'memory');
    const early = memory.find((m) => m.at === 100000)!;
    const late = memory.find((m) => m.at === 200000)!;
    const done = messages.find((m) => (m.type as unknown) === 'done')!;
    assert.equal(done.received, 200000);
    assert.equal(done.bad, 0);
    const growth = (k: string) => late[k]! - early[k]!;
    // From 100k to 200k frames (after warm-up: V8 grows its young
    // generation during the first ~100k), nothing may grow. Native memory
    // is what the process holds outside V8's heap.
    assert.ok(growth('heapUsed') < 1024 * 1024, `heap grew ${growth('heapUsed')} bytes over 100k frames`);
    assert.ok(growth('external') < 256 * 1024, `external memory grew ${growth('external')} bytes`);
    // RSS swings by about +-12 MB between samples on this VM (malloc and
    // page reclaim), so it only catches native leaks of 240+ bytes a frame.
    const native = growth('rss') - growth('heapTotal');
    assert.ok(native < 24 * 1024 * 1024, `native memory grew ${native} bytes over 100k frames`);
    assert.deepEqual(shmEntries('t-lr-'), []);
  });
});
