import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../bus/producer.js';
import { sleep } from '../util/clock.js';
import { convertFrame, rgbToYuv } from '../video/convert.js';
import { frameLayout, RAW_FORMATS } from '../video/formats.js';
import { PLACEHOLDER_BACKGROUND } from '../video/placeholder.js';
import { VcamService, type VcamOptions } from './vcam-service.js';
import { MemorySink } from '../sinks/memory-sink.js';
import { registerSink, unregisterSink } from '../sinks/builtin.js';
import { uniqueName } from '../../test/helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/images/', import.meta.url));

/**
 * The service writes into the in-memory sink ('memory' backend); its
 * device side is proven against real v4l2loopback in the VM lab
 * (test/vm/guest). This checks its scheduling and picture logic on any
 * machine. Y, U, V at pixel (x, y) of the last frame written (YUYV):
 */
function yuvAt(sink: MemorySink, x: number, y: number): number[] {
  const f = sink.last;
  const o = y * sink.layout.planes[0]!.stride + (x & ~1) * 2;
  return [f[o + (x & 1) * 2]!, f[o + 1]!, f[o + 3]!];
}

/** Starts the service on the memory sink and hands back both. */
async function startOnMemory(options: VcamOptions): Promise<{ service: VcamService; sink: MemorySink }> {
  const service = await VcamService.start({ ...options, backend: 'memory' });
  return { service, sink: service.sink as MemorySink };
}

