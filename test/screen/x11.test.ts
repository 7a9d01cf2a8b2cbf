/**
 * X11 screen capture against a real Xvfb (started and stopped here), the
 * root window painted by xsetroot: known colours at known places, crops,
 * an idle screen, the cursor, the display going away, bad input, and the
 * CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVidbusError, openConsumer, type Consumer } from '../../src/index.js';
import type { Source } from '../../src/sources/source.js';
import { main } from '../../src/cli/main.js';
import { createScreenSource } from '../../src/sources/screen-source.js';
import { listScreens } from '../../src/devices/screens.js';
import { drmCards } from '../../src/devices/drm.js';
import { shmEntries, uniqueName } from '../helpers.js';
import { haveXvfb, Xvfb } from './xvfb.js';

const skip = haveXvfb() ? false : 'needs Xvfb and xsetroot (xvfb, x11-xserver-utils)';

/** The BGRA pixel at (x, y) of a frame `width` pixels wide, as [r, g, b, a]. */
function pixel(data: Uint8Array, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 4;
  return [data[i + 2]!, data[i + 1]!, data[i]!, data[i + 3]!];
}

/** The newest frame within `ms` whose content satisfies `ok`, copied. */
async function frameWhere(consumer: Consumer, ok: (data: Uint8Array) => boolean, ms = 5000): Promise<Uint8Array> {
  const until = Date.now() + ms;
  for (;;) {
    const left = until - Date.now();
    const frame = left > 0 ? await consumer.next({ timeoutMs: left }) : null;
    if (!frame) throw new Error(`no matching frame within ${ms} ms`);
    const copy = frame.data.slice();
    frame.release();
    if (ok(copy)) return copy;
  }
}

const RED = [0xff, 0x00, 0x00, 255];
const NAVY = [0x00, 0x00, 0x80, 255];
const TILE = 32;

/** Where the tile puts the square: [x0, y0, side] within each 32x32 tile. */
const inSquare = (x: number, y: number, sx: number, sy: number, side: number) => x % TILE >= sx && x % TILE < sx + side && y % TILE >= sy && y % TILE < sy + side;

