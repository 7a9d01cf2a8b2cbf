/**
 * The extension surface: a new source and a new sink are one file each
 * plus a registration, and the command line reaches them by name
 * (`vidbus stream --<flag>`, `vidbus vcam --backend <name>`) with no other
 * change.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../src/cli/main.js';
import { openConsumer } from '../src/bus/consumer.js';
import { listStreams } from '../src/bus/streams.js';
import { registerSource, unregisterSource, sourceKinds } from '../src/sources/builtin.js';
import { registerSink, unregisterSink, sinkBackends } from '../src/sinks/builtin.js';
import { createProducer } from '../src/bus/producer.js';
import { sleep } from '../src/util/clock.js';
import { solidSourceKind } from './fixtures/toy-source.js';
import { CountingSink, countingSinkBackend } from './fixtures/toy-sink.js';
import { uniqueName } from './helpers.js';

/** Runs main() with stderr captured. */
async function run(argv: string[], signal?: AbortSignal): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv, signal ? { signal } : {});
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('extending vidbus', () => {
  it('a registered toy source is reachable as `vidbus stream --solid`', async () => {
    registerSource(solidSourceKind);
    try {
      assert.ok(sourceKinds().some((k) => k.kind === 'solid'));
      const name = uniqueName('toy-src');
      const running = run(['stream', '--solid', '#ff8000', '--name', name, '--size', '16x8', '--frames', '50']);
      const deadline = Date.now() + 5000;
      while (!listStreams().some((s) => s.name === name) && Date.now() < deadline) await sleep(2);
      const c = await openConsumer(name, { policy: 'every' });
      const colours: number[][] = [];
      for await (const frame of c) {
        colours.push([...frame.data.subarray(0, 4)]);
        assert.equal(frame.width, 16);
      }
      const { code, stderr } = await running;
      assert.equal(code, 0, stderr);
      assert.match(stderr, /solid rgb\(255, 128, 0\) -> stream/);
      assert.match(stderr, /50 frames: done/, 'notices reach the command line');
      assert.ok(colours.length >= 1 && colours.length <= 50, `received ${colours.length}`);
      assert.deepEqual(colours.at(-1), [255, 128, 0, 255]);
      // The usage and the errors know the new kind too.
      const bad = await run(['stream', '--solid', 'orange', '--name', name]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /a colour like #ff8800/);
      const two = await run(['stream', '--solid', '#000000', '--pattern', '--name', name]);
      assert.match(two.stderr, /exactly one source: .*--solid <colour>/);
      const misplaced = await run(['stream', '--pattern', '--frames', '3', '--name', name]);
      assert.match(misplaced.stderr, /--frames applies to --solid only/);
    } finally {
      unregisterSource('solid');
    }
  });

  it('a registered toy sink is reachable as `vidbus vcam --backend counting`', async () => {
    registerSink(countingSinkBackend);
    const name = uniqueName('toy-sink');
    const producer = await createProducer(name, { width: 32, height: 24, format: 'RGBA' });
    const stop = new AbortController();
    try {
      assert.ok(sinkBackends().some((b) => b.name === 'counting'));
      const running = run(['vcam', '--from', name, '--backend', 'counting', '--size', '64x48', '--fps', '20', '--format', 'RGBA'], stop.signal);
      const rgba = new Uint8Array(32 * 24 * 4);
      for (let i = 0; i < rgba.length; i += 4) rgba.set([10, 200, 30, 255], i);
      const deadline = Date.now() + 5000;
      while (!(CountingSink.last && CountingSink.last.frames >= 5 && CountingSink.last.firstBytes[1] === 200) && Date.now() < deadline) {
        producer.write(rgba);
        await sleep(20);
      }
      const sink = CountingSink.last!;
      assert.ok(sink.frames >= 5, `frames written ${sink.frames}`);
      assert.equal(sink.layout.format, 'RGBA');
      // 32x24 scales to 64x48 with no bars: the first pixel is the producer's colour.
      assert.deepEqual(sink.firstBytes, [10, 200, 30, 255]);
      stop.abort();
      const { code, stderr } = await running;
      assert.equal(code, 0, stderr);
      assert.match(stderr, /counter "counting sink" \(counting\) 64x48 RGBA/);
      assert.equal(sink.closed, true, 'the service closes its sink');
      const unknown = await run(['vcam', '--from', name, '--backend', 'countign']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /did you mean "counting"/);
    } finally {
      stop.abort();
      producer.close();
      unregisterSink('counting');
    }
  });
});
