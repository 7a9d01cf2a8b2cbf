/**
 * npm run bench:publish: glass-to-glass latency through a real Janus
 * gateway to headless Chromium, at 720p30, in one run:
 * - vidbus: frames published on the bus, `vidbus publish --to rtp://...`
 *   (the raw stream encoded by vidbus-encode, the RTP sent by ffmpeg);
 * - ffmpeg: the same frames written to `ffmpeg -f rawvideo -i pipe:0 -c:v
 *   libx264 ... -f rtp`, the usual way to feed a Janus mountpoint.
 * Both encode constrained-baseline H.264 with libx264 (veryfast,
 * zerolatency, 2.5 Mb/s, gop 30). Each frame is a dark picture with a
 * white box whose position gives the frame number; the page finds the box
 * in every frame it renders (requestVideoFrameCallback) and the latency is
 * that moment minus when the frame was published (both wall clock, one
 * machine). CPU is the sending side's processes (vidbus publish with its
 * encoder and ffmpeg; the ffmpeg pipeline), per frame.
 *
 *   npm run bench:publish [-- --seconds 15] [--ffmpeg-first]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createProducer, frameLayout } from '../src/index.js';
import { sleep } from '../src/util/clock.js';
import { percentile } from '../src/util/latency.js';
import { launchChromium } from '../test/browser-probe.js';
import { ADAPTER_JS, JANUS_JS, JanusServer, WATCH_PAGE, janusMissing } from '../test/publish/janus.js';
import { numberOption } from './args.js';
import { treeCpuSeconds } from './proc.js';

const seconds = numberOption('--seconds', 15);
const W = 1280;
const H = 720;
const FPS = 30;
const BOX = 40;
const STEP = 8;
const PERIOD = Math.floor((W - BOX) / STEP); // frames before the box position repeats
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const missing = janusMissing();
if (missing) {
  console.error(`bench:publish needs Janus: ${missing}`);
  process.exit(1);
}

/** Frame n: dark grey, a white box at x = (n % PERIOD) * STEP across the middle. */
function drawFrame(rgba: Uint8Array, n: number): void {
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.byteLength / 4);
  words.fill(0xff303030);
  const x0 = (n % PERIOD) * STEP;
  for (let y = H / 2 - BOX / 2; y < H / 2 + BOX / 2; y++) words.fill(0xffffffff, y * W + x0, y * W + x0 + BOX);
}

// A page that watches with janus.js (test/publish/janus.ts) and, for every
// rendered frame, finds the box's left edge on the middle row.
const lastScriptEnd = WATCH_PAGE.lastIndexOf('</script>');
const PAGE = WATCH_PAGE.slice(0, lastScriptEnd) +
  `window.track = () => { window.seen = []; const c = document.createElement('canvas'); c.width = ${W}; c.height = 1;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  const step = (now) => { ctx.drawImage(video, 0, ${H / 2}, ${W}, 1, 0, 0, ${W}, 1); const d = ctx.getImageData(0, 0, ${W}, 1).data;
    let x = -1; for (let i = 0; i < ${W}; i++) if (d[i * 4] > 160) { x = i; break; }
    if (x >= 0) window.seen.push([x, performance.timeOrigin + now]); video.requestVideoFrameCallback(step); };
  video.requestVideoFrameCallback(step); };
` + WATCH_PAGE.slice(lastScriptEnd);

