import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { createProducer, type Producer } from '../bus/producer.js';
import { decodeImage } from '../video/image-file.js';
import { decodePng } from '../video/png.js';
import { WebPreview } from './web-preview.js';
import { uniqueName } from '../../test/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ENCODER = fileURLToPath(new URL('../../../encoder/build/vidbus-encode', import.meta.url));
const noChromium = existsSync(CHROMIUM) ? false : 'chromium is not installed (scripts/setup.sh installs it)';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** What the page reports of itself (window.vidbusView). */
type View = { vidbusView: { mode: string; codec: string; decoded: number; bytes: number; latencyMs: number; reason: string } };
/** The little of the DOM the page checks use (this project compiles without DOM types). */
type Doc = { document: { getElementById(id: string): { naturalWidth?: number; textContent: string | null } | null } };
const COLOUR = [40, 160, 220];

/** A producer of a solid colour at 30 fps; returns it with its timer. */
async function solidStream(name: string): Promise<{ producer: Producer; stop: () => void }> {
  const producer = await createProducer(name, { width: 320, height: 240, format: 'RGBA', fps: 30 });
  const frame = new Uint8Array(producer.layout.frameBytes);
  for (let i = 0; i < frame.length; i += 4) frame.set([...COLOUR, 255], i);
  const timer = setInterval(() => producer.write(frame), 33);
  return { producer, stop: () => (clearInterval(timer), producer.close()) };
}

