/**
 * `vidbus publish` through real media servers, on loopback:
 * - Janus (Debian's janus, started here with a generated configuration):
 *   a raw pattern stream is encoded to H.264 and sent as RTP to a streaming
 *   mountpoint; headless Chromium watches it with janus.js, the way a
 *   viewer's page does, and sees the pattern's bars and H.264 in its
 *   WebRTC stats; Janus is restarted and the page sees the pattern again
 *   without the publisher being touched.
 * - RTSP: ffmpeg as an RTSP server in listen mode records what an H.264 bus
 *   stream sends (ANNOUNCE/RECORD) without a second encode; the server goes
 *   away and comes back, and the publisher sends again.
 * - typed errors for bad targets and missing streams.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { Publisher } from '../../src/sinks/publisher.js';
import { sleep } from '../../src/util/clock.js';
import { CHROMIUM, launchChromium } from '../browser-probe.js';
import { startCli, uniqueName, type RunningCli } from '../helpers.js';
import { ADAPTER_JS, JANUS_JS, JanusServer, WATCH_PAGE, janusMissing } from './janus.js';

const encoder = fileURLToPath(new URL('../../../encoder/build/vidbus-encode', import.meta.url));
const noEncoder = existsSync(encoder) ? undefined : 'vidbus-encode is not built (make -C encoder)';

/** The pattern's bars (src/video/pattern.ts), for comparing what a viewer sees. */
const BARS = [[235, 235, 235], [235, 235, 16], [16, 235, 235], [16, 235, 16], [235, 16, 235], [235, 16, 16], [16, 16, 235], [16, 16, 16]];

async function freeTcpPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const port = socket.address().port;
  socket.close();
  return port;
}

type Running = RunningCli;
const vidbus = (args: string[], ready: RegExp) => startCli(args, ready);

async function stop(child: ChildProcess | undefined): Promise<number | null> {
  if (!child) return null;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const code = await exited;
  clearTimeout(killer);
  return code;
}

function assertBars(bars: number[][], tolerance: number): void {
  assert.equal(bars.length, 8);
  for (let i = 0; i < 8; i++)
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(bars[i]![c]! - BARS[i]![c]!) <= tolerance, `bar ${i}: saw ${bars[i]} for ${BARS[i]}`);
}