interface Result {
  /** the receiver's mean jitter-buffer and decode time per frame (WebRTC stats) */
  jitterBufferMs: number;
  decodeMs: number;
  frames: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerFrame: number;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

interface Sender {
  /** the process whose tree's CPU is counted */
  child: ChildProcess;
  /** publishes frame n (drawn into rgba) */
  publish: (n: number, rgba: Uint8Array) => void;
  close: () => void;
}

/** Starts a sender of 720p30 RGBA frames to RTP on 127.0.0.1:port. */
async function startSender(label: 'vidbus' | 'ffmpeg', port: number): Promise<Sender> {
  if (label === 'vidbus') {
    const name = `bench-publish-${process.pid}`;
    const producer = await createProducer(name, { width: W, height: H, format: 'RGBA', fps: FPS });
    const child = spawn(process.execPath, [cli, 'publish', name, '--to', `rtp://127.0.0.1:${port}`, '--bitrate', '2.5M', '--gop', '30'], { stdio: ['ignore', 'ignore', 'inherit'] });
    return { child, publish: (_n, rgba) => producer.write(rgba), close: () => producer.close() };
  }
  const child = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-video_size', `${W}x${H}`, '-framerate', String(FPS), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-b:v', '2.5M', '-maxrate', '2.5M', '-bufsize', '2.5M',
      '-g', '30', '-bf', '0', '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}?pkt_size=1200`],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  child.stdin!.on('error', () => undefined);
  return { child, publish: (_n, rgba) => child.stdin!.write(Buffer.from(rgba)), close: () => child.stdin!.end() };
}

/** Paces frames at FPS into the sender, noting when each was published (wall ms). */
function pace(sender: Sender, published: Map<number, number>): { count: () => number; stop: () => void } {
  const rgba = new Uint8Array(frameLayout('RGBA', W, H).frameBytes);
  let n = 0;
  const start = performance.now();
  let timer: NodeJS.Timeout;
  const tick = () => {
    drawFrame(rgba, n);
    published.set(n, Date.now());
    sender.publish(n, rgba);
    n++;
    timer = setTimeout(tick, Math.max(0, start + (n * 1000) / FPS - performance.now()));
  };
  tick();
  return { count: () => n, stop: () => clearTimeout(timer) };
}

async function finish(sender: Sender, pacing: { stop: () => void }): Promise<void> {
  pacing.stop();
  await stopChild(sender.child);
  sender.close();
}

/** Glass to glass: the sender into Janus, the page rendering. */
async function throughJanus(label: 'vidbus' | 'ffmpeg', janus: JanusServer, pageUrl: string, browser: Awaited<ReturnType<typeof launchChromium>>): Promise<Result> {
  const published = new Map<number, number>();
  const sender = await startSender(label, janus.options.videoPort);
  const pacing = pace(sender, published);
  try {
    await sleep(1500);
    const page = await browser.newPage();
    await page.goto(pageUrl);
    await page.evaluate(([url]) => (globalThis as unknown as { watch: (u: string, i: number) => Promise<void> }).watch(url as string, 7), [janus.url] as const);
    await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(i: string): { videoWidth: number } } }).document.getElementById('v').videoWidth > 0, undefined, { timeout: 30000 });
    await sleep(2000); // warm-up
    await page.evaluate(() => (globalThis as unknown as { track: () => void }).track());
    const cpu0 = treeCpuSeconds(sender.child.pid!);
    const n0 = pacing.count();
    await sleep(seconds * 1000);
    const cpu1 = treeCpuSeconds(sender.child.pid!);
    const frames = pacing.count() - n0;
    const seen = await page.evaluate(() => (globalThis as unknown as { seen: [number, number][] }).seen);
    const receiver = await page.evaluate(() => (globalThis as unknown as { receiver: () => Promise<{ jitterBufferMs: number; decodeMs: number }> }).receiver());
    await page.close();
    const latencies: number[] = [];
    for (const [x, wall] of seen) {
      const k = Math.round(x / STEP);
      // The latest published frame with that box position before it was seen.
      let best: number | undefined;
      for (const [m, t] of published) if (m % PERIOD === k && t <= wall && (best === undefined || m > best)) best = m;
      if (best !== undefined) latencies.push(wall - published.get(best)!);
    }
    return {
      jitterBufferMs: receiver.jitterBufferMs,
      decodeMs: receiver.decodeMs,
      frames: latencies.length,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      cpuMsPerFrame: ((cpu1 - cpu0) * 1000) / Math.max(1, frames),
    };
  } finally {
    await finish(sender, pacing);
  }
}