/** GET with full control of headers; resolves status and body (or the first MJPEG part). */
function get(url: string, headers: Record<string, string> = {}, firstPart = false): Promise<{ status: number; body: Buffer; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => {
        chunks.push(d);
        if (!firstPart) return;
        const all = Buffer.concat(chunks);
        const m = /Content-Length: (\d+)\r\n\r\n/.exec(all.toString('latin1'));
        if (m) {
          const start = m.index + m[0].length;
          if (all.length >= start + Number(m[1])) {
            res.destroy();
            resolve({ status: res.statusCode!, body: all.subarray(start, start + Number(m[1])), type: String(res.headers['content-type']) });
          }
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const near = (got: number[], what: string, tol = 12) => COLOUR.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= tol, `${what}: got ${got}, want ${COLOUR}`));

describe('WebPreview', () => {
  it('serves the page, the MJPEG stream and stats only with its token and a local Host', async () => {
    const name = uniqueName('view');
    const stream = await solidStream(name);
    const preview = await WebPreview.start({ stream: name });
    try {
      const url = new URL(preview.url);
      assert.equal(url.hostname, '127.0.0.1', 'bound to this machine only');
      const token = url.searchParams.get('token')!;
      assert.match(token, /^[0-9a-f]{32}$/);
      const page = await get(preview.url);
      assert.equal(page.status, 200);
      assert.match(page.body.toString(), /\/stream\.mjpg\?token=/);
      assert.match(page.body.toString(), /\/stream\.h264\?token=/);
      const base = `http://127.0.0.1:${url.port}`;
      for (const path of ['/', '/stream.mjpg', '/stats', `/stats?token=${'0'.repeat(32)}`, '/stats?token=short']) {
        assert.equal((await get(base + path)).status, 403, `${path} without the right token`);
      }
      assert.equal((await get(`${base}/stats?token=${token}`, { Host: `attacker.example:${url.port}` })).status, 403, 'DNS rebinding: foreign Host refused');
      // The H.264 WebSocket: the same token and Host checks.
      for (const [path, headers] of [
        ['/stream.h264', {}],
        [`/stream.h264?token=${'0'.repeat(32)}`, {}],
        [`/stream.h264?token=${token}`, { Host: `attacker.example:${url.port}` }],
        [`/elsewhere?token=${token}`, {}],
      ] as const) {
        const status = await new Promise<number>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${url.port}${path}`, { headers });
          ws.on('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
          ws.on('open', () => (resolve(101), ws.close()));
          ws.on('error', () => resolve(-1));
        });
        assert.equal(status, 403, `WebSocket ${path} ${JSON.stringify(headers)}`);
      }
      const part = await get(`${base}/stream.mjpg?token=${token}`, {}, true);
      assert.match(part.type, /multipart\/x-mixed-replace/);
      const picture = decodeImage(part.body);
      assert.deepEqual([picture.width, picture.height], [320, 240]);
      near([...picture.data.subarray((120 * 320 + 160) * 4, (120 * 320 + 160) * 4 + 3)], 'the MJPEG frame');
      const stats = JSON.parse((await get(`${base}/stats?token=${token}`)).body.toString());
      assert.equal(stats.format, 'RGBA');
      assert.equal(stats.width, 320);
      assert.ok(stats.received > 0 && stats.sent > 0, JSON.stringify(stats));
    } finally {
      await preview.close();
      await preview.close();
      stream.stop();
    }
  });

  it('refuses a stream that does not exist and a port in use', async () => {
    await assert.rejects(WebPreview.start({ stream: uniqueName('missing') }), { code: 'ERR_STREAM_NOT_FOUND' });
    const name = uniqueName('view-port');
    const stream = await solidStream(name);
    const first = await WebPreview.start({ stream: name });
    try {
      await assert.rejects(WebPreview.start({ stream: name, port: Number(new URL(first.url).port) }), { code: 'ERR_BUSY' });
    } finally {
      await first.close();
      stream.stop();
    }
  });

  it('shows the stream in headless Chromium as MJPEG (asked for, or without WebCodecs) with live stats', { skip: noChromium, timeout: 120000 }, async () => {
    const name = uniqueName('view-chromium');
    const stream = await solidStream(name);
    const preview = await WebPreview.start({ stream: name });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      for (const how of ['asked', 'no-webcodecs'] as const) {
        const page = await browser.newPage();
        if (how === 'no-webcodecs') await page.addInitScript(() => delete (globalThis as { VideoDecoder?: unknown }).VideoDecoder);
        await page.goto(how === 'asked' ? `${preview.url}&mjpeg` : preview.url);
        // Functions, not strings: the page's CSP (rightly) forbids eval.
        await page.waitForFunction(() => ((globalThis as unknown as Doc).document.getElementById('video')?.naturalWidth ?? 0) > 0);
        assert.equal(await page.evaluate(() => (globalThis as unknown as View).vidbusView.mode), 'mjpeg');
        const shot = decodePng(await page.locator('#video').screenshot());
        const c = (Math.floor(shot.height / 2) * shot.width + Math.floor(shot.width / 2)) * 4;
        near([...shot.data.subarray(c, c + 3)], `the rendered picture (${how})`, 16);
        const first = await page.locator('#stats').textContent();
        assert.match(first ?? '', /320x240 RGBA/);
        await page.waitForFunction((before) => (globalThis as unknown as Doc).document.getElementById('stats')?.textContent !== before, first);
        await page.close();
      }
      const page = await browser.newPage();
      const refused = await page.goto(preview.url.replace(/token=\w+/, 'token=wrong'));
      assert.equal(refused?.status(), 403);
    } finally {
      await browser.close();
      await preview.close();
      stream.stop();
    }
  });

  it('sends H.264 to WebCodecs pages: the colour is right, the page decodes avc1, and it costs a fraction of MJPEG', {
    skip: noChromium || (existsSync(ENCODER) ? false : 'vidbus-encode is not built (make -C encoder)'),
    timeout: 120000,
  }, async (t) => {
    const name = uniqueName('view-h264');
    const stream = await solidStream(name);
    const preview = await WebPreview.start({ stream: name, fps: 30 });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(preview.url);
      await page.waitForFunction(() => (globalThis as unknown as View).vidbusView.decoded >= 30, undefined, { timeout: 60000 });
      const view = await page.evaluate(() => (globalThis as unknown as View).vidbusView);
      assert.equal(view.mode, 'h264', view.reason);
      assert.match(view.codec, /^avc1\.42/, 'constrained baseline H.264');
      const shot = decodePng(await page.locator('#canvas').screenshot());
      assert.ok(shot.width >= 320 && shot.height >= 240);
      const c = (Math.floor(shot.height / 2) * shot.width + Math.floor(shot.width / 2)) * 4;
      near([...shot.data.subarray(c, c + 3)], 'the decoded picture', 16);
      assert.match((await page.locator('#stats').textContent()) ?? '', /H\.264 avc1/);
      const stats = preview.stats();
      assert.equal(stats.h264.viewers, 1);
      assert.ok(stats.h264.sent >= 30);
      // The same picture as MJPEG, side by side: bytes per frame.
      const mjpeg = await browser.newPage();
      await mjpeg.goto(`${preview.url}&mjpeg`);
      await mjpeg.waitForFunction(() => ((globalThis as unknown as Doc).document.getElementById('video')?.naturalWidth ?? 0) > 0);
      const before = preview.stats();
      await new Promise((r) => setTimeout(r, 2000));
      const after = preview.stats();
      const h264PerFrame = (after.h264.bytes - before.h264.bytes) / Math.max(1, after.h264.sent - before.h264.sent);
      const mjpegPerFrame = (after.mjpegBytes - before.mjpegBytes) / Math.max(1, after.sent - before.sent);
      t.diagnostic(`320x240 solid colour: H.264 ${h264PerFrame.toFixed(0)} B/frame, MJPEG ${mjpegPerFrame.toFixed(0)} B/frame; page latency ${view.latencyMs} ms`);
      assert.ok(h264PerFrame < mjpegPerFrame / 2, `H.264 ${h264PerFrame.toFixed(0)} B/frame against MJPEG ${mjpegPerFrame.toFixed(0)} B/frame`);
      await page.close();
      await mjpeg.close();
      for (let i = 0; i < 50 && preview.stats().h264.viewers > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(preview.stats().h264.viewers, 0, 'the page went away');
    } finally {
      await browser.close();
      await preview.close();
      stream.stop();
    }
  });
});
