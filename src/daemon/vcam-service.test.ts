import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../bus/producer.js';
import { sleep } from '../bus/clock.js';
import { convertFrame, rgbToYuv } from '../video/convert.js';
import { frameLayout, type FrameLayout } from '../video/formats.js';
import { PLACEHOLDER_BACKGROUND } from '../video/placeholder.js';
import { VcamService, type FrameSink } from './vcam-service.js';
import { uniqueName } from '../../test/helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/images/', import.meta.url));

/**
 * A sink that keeps what the service writes. The service's device side is
 * proven against real v4l2loopback in the VM lab (test/vm/guest); this
 * checks its scheduling and picture logic on any machine.
 */
class MemorySink implements FrameSink {
  readonly path = 'memory';
  readonly card = 'test sink';
  readonly layout: FrameLayout;
  readonly frameBytes: number;
  frames: Uint8Array[] = [];
  closed = 0;
  constructor(width: number, height: number) {
    this.layout = frameLayout('YUYV', width, height);
    this.frameBytes = this.layout.frameBytes;
  }
  write(frame: Uint8Array): void {
    this.frames.push(Uint8Array.from(frame.subarray(0, this.frameBytes)));
  }
  close(): void {
    this.closed++;
  }
  /** Y, U, V at pixel (x, y) of the last frame written. */
  yuvAt(x: number, y: number): number[] {
    const f = this.frames.at(-1)!;
    const o = y * this.layout.planes[0]!.stride + (x & ~1) * 2;
    return [f[o + (x & 1) * 2]!, f[o + 1]!, f[o + 3]!];
  }
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
    let sink!: MemorySink;
    const service = await VcamService.start({ from: name, width: 96, height: 72, fps: 30, stallMs: 200 }, (o) => (sink = new MemorySink(o.width, o.height)));
    const states: string[] = [];
    service.onStateChange = (s) => states.push(s);
    try {
      assert.equal(sink.frames.length, 1, 'a first picture at once');
      near(sink.yuvAt(1, 1), rgbToYuv(...PLACEHOLDER_BACKGROUND), 1, 'placeholder background');
      const rgba = new Uint8Array(64 * 48 * 4);
      for (let i = 0; i < rgba.length; i += 4) rgba.set([200, 60, 40, 255], i);
      for (let i = 0; i < 10; i++) {
        producer.write(rgba);
        await sleep(40);
      }
      assert.equal(service.stats().state, 'live');
      near(sink.yuvAt(48, 36), rgbToYuv(200, 60, 40), 1, 'live colour');
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
    let sink!: MemorySink;
    const service = await VcamService.start({ from: name, width: 64, height: 48, fps: 20 }, (o) => (sink = new MemorySink(o.width, o.height)));
    try {
      await sleep(1000);
      const idle = sink.frames.length;
      assert.ok(idle >= 15 && idle <= 23, `about 20 frames in a second with no producer; got ${idle}`);
      const frame = new Uint8Array(producer.layout.frameBytes).fill(128);
      const start = sink.frames.length;
      const t0 = Date.now();
      while (Date.now() - t0 < 1000) {
        producer.write(frame);
        await sleep(5); // ~150 frames/s offered
      }
      const busy = sink.frames.length - start;
      assert.ok(busy >= 15 && busy <= 27, `at most 1.25x the device rate; got ${busy}`);
    } finally {
      producer.close();
      await service.close();
    }
  });

  it('decodes MJPEG frames, and survives damaged ones', async () => {
    const name = uniqueName('vcam-mjpeg');
    const jpeg = readFileSync(FIXTURES + 'quadrants-422.jpg');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'MJPEG' });
    let sink!: MemorySink;
    const service = await VcamService.start({ from: name, width: 64, height: 48, fps: 30 }, (o) => (sink = new MemorySink(o.width, o.height)));
    const warnings: string[] = [];
    service.onWarning = (m) => warnings.push(m);
    try {
      producer.write(jpeg);
      await until(() => service.stats().liveFrames >= 1, 'a decoded frame');
      near(sink.yuvAt(48, 12), rgbToYuv(0, 255, 0), 12, 'top right is green');
      near(sink.yuvAt(16, 36), rgbToYuv(0, 0, 255), 12, 'bottom left is blue');
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
    try {
      const service = await VcamService.start({ from: name, width: 64, height: 48, placeholder: FIXTURES + 'quadrants-alpha.png' }, (o) => {
        opened++;
        return (sink = new MemorySink(o.width, o.height));
      });
      near(sink.yuvAt(24, 12), rgbToYuv(255, 0, 0), 2, 'red quadrant');
      near(sink.yuvAt(48, 36), rgbToYuv(255, 255, 255), 2, 'white quadrant');
      near(sink.yuvAt(2, 12), rgbToYuv(...PLACEHOLDER_BACKGROUND), 2, 'transparent pixels show the background');
      await service.close();
      await assert.rejects(VcamService.start({ from: name, placeholder: FIXTURES + 'make.sh' }, () => (opened++, new MemorySink(2, 2))), { code: 'ERR_BAD_IMAGE' });
      await assert.rejects(VcamService.start({ from: name, placeholder: FIXTURES + 'missing.png' }, () => (opened++, new MemorySink(2, 2))), { code: 'ERR_INVALID_OPTION' });
      assert.equal(opened, 1, 'no sink opened for a bad picture');
    } finally {
      producer.close();
    }
  });

  it('converts every raw producer format', async () => {
    for (const format of ['NV12', 'I420', 'UYVY', 'BGR24', 'GRAY8'] as const) {
      const name = uniqueName('vcam-fmt');
      const producer = await createProducer(name, { width: 40, height: 30, format });
      let sink!: MemorySink;
      const service = await VcamService.start({ from: name, width: 80, height: 60 }, (o) => (sink = new MemorySink(o.width, o.height)));
      try {
        const rgba = new Uint8Array(40 * 30 * 4);
        for (let i = 0; i < rgba.length; i += 4) rgba.set([90, 180, 90, 255], i);
        const frame = new Uint8Array(producer.layout.frameBytes);
        convertFrame(rgba, frameLayout('RGBA', 40, 30), frame, producer.layout);
        producer.write(frame);
        await until(() => service.stats().liveFrames >= 1, `a ${format} frame`);
        const want = format === 'GRAY8' ? rgbToYuv(145, 145, 145) : rgbToYuv(90, 180, 90);
        near(sink.yuvAt(40, 30), want, 3, format);
      } finally {
        producer.close();
        await service.close();
      }
    }
  });
});
