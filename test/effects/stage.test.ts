/**
 * The effect stage between two real bus streams: a producer process
 * publishing a photograph of a person, the stage in this process, and
 * consumers reading the composited stream; frame counts, latency, and
 * idling while nobody reads the output.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEffectStage } from '../../src/effects/effect-stage.js';
import { openConsumer, convertFrame, frameLayout } from '../../src/index.js';
import { spawnChild, uniqueName } from '../helpers.js';

const PERSON = fileURLToPath(new URL('../../../test/fixtures/downloaded/astronaut.png', import.meta.url));
const skip = existsSync(PERSON) ? false : 'the person photo is missing (scripts/setup.sh fetches it from python3-skimage)';

describe('the effect stage between bus streams', { skip }, () => {
  it('idles without readers, then publishes composited frames in the input format', { timeout: 120000 }, async () => {
    const input = uniqueName('fx-in');
    const output = uniqueName('fx-out');
    const producer = spawnChild('picture-producer', input, PERSON, 'NV12', 30);
    await producer.waitFor('ready', 60000);
    const stage = await createEffectStage({ input, output, effect: { color: '#00ff00' } });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(stage.stats().processed, 0, 'no frames processed while nobody reads');
      assert.equal(stage.stats().idle, true);
      const consumer = await openConsumer(output, { policy: 'every' });
      let frames = 0;
      let lastTs = 0n;
      let rgba: Uint8Array | undefined;
      const latencies: number[] = [];
      for await (const frame of consumer) {
        assert.equal(frame.format, 'NV12');
        assert.deepEqual([frame.width, frame.height], [512, 512]);
        assert.ok(frame.timestamp > lastTs, 'capture timestamps carried over and increasing');
        lastTs = frame.timestamp;
        latencies.push(Number(frame.publishTimestamp - frame.timestamp) / 1e6);
        if (++frames === 20) {
          rgba = new Uint8Array(512 * 512 * 4);
          convertFrame(frame.data, frame.layout, rgba, frameLayout('RGBA', 512, 512));
          break;
        }
      }
      consumer.close();
      const at = (x: number, y: number) => [...rgba!.subarray((y * 512 + x) * 4, (y * 512 + x) * 4 + 3)];
      const wall = at(335, 50);
      assert.ok(wall[0]! < 40 && wall[1]! > 200 && wall[2]! < 40, `the wall turned green: ${wall}`);
      const face = at(225, 120);
      assert.ok(face[0]! > 150 && face[1]! < 200, `the face keeps its skin tone: ${face}`);
      latencies.sort((a, b) => a - b);
      assert.ok(latencies[10]! < 500, `capture to composited p50 ${latencies[10]} ms`);
      assert.ok(stage.stats().processed >= 20);
      const t = stage.stats().timings;
      assert.ok(t.inference > 0 && t.total > 0 && t.composite > 0, JSON.stringify(t));
    } finally {
      await stage.close();
      await producer.kill('SIGTERM'); // a clean exit removes its stream (kill -9 would leave it for a reader to reclaim)
    }
  });

  it('refuses a missing input, two effects at once, and a bad colour', async () => {
    await assert.rejects(createEffectStage({ input: uniqueName('nope'), output: uniqueName('o'), effect: { blur: 5 } }), { code: 'ERR_STREAM_NOT_FOUND' });
    await assert.rejects(createEffectStage({ input: 'a', output: 'b', effect: { blur: 5, color: '#000000' } }), { code: 'ERR_INVALID_OPTION', message: /exactly one effect/ });
    await assert.rejects(createEffectStage({ input: 'a', output: 'b', effect: { color: 'green' } }), { code: 'ERR_INVALID_OPTION' });
    await assert.rejects(createEffectStage({ input: 'a', output: 'b', effect: { background: '/nonexistent.png' } }), { code: 'ERR_INVALID_OPTION', message: /does not exist/ });
  });
});