const near = (got: number[], want: number[], tol: number, what: string) => got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol, `${what}: got ${got} want ${want}`));

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('VcamService', () => {
  it('shows the card, then live frames on arrival, then the card again when the producer goes', async () => {
    const name = uniqueName('vcam');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'RGBA' });
    const { service, sink } = await startOnMemory({ from: name, width: 96, height: 72, fps: 30, stallMs: 200 });
    const states: string[] = [];
    service.onStateChange = (s) => states.push(s);
    try {
      assert.equal(sink.written, 1, 'a first picture at once');
      near(yuvAt(sink, 1, 1), rgbToYuv(...PLACEHOLDER_BACKGROUND), 1, 'placeholder background');
      const rgba = new Uint8Array(64 * 48 * 4);
      for (let i = 0; i < rgba.length; i += 4) rgba.set([200, 60, 40, 255], i);
      for (let i = 0; i < 10; i++) {
        producer.write(rgba);
        await sleep(40);
      }
      assert.equal(service.stats().state, 'live');
      near(yuvAt(sink, 48, 36), rgbToYuv(200, 60, 40), 1, 'live colour');
      const stats = service.stats();
      assert.ok(stats.liveFrames >= 8, `live frames ${stats.liveFrames}`);
      assert.ok(stats.addedLatency.count >= 8 && stats.addedLatency.p50Us > 0, JSON.stringify(stats.addedLatency));
      producer.close();
      await until(() => service.stats().state === 'placeholder', 'the placeholder after the producer left');
      assert.deepEqual(states, ['live', 'placeholder']);
    } finally {
      producer.close();
      await service.close();
      await service.close();
    }
    assert.equal(sink.closed, 1, 'the sink is closed once');
  });

  it('keeps a steady rate with no producer, and caps a faster producer at the device rate', async () => {
    const name = uniqueName('vcam-rate');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'YUYV' });
    const { service, sink } = await startOnMemory({ from: name, width: 64, height: 48, fps: 20 });
    try {
      await sleep(1000);
      const idle = sink.written;
      assert.ok(idle >= 15 && idle <= 23, `about 20 frames in a second with no producer; got ${idle}`);
      const frame = new Uint8Array(producer.layout.frameBytes).fill(128);
      const start = sink.written;
      const t0 = Date.now();
      while (Date.now() - t0 < 1000) {
        producer.write(frame);
        await sleep(5); // ~150 frames/s offered
      }
      const busy = sink.written - start;
      assert.ok(busy >= 15 && busy <= 27, `at most 1.25x the device rate; got ${busy}`);
    } finally {
      producer.close();
      await service.close();
    }
  });

  it('writes frames already in the camera layout straight from shared memory, and repeats them exactly', async () => {
    const name = uniqueName('vcam-direct');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'YUYV', slots: 2 });
    const { service, sink } = await startOnMemory({ from: name, width: 64, height: 48, fps: 30 });
    try {
      const frame = new Uint8Array(producer.layout.frameBytes);
      for (let i = 0; i < frame.length; i++) frame[i] = (i * 7) & 255;
      for (let n = 0; n < 3; n++) {
        frame[0] = n;
        producer.write(frame);
        await until(() => sink.last[0] === n && service.stats().state === 'live', `frame ${n}`);
        assert.deepEqual(sink.last, frame, 'the bytes as published');
        // The producer is slower than the camera: repeats in between still show it, byte for byte,
        // and the service keeps at most one slot (2 slots: the producer is never starved).
        const before = sink.written;
        await until(() => sink.written >= before + 3, 'repeats');
        assert.deepEqual(sink.last, frame, 'the repeat is the same picture');
        assert.equal(producer.stats().dropped, 0);
      }
    } finally {
      producer.close();
      await service.close();
    }
  });

  it('decodes MJPEG frames, and survives damaged ones', async () => {
    const name = uniqueName('vcam-mjpeg');
    const jpeg = readFileSync(FIXTURES + 'quadrants-422.jpg');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'MJPEG' });
    const { service, sink } = await startOnMemory({ from: name, width: 64, height: 48, fps: 30 });
    const warnings: string[] = [];
    service.onWarning = (m) => warnings.push(m);
    try {
      producer.write(jpeg);
      await until(() => service.stats().liveFrames >= 1, 'a decoded frame');
      near(yuvAt(sink, 48, 12), rgbToYuv(0, 255, 0), 12, 'top right is green');
      near(yuvAt(sink, 16, 36), rgbToYuv(0, 0, 255), 12, 'bottom left is blue');
      producer.write(Buffer.from('this is not a JPEG frame at all'));
      await until(() => service.stats().badFrames === 1, 'the bad frame counted');
      assert.match(warnings.join('\n'), /not shown/);
      producer.write(jpeg);
      await until(() => service.stats().liveFrames >= 2, 'frames again after the bad one');
    } finally {
      producer.close();
      await service.close();
    }
  });

  it('shows a placeholder picture, and refuses a damaged one before opening anything', async () => {
    const name = uniqueName('vcam-picture');
    const producer = await createProducer(name, { width: 32, height: 24, format: 'RGBA' });
    let sink!: MemorySink;
    let opened = 0;
    // A backend that counts how often it is opened.
    registerSink({ name: 'counted-memory', summary: 'counts opens', formats: RAW_FORMATS, open: (o) => (opened++, (sink = new MemorySink(o))) });
    try {
      const service = await VcamService.start({ from: name, width: 64, height: 48, placeholder: FIXTURES + 'quadrants-alpha.png', backend: 'counted-memory' });
      near(yuvAt(sink, 24, 12), rgbToYuv(255, 0, 0), 2, 'red quadrant');
      near(yuvAt(sink, 48, 36), rgbToYuv(255, 255, 255), 2, 'white quadrant');
      near(yuvAt(sink, 2, 12), rgbToYuv(...PLACEHOLDER_BACKGROUND), 2, 'transparent pixels show the background');
      await service.close();
      await assert.rejects(VcamService.start({ from: name, placeholder: FIXTURES + 'make.sh', backend: 'counted-memory' }), { code: 'ERR_BAD_IMAGE' });
      await assert.rejects(VcamService.start({ from: name, placeholder: FIXTURES + 'missing.png', backend: 'counted-memory' }), { code: 'ERR_INVALID_OPTION' });
      assert.equal(opened, 1, 'no sink opened for a bad picture');
    } finally {
      unregisterSink('counted-memory');
      producer.close();
    }
  });

  it('converts every raw producer format', async () => {
    for (const format of ['NV12', 'I420', 'UYVY', 'BGR24', 'GRAY8'] as const) {
      const name = uniqueName('vcam-fmt');
      const producer = await createProducer(name, { width: 40, height: 30, format });
      const { service, sink } = await startOnMemory({ from: name, width: 80, height: 60 });
      try {
        const rgba = new Uint8Array(40 * 30 * 4);
        for (let i = 0; i < rgba.length; i += 4) rgba.set([90, 180, 90, 255], i);
        const frame = new Uint8Array(producer.layout.frameBytes);
        convertFrame(rgba, frameLayout('RGBA', 40, 30), frame, producer.layout);
        producer.write(frame);
        await until(() => service.stats().liveFrames >= 1, `a ${format} frame`);
        const want = format === 'GRAY8' ? rgbToYuv(145, 145, 145) : rgbToYuv(90, 180, 90);
        near(yuvAt(sink, 40, 30), want, 3, format);
      } finally {
        producer.close();
        await service.close();
      }
    }
  });
});