describe('vidbus publish to Janus, watched by Chromium', { skip: noEncoder ?? janusMissing() ?? (existsSync(CHROMIUM) ? false : 'chromium is not installed'), timeout: 240_000 }, () => {
  let janus: JanusServer | undefined;
  let web: Server | undefined;
  let browser: Browser | undefined;
  let producer: Running | undefined;
  let publisher: Running | undefined;
  let pageUrl = '';
  const stream = uniqueName('pub-janus');

  before(async () => {
    janus = await JanusServer.start({ httpPort: await freeTcpPort(), videoPort: await freeUdpPort(), mountpoint: 7 });
    web = createServer((req, res) => {
      const body = req.url === '/janus.js' ? readFileSync(JANUS_JS) : req.url === '/adapter.js' ? readFileSync(ADAPTER_JS) : WATCH_PAGE;
      res.writeHead(200, { 'content-type': req.url?.endsWith('.js') ? 'text/javascript' : 'text/html' });
      res.end(body);
    });
    await new Promise<void>((r) => web!.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
    browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']);
  });

  after(async () => {
    await stop(publisher?.child);
    await stop(producer?.child);
    await browser?.close();
    await new Promise((r) => (web ? web.close(r) : r(undefined)));
    await janus?.stop();
  });

  async function watch(): Promise<{ page: Page; seen: { width: number; height: number; bars: number[][]; codec: string; decoded: number } }> {
    const page = await browser!.newPage();
    page.setDefaultTimeout(60000);
    await page.goto(pageUrl);
    await page.evaluate(([url, id]) => (globalThis as unknown as { watch: (u: string, i: number) => Promise<void> }).watch(url as string, id as number), [janus!.url, 7] as const);
    // Frames arrive after the next keyframe (at most a second: the publisher's gop is 30 at 30 fps).
    let seen = { width: 0, height: 0, bars: [] as number[][], codec: '', decoded: 0 };
    for (let i = 0; i < 20 && seen.decoded < 10; i++) {
      seen = await page.evaluate((ms) => (globalThis as unknown as { sample: (t: number) => Promise<typeof seen> }).sample(ms), 3000);
      if (seen.decoded < 10) await sleep(500);
    }
    return { page, seen };
  }

  it('a raw stream goes out as H.264 RTP; the page sees the bars, H.264 in its stats; a Janus restart needs nothing of the publisher', async () => {
    producer = await vidbus(['stream', '--pattern', '--name', stream, '--size', '640x360', '--fps', '30'], /publishing|stream "/i);
    publisher = await vidbus(['publish', stream, '--to', `rtp://127.0.0.1:${janus!.options.videoPort}`], /-> rtp:\/\//);
    assert.match(publisher.log(), /encoded to H\.264/);

    const first = await watch();
    assert.deepEqual([first.seen.width, first.seen.height], [640, 360], `the viewer's picture: ${JSON.stringify(first.seen)}\n${janus!.log.slice(-1500)}`);
    assert.equal(first.seen.codec, 'video/H264');
    assert.ok(first.seen.decoded >= 10);
    assertBars(first.seen.bars, 40);
    await first.page.close();

    await janus!.restart();
    const second = await watch();
    assert.equal(second.seen.codec, 'video/H264', `after the restart: ${JSON.stringify(second.seen)}`);
    assert.ok(second.seen.decoded >= 10);
    assertBars(second.seen.bars, 40);
    await second.page.close();
    assert.equal(publisher.child.exitCode, null, `the publisher kept running: ${publisher.log()}`);
  });
});

describe('vidbus publish to an RTSP server', { skip: noEncoder ?? false, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidbus-rtsp-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** ffmpeg as an RTSP server that takes one publisher (ANNOUNCE/RECORD) and records it without decoding. */
  function rtspServer(port: number, file: string): ChildProcess {
    return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-rtsp_flags', 'listen', '-timeout', '60', '-i', `rtsp://127.0.0.1:${port}/live`, '-c', 'copy', '-f', 'mpegts', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }

  it('an H.264 bus stream goes out as it is; the server records it; the server goes away and comes back, and the publisher sends again', async () => {
    const raw = uniqueName('pub-raw');
    const h264 = uniqueName('pub-h264');
    const port = await freeTcpPort();
    let producer: Running | undefined;
    let encode: Running | undefined;
    let server: ChildProcess | undefined;
    let publisher: Running | undefined;
    try {
      producer = await vidbus(['stream', '--pattern', '--name', raw, '--size', '320x240', '--fps', '30'], /publishing|stream "/i);
      encode = await vidbus(['encode', raw, '--out', h264, '--gop', '15'], /with libx264/);
      server = rtspServer(port, join(dir, 'one.ts'));
      await sleep(500);
      publisher = await vidbus(['publish', h264, '--to', `rtsp://127.0.0.1:${port}/live`], /-> rtsp:\/\//);
      assert.doesNotMatch(publisher.log(), /encoded to H\.264/, 'an H.264 stream is not encoded again');
      await sleep(3000);
      server.kill('SIGINT');
      await new Promise((r) => server!.once('exit', r));
      const one = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,width,height,nb_read_packets', '-of', 'json', join(dir, 'one.ts')]).toString()) as {
        streams: { codec_name: string; width: number; height: number; nb_read_packets: string }[];
      };
      assert.deepEqual([one.streams[0]!.codec_name, one.streams[0]!.width, one.streams[0]!.height], ['h264', 320, 240]);
      assert.ok(Number(one.streams[0]!.nb_read_packets) >= 45, `about 3 s at 30 fps reached the server: ${one.streams[0]!.nb_read_packets}`);

      // The server is gone: the publisher notices and keeps trying; a new server gets the stream.
      await sleep(1500);
      server = rtspServer(port, join(dir, 'two.ts'));
      for (let i = 0; i < 100 && !(existsSync(join(dir, 'two.ts')) && statSync(join(dir, 'two.ts')).size > 50_000); i++) await sleep(200);
      assert.ok(existsSync(join(dir, 'two.ts')) && statSync(join(dir, 'two.ts')).size > 50_000, `the publisher sent to the new server: ${publisher.log()}`);
      assert.match(publisher.log(), /stopped sending .* trying again/);
      assert.equal(publisher.child.exitCode, null);
    } finally {
      assert.equal(await stop(publisher?.child), 0, publisher?.log());
      await stop(server);
      await stop(encode?.child);
      await stop(producer?.child);
    }
  });

  it('typed errors: unknown scheme, missing port, missing stream, MJPEG', async () => {
    await assert.rejects(Publisher.start({ stream: 'x', to: 'http://127.0.0.1/' }), { code: 'ERR_INVALID_OPTION' });
    await assert.rejects(Publisher.start({ stream: 'x', to: 'rtp://127.0.0.1' }), { code: 'ERR_INVALID_OPTION' });
    await assert.rejects(Publisher.start({ stream: 'x', to: 'not a url' }), { code: 'ERR_INVALID_OPTION' });
    await assert.rejects(Publisher.start({ stream: uniqueName('nope'), to: 'rtp://127.0.0.1:5004' }), { code: 'ERR_STREAM_NOT_FOUND' });
    const { createProducer } = await import('../../src/index.js');
    const name = uniqueName('pub-mjpeg');
    const p = await createProducer(name, { width: 320, height: 240, format: 'MJPEG' });
    try {
      await assert.rejects(Publisher.start({ stream: name, to: 'rtp://127.0.0.1:5004' }), { code: 'ERR_FORMAT_UNSUPPORTED' });
    } finally {
      p.close();
    }
  });
});