describe('X11 screen capture', { skip }, () => {
  let x: Xvfb;
  before(async () => {
    x = await Xvfb.start(320, 240);
  });
  after(async () => {
    await x?.stop();
  });

  for (const copy of ['render', 'getimage'] as const) {
    it(`publishes what is on the screen, pixel for pixel, and follows a moving marker (copy: ${copy})`, async () => {
      x.paintSquare(TILE, 4, 6, 8, '#ff0000', '#000080');
      await using source = await createScreenSource({ name: uniqueName('x11'), screen: `x11:${x.display}`, fps: 30, copy });
      assert.match(source.description, new RegExp(`320x240 BGRA.*copied by ${copy === 'render' ? 'RENDER' : 'ShmGetImage'}`));
      await using consumer = await openConsumer(source.stream);
      const matches = (sx: number, sy: number) => (data: Uint8Array) => {
        for (const [px, py] of [
          [4, 6],
          [11, 13],
          [3, 6],
          [12, 14],
          [4 + 64, 6 + 96],
          [319, 239],
        ] as [number, number][]) {
          const want = inSquare(px, py, sx, sy, 8) ? RED : NAVY;
          if (pixel(data, 320, px, py).join() !== want.join()) return false;
        }
        return true;
      };
      const first = await frameWhere(consumer, matches(4, 6));
      // Every pixel, not just the probes.
      for (let py = 0; py < 240; py++) for (let px = 0; px < 320; px++) assert.deepEqual(pixel(first, 320, px, py), inSquare(px, py, 4, 6, 8) ? RED : NAVY, `pixel ${px},${py}`);
      // The marker moves: the next frames show it at its new place.
      for (const [sx, sy] of [
        [12, 6],
        [20, 18],
      ] as [number, number][]) {
        x.paintSquare(TILE, sx, sy, 8, '#ff0000', '#000080');
        await frameWhere(consumer, matches(sx, sy));
      }
    });
  }

  it('crops to --region and publishes nothing while the screen is idle', async () => {
    x.paintSquare(TILE, 0, 0, 16, '#ff0000', '#000080');
    await using source = await createScreenSource({ name: uniqueName('x11r'), screen: x.display, region: { x: 8, y: 4, width: 40, height: 30 }, fps: 60 });
    await using consumer = await openConsumer(source.stream);
    const frame = await frameWhere(consumer, (d) => pixel(d, 40, 0, 0).join() === RED.join());
    assert.equal(frame.length, 40 * 30 * 4);
    for (let py = 0; py < 30; py++) for (let px = 0; px < 40; px++) assert.deepEqual(pixel(frame, 40, px, py), inSquare(px + 8, py + 4, 0, 0, 16) ? RED : NAVY, `pixel ${px},${py}`);
    // Idle: nothing is drawn, so nothing is published (at 60 fps a polling grabber would publish ~60 frames).
    await new Promise((r) => setTimeout(r, 300));
    const settled = source.stats().published;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(source.stats().published, settled, 'an idle screen published frames');
    // Drawing again publishes again.
    x.paintSolid('#00ff00');
    await frameWhere(consumer, (d) => pixel(d, 40, 20, 20).join() === [0, 255, 0, 255].join());
    assert.ok(source.stats().published > settled);
  });

  it('draws the cursor with --cursor, and only there', async () => {
    x.paintSolid('#000080');
    await using plain = await createScreenSource({ name: uniqueName('x11p'), screen: x.display });
    await using withCursor = await createScreenSource({ name: uniqueName('x11c'), screen: x.display, cursor: true });
    await using a = await openConsumer(plain.stream);
    await using b = await openConsumer(withCursor.stream);
    const navy = (d: Uint8Array) => pixel(d, 320, 0, 0).join() === NAVY.join();
    const without = await frameWhere(a, navy);
    const withIt = await frameWhere(b, navy);
    // Xvfb starts with the pointer in the middle of the screen.
    const changed: [number, number][] = [];
    for (let py = 0; py < 240; py++) for (let px = 0; px < 320; px++) if (pixel(without, 320, px, py).join() !== pixel(withIt, 320, px, py).join()) changed.push([px, py]);
    assert.ok(changed.length >= 20, `the cursor changed only ${changed.length} pixels`);
    assert.ok(
      changed.every(([px, py]) => Math.abs(px - 160) <= 40 && Math.abs(py - 120) <= 40),
      'pixels far from the pointer changed',
    );
    assert.ok(without.every((v, i) => i % 4 !== 3 || v === 255), 'alpha is not opaque');
  });

  it('ends with ERR_DEVICE_GONE when the display closes, and removes its stream', async () => {
    const own = await Xvfb.start(64, 48);
    let source: Source | undefined;
    try {
      source = await createScreenSource({ name: uniqueName('x11g'), screen: own.display });
      const stream = source.stream;
      await own.stop();
      await assert.rejects(source.done, (e: unknown) => isVidbusError(e, 'ERR_DEVICE_GONE') && /closed/.test((e as Error).message));
      assert.deepEqual(shmEntries(stream), []);
    } finally {
      await source?.close();
      await own.stop();
    }
  });

  it('rejects bad input with typed errors before creating a stream', async () => {
    const name = uniqueName('x11bad');
    const cases: [object, string, RegExp][] = [
      [{ screen: 'x11::4321' }, 'ERR_DISPLAY_UNAVAILABLE', /nothing listens on \/tmp\/\.X11-unix\/X4321/],
      [{ screen: 'x11:otherhost:0' }, 'ERR_INVALID_OPTION', /another machine/],
      [{ screen: 'wayland' }, 'ERR_INVALID_OPTION', /x11:DISPLAY/],
      [{ screen: x.display, region: { x: 300, y: 0, width: 40, height: 10 } }, 'ERR_INVALID_OPTION', /not inside the screen .* 320x240/],
      [{ screen: x.display, region: { x: 0, y: 0, width: 0, height: 10 } }, 'ERR_INVALID_OPTION', /region/],
      [{ screen: x.display, fps: 0 }, 'ERR_INVALID_OPTION', /fps/],
      [{ screen: x.display, colour: 'red' }, 'ERR_INVALID_OPTION', /colour/],
      [{ screen: 'portal', region: { x: 0, y: 0, width: 10, height: 10 } }, 'ERR_INVALID_OPTION', /region.*portal/],
    ];
    for (const [options, code, message] of cases) {
      await assert.rejects(createScreenSource({ name, ...options }), (e: unknown) => isVidbusError(e, code as never) && message.test((e as Error).message), JSON.stringify(options));
    }
    const saved = { DISPLAY: process.env.DISPLAY, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY };
    delete process.env.DISPLAY;
    delete process.env.WAYLAND_DISPLAY;
    try {
      // (As root on a machine with a display card, 'auto' would take DRM instead.)
      if (drmCards().length === 0 || process.getuid?.() !== 0) {
        await assert.rejects(createScreenSource({ name }), (e: unknown) => isVidbusError(e, 'ERR_DISPLAY_UNAVAILABLE') && /neither WAYLAND_DISPLAY nor DISPLAY is set/.test((e as Error).message));
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
    // A 16-bit screen: refused by name, and listed with the reason.
    const shallow = await Xvfb.start(64, 48, 16);
    try {
      await assert.rejects(createScreenSource({ name, screen: shallow.display }), (e: unknown) => isVidbusError(e, 'ERR_FORMAT_UNSUPPORTED') && /depth 16/.test((e as Error).message));
      const listed = await listScreens();
      assert.deepEqual(listed.find((s) => s.display === x.display), { display: x.display, width: 320, height: 240, copy: 'render' });
      assert.match(listed.find((s) => s.display === shallow.display)?.problem ?? '', /depth 16/);
    } finally {
      await shallow.stop();
    }
    assert.deepEqual(shmEntries(name), []);
  });

  it('vidbus stream --screen (alone: the DISPLAY) with --region, until stopped', async () => {
    x.paintSolid('#ff0000');
    const name = uniqueName('x11cli');
    const stop = new AbortController();
    const saved = process.env.DISPLAY;
    process.env.DISPLAY = x.display;
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
    let run: Promise<number> | undefined;
    try {
      run = main(['stream', '--screen', '--name', name, '--region', '0,0,64,32', '--fps', '10'], { signal: stop.signal });
      let consumer: Consumer | undefined;
      for (let i = 0; i < 100 && !consumer; i++) {
        consumer = await openConsumer(name).catch(() => undefined);
        if (!consumer) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(consumer, 'the stream never appeared');
      const frame = await frameWhere(consumer, (d) => pixel(d, 64, 63, 31).join() === RED.join());
      assert.equal(frame.length, 64 * 32 * 4);
      await consumer.close();
    } finally {
      stop.abort();
      const code = await run;
      process.stderr.write = write;
      if (saved === undefined) delete process.env.DISPLAY;
      else process.env.DISPLAY = saved;
      assert.equal(code, 0, stderr.join(''));
    }
    assert.match(stderr.join(''), new RegExp(`X11 screen ${x.display} region 0,0 64x32`));
    assert.deepEqual(shmEntries(name), []);
  });
});
