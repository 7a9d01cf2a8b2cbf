/**
 * The GStreamer elements with real gst-launch-1.0 and gst-inspect-1.0:
 * vidbussink read by TypeScript consumers with exact pixels for every raw
 * format, a TypeScript producer read by vidbussrc (exact bytes, caps,
 * timestamps), sink to source across two pipelines, H.264 through the bus
 * into an MP4 ffprobe reads, following across a kill -9 and a size change,
 * a clean error without follow, and a slow downstream that never stalls
 * the producer.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createProducer, openConsumer, frameLayout, type RawFormat } from '../../src/index.js';

const run = promisify(execFile);
const plugin = fileURLToPath(new URL('../../../gstreamer/build/', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const env = { ...process.env, GST_PLUGIN_PATH: plugin, GST_REGISTRY: join(tmpdir(), `vidbus-gst-registry-${process.pid}.bin`) };
const haveGst = spawnSync('gst-launch-1.0', ['--version']).status === 0;
const skip = !haveGst ? 'gst-launch-1.0 is not installed' : !existsSync(`${plugin}libgstvidbus.so`) ? 'the plugin is not built (make -C gstreamer)' : false;

let counter = 0;
const uniqueName = (tag: string) => `t-gst-${tag}-${process.pid}-${++counter}`;
const leftovers = (name: string) => readdirSync('/dev/shm').filter((f) => f.startsWith(`vidbus-${name}`));
const launch = (args: string[], timeout = 60000) => run('gst-launch-1.0', ['-q', ...args], { env, timeout, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });

const GST_NAMES: Record<RawFormat, string> = { RGBA: 'RGBA', BGRA: 'BGRA', RGB24: 'RGB', BGR24: 'BGR', YUYV: 'YUY2', UYVY: 'UYVY', NV12: 'NV12', I420: 'I420', GRAY8: 'GRAY8' };

describe('GStreamer elements', { skip }, () => {
  after(() => rmSync(env.GST_REGISTRY, { force: true }));

  it('gst-inspect-1.0 documents both elements and every property', async () => {
    const { stdout } = await run('gst-inspect-1.0', ['vidbus'], { env });
    assert.match(stdout, /vidbussink: vidbus sink/);
    assert.match(stdout, /vidbussrc: vidbus source/);
    const sink = (await run('gst-inspect-1.0', ['vidbussink'], { env })).stdout;
    for (const p of ['stream', 'slots', 'mode', 'group', 'hold-lifespan', 'stats']) assert.match(sink, new RegExp(`^  ${p} `, 'm'), p);
    assert.match(sink, /video\/x-h264/);
    const src = (await run('gst-inspect-1.0', ['vidbussrc'], { env })).stdout;
    for (const p of ['stream', 'policy', 'follow', 'timeout', 'do-timestamp']) assert.match(src, new RegExp(`^  ${p} `, 'm'), p);
    assert.match(src, /\(1\): latest/);
  });

  it('vidbussink: every raw format reaches a TypeScript consumer byte for byte', { timeout: 180000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-gst-'));
    try {
      for (const format of Object.keys(GST_NAMES) as RawFormat[]) {
        const caps = `video/x-raw,format=${GST_NAMES[format]},width=64,height=48,framerate=30/1`;
        await launch(['videotestsrc', 'num-buffers=5', 'pattern=ball', '!', caps, '!', 'filesink', `location=${dir}/${format}.raw`]);
        const expected = readFileSync(`${dir}/${format}.raw`);
        const frameBytes = frameLayout(format, 64, 48).frameBytes;
        assert.equal(expected.length, 5 * frameBytes, `${format}: GStreamer's frames are vidbus's size`);
        const name = uniqueName(`sink-${format}`);
        const consumer = await openConsumer(name, { policy: 'every', follow: true });
        const pipeline = launch(['videotestsrc', 'num-buffers=5', 'pattern=ball', '!', caps, '!', 'vidbussink', `stream=${name}`]);
        const frames: Buffer[] = [];
        try {
          while (frames.length < 5) {
            const frame = await consumer.next({ timeoutMs: 10000 });
            assert.ok(frame, `${format}: frame ${frames.length + 1}`);
            assert.equal(frame.format, format);
            frames.push(Buffer.from(frame.data.subarray(0, frame.size)));
            frame.release();
          }
          await pipeline;
        } finally {
          consumer.close();
        }
        frames.forEach((f, i) => assert.ok(f.equals(expected.subarray(i * frameBytes, (i + 1) * frameBytes)), `${format} frame ${i}`));
        assert.deepEqual(leftovers(name), []);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vidbussink is read by `vidbus receive` too', { timeout: 60000 }, async () => {
    const name = uniqueName('receive');
    const pipeline = launch(['videotestsrc', 'is-live=true', 'num-buffers=60', '!', 'video/x-raw,format=YUY2,width=160,height=120,framerate=30/1', '!', 'vidbussink', `stream=${name}`]);
    const deadline = Date.now() + 20000;
    while (!existsSync(`/dev/shm/vidbus-${name}.ctl`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const { stdout } = await run(process.execPath, [cli, 'receive', name, '-c', '10', '--every', '--json'], { timeout: 20000 });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { type: string; received: number };
    assert.deepEqual([summary.type, summary.received], ['summary', 10]);
    await pipeline;
  });

  it('the pool path is zero copy: upstream renders into bus slots, and they are published as they are', { timeout: 60000 }, async () => {
    const name = uniqueName('pool');
    const consumer = await openConsumer(name, { policy: 'every', follow: true });
    try {
      // vidbussink logs each slot it publishes without a copy (the buffer's memory is the loaned slot itself).
      const pipeline = run('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=20', '!', 'video/x-raw,format=I420,width=320,height=240,framerate=30/1', '!', 'vidbussink', `stream=${name}`], {
        env: { ...env, GST_DEBUG: 'vidbussink:6', GST_DEBUG_NO_COLOR: '1' },
        timeout: 30000,
      });
      let received = 0;
      while (received < 20) {
        const frame = await consumer.next({ timeoutMs: 10000 });
        assert.ok(frame, `frame ${received + 1}`);
        frame.release();
        received++;
      }
      const { stderr } = await pipeline;
      assert.equal([...stderr.matchAll(/published in place/g)].length, 20, 'every frame published without a copy');
    } finally {
      consumer.close();
    }
  });

  it('vidbussrc: a TypeScript producer into a pipeline, exact bytes, caps from the stream, increasing timestamps', { timeout: 60000 }, async () => {
    const name = uniqueName('src');
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-gst-'));
    const producer = await createProducer(name, { width: 32, height: 16, format: 'NV12', fps: 25 });
    const sent: Buffer[] = [];
    const timer = setInterval(() => {
      const frame = producer.loan();
      if (!frame) return;
      frame.data.fill(sent.length & 0xff);
      frame.data[0] = 0xa5;
      sent.push(Buffer.from(frame.data));
      producer.publish(frame);
    }, 40);
    try {
      const { stdout } = await run('gst-launch-1.0', ['-v', 'vidbussrc', `stream=${name}`, 'policy=every', 'num-buffers=10', '!', 'identity', 'silent=false', '!', 'filesink', `location=${dir}/out.raw`], { env, timeout: 30000 });
      assert.match(stdout, /caps = video\/x-raw, format=\(string\)NV12, width=\(int\)32, height=\(int\)16.*framerate=\(fraction\)25\/1/);
      const pts = [...stdout.matchAll(/pts: (\d+):(\d+):([\d.]+)/g)].map((m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
      assert.ok(pts.length >= 9 && pts.every((t, i) => i === 0 || t > pts[i - 1]!), `increasing timestamps: ${pts.join(' ')}`);
      const got = readFileSync(`${dir}/out.raw`);
      assert.equal(got.length, 10 * 768);
      // The source starts at the newest frame already published, then takes every one after it.
      const first = sent.findIndex((f) => f.equals(got.subarray(0, 768)));
      assert.ok(first >= 0, 'the first buffer is a published frame');
      for (let i = 0; i < 10; i++) assert.ok(got.subarray(i * 768, (i + 1) * 768).equals(sent[first + i]!), `buffer ${i}`);
    } finally {
      clearInterval(timer);
      producer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sink to source across two pipelines, and H.264 through the bus into an MP4', { timeout: 120000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-gst-'));
    const name = uniqueName('h264');
    try {
      const reader = launch(['vidbussrc', `stream=${name}`, 'follow=true', 'policy=every', 'timeout=3000', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${dir}/out.mp4`], 90000);
      await new Promise((r) => setTimeout(r, 500));
      await launch(['videotestsrc', 'num-buffers=60', '!', 'video/x-raw,width=320,height=240,framerate=30/1', '!', 'x264enc', 'tune=zerolatency', 'key-int-max=30', '!', 'video/x-h264,stream-format=byte-stream,alignment=au', '!', 'vidbussink', `stream=${name}`, 'slots=16']);
      await reader;
      const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,nb_read_frames', '-of', 'csv=p=0', `${dir}/out.mp4`], { encoding: 'utf8' });
      assert.equal(probe.stdout.trim(), 'h264,320,60', probe.stderr);
      assert.deepEqual(leftovers(name), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follow=true renegotiates across a kill -9 and a new size; without follow the pipeline fails cleanly', { timeout: 120000 }, async () => {
    const name = uniqueName('follow');
    const reader = spawn('gst-launch-1.0', ['-v', 'vidbussrc', `stream=${name}`, 'follow=true', 'timeout=4000', '!', 'fakesink', 'silent=false'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => reader.once('exit', resolve));
    const producerScript = (w: number, h: number) => [
      'videotestsrc',
      'is-live=true',
      '!',
      `video/x-raw,format=I420,width=${w},height=${h},framerate=30/1`,
      '!',
      'vidbussink',
      `stream=${name}`,
    ];
    try {
      const first = spawn('gst-launch-1.0', ['-q', ...producerScript(320, 240)], { env, stdio: 'ignore' });
      const deadline = Date.now() + 30000;
      while (!/width=\(int\)320/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const second = spawn('gst-launch-1.0', ['-q', ...producerScript(160, 120)], { env, stdio: 'ignore' });
      while (!/width=\(int\)160/.test(out) && Date.now() < deadline + 30000) await new Promise((r) => setTimeout(r, 100));
      second.kill('SIGINT');
      assert.match(out, /vidbussrc0.GstPad:src: caps = video\/x-raw, format=\(string\)I420, width=\(int\)160, height=\(int\)120/, 'renegotiated after the new producer');
      assert.ok((await exited) === 0, 'the pipeline ends with the timeout, cleanly');
      // Without follow: a producer that dies is an error, with the vidbus code, and a non-zero exit.
      const name2 = uniqueName('nofollow');
      const victim = spawn('gst-launch-1.0', ['-q', ...producerScript(64, 48).map((a) => a.replace(name, name2))], { env, stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1500));
      const strict = spawn('gst-launch-1.0', ['vidbussrc', `stream=${name2}`, '!', 'fakesink'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let errors = '';
      strict.stdout.on('data', (d: Buffer) => (errors += d.toString()));
      strict.stderr.on('data', (d: Buffer) => (errors += d.toString()));
      await new Promise((r) => setTimeout(r, 1500));
      victim.kill('SIGKILL');
      const code = await new Promise<number | null>((resolve) => strict.once('exit', resolve));
      assert.notEqual(code, 0);
      assert.match(errors, /ERR_PRODUCER_DIED/);
      assert.deepEqual(leftovers(name2), [], "the dead producer's files were reclaimed");
    } finally {
      reader.kill('SIGKILL');
    }
  });

  it('a slow downstream never stalls the producer; the source counts what it missed', { timeout: 60000 }, async () => {
    const name = uniqueName('slow');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'GRAY8', fps: 100, slots: 4 });
    let published = 0;
    const timer = setInterval(() => {
      if (producer.write(new Uint8Array(64 * 48)) !== null) published++;
    }, 10);
    try {
      const { stdout } = await run('gst-launch-1.0', ['-m', 'vidbussrc', `stream=${name}`, 'policy=every', 'num-buffers=20', '!', 'identity', 'sleep-time=100000', '!', 'fakesink'], { env, timeout: 30000 });
      const stats = [...stdout.matchAll(/vidbus-stats, .*?missed=\(guint64\)(\d+)/g)].map((m) => Number(m[1]));
      assert.ok(stats.length >= 1, `stats messages: ${stdout.slice(0, 500)}`);
      assert.ok(stats.at(-1)! > 0, 'frames it could not keep up with are counted');
      assert.ok(published >= 60, `the producer kept publishing at its rate: ${published}`);
      assert.equal(producer.stats().dropped, 0, 'and never dropped: the source holds at most what it passes downstream');
    } finally {
      clearInterval(timer);
      producer.close();
    }
  });
});