/** Sender to a UDP socket here: publish -> the frame's last RTP packet (marker bit), matched in order from the end (loopback loses none). */
async function toSocket(label: 'vidbus' | 'ffmpeg'): Promise<{ p50Ms: number; p99Ms: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const arrivals: number[] = [];
  socket.on('message', (m: Buffer) => {
    if (m.length > 1 && m[1]! & 0x80) arrivals.push(Date.now());
  });
  const published = new Map<number, number>();
  const sender = await startSender(label, socket.address().port);
  const pacing = pace(sender, published);
  try {
    await sleep(3000); // warm-up: the publisher starts its encoder, ffmpeg its output
    const a0 = arrivals.length;
    const n0 = pacing.count();
    await sleep(Math.min(seconds, 10) * 1000);
    pacing.stop();
    await sleep(500); // the last frames' packets land: the last arrival is the last frame
    const got = arrivals.slice(a0);
    const n1 = pacing.count();
    const sent = [...published.entries()].filter(([n]) => n >= n0 && n < n1).map(([, t]) => t);
    const latencies: number[] = [];
    for (let i = 1; i < Math.min(got.length, sent.length); i++) latencies.push(got[got.length - i]! - sent[sent.length - i]!);
    return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
  } finally {
    await finish(sender, pacing);
    socket.close();
  }
}

const janus = await JanusServer.start({ httpPort: 18000 + (process.pid % 1000), videoPort: 19000 + (process.pid % 1000) * 2, mountpoint: 7 });
const web: Server = createServer((req, res) => {
  const body = req.url === '/janus.js' ? readFileSync(JANUS_JS) : req.url === '/adapter.js' ? readFileSync(ADAPTER_JS) : PAGE;
  res.writeHead(200, { 'content-type': req.url?.endsWith('.js') ? 'text/javascript' : 'text/html' });
  res.end(body);
});
await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
const pageUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
const browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']);
try {
  // --ffmpeg-first swaps the order, to tell a warming browser or gateway from the senders.
  const ffmpegFirst = process.argv.includes('--ffmpeg-first');
  const f0 = ffmpegFirst ? await throughJanus('ffmpeg', janus, pageUrl, browser) : undefined;
  const v = await throughJanus('vidbus', janus, pageUrl, browser);
  const f = f0 ?? (await throughJanus('ffmpeg', janus, pageUrl, browser));
  const vs = await toSocket('vidbus');
  const fs = await toSocket('ffmpeg');
  console.log(`bench:publish — ${W}x${H} at ${FPS} fps through Janus to headless Chromium, ${seconds} s each; load ${loadavg()[0]!.toFixed(2)}`);
  console.log('| sender | frames seen | glass-to-glass p50 ms | p99 ms | sender CPU ms/frame | browser jitter buffer ms | decode ms |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [label, r] of [['vidbus publish (bus -> vidbus-encode -> ffmpeg RTP)', v], ['ffmpeg rawvideo -> libx264 -> RTP', f]] as const) {
    console.log(`| ${label} | ${r.frames} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.cpuMsPerFrame.toFixed(2)} | ${r.jitterBufferMs.toFixed(1)} | ${r.decodeMs.toFixed(1)} |`);
  }
  console.log(`\nRatios vidbus/ffmpeg: p50 ${(v.p50Ms / f.p50Ms).toFixed(2)}x, p99 ${(v.p99Ms / f.p99Ms).toFixed(2)}x, CPU ${(v.cpuMsPerFrame / f.cpuMsPerFrame).toFixed(2)}x`);
  console.log(`\nThe sending side alone (publish -> the frame's last RTP packet at a UDP socket here, no Janus, no browser):`);
  console.log(`- vidbus publish: p50 ${vs.p50Ms.toFixed(1)} ms, p99 ${vs.p99Ms.toFixed(1)} ms`);
  console.log(`- ffmpeg: p50 ${fs.p50Ms.toFixed(1)} ms, p99 ${fs.p99Ms.toFixed(1)} ms (ratio p50 ${(vs.p50Ms / fs.p50Ms).toFixed(2)}x)`);
} finally {
  await browser.close();
  await new Promise((r) => web.close(r));
  await janus.stop();
}
