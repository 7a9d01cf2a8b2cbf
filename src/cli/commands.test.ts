import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseStreamArgs } from './stream.js';
import { parseViewArgs } from './view.js';
import { parseReceiveArgs } from './receive.js';
import { parseListArgs } from './list.js';
import { parseConvertArgs, parseRecordArgs } from './record.js';
import { parseDemoArgs } from './demo.js';
import { parseFxArgs } from './fx.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './usage.js';
import { createProducer } from '../bus/producer.js';
import { uniqueName } from '../../test/helpers.js';

const cli = fileURLToPath(new URL('./main.js', import.meta.url));

describe('vidbus stream arguments', () => {
  it('parses a camera request', () => {
    assert.deepEqual(parseStreamArgs(['--device', '/dev/video0', '--name', 'cam0']), { source: { kind: 'camera', options: { device: '/dev/video0', name: 'cam0', io: 'auto' } }, json: false });
    assert.deepEqual(parseStreamArgs(['--device', '/dev/video2', '--name', 'c', '--format', 'MJPEG', '--size', '640x480', '--fps', '12.5', '--io', 'mmap', '--buffers', '6', '--decode', 'RGBA', '--follow', '--json']), {
      source: { kind: 'camera', options: { device: '/dev/video2', name: 'c', io: 'mmap', format: 'MJPEG', width: 640, height: 480, fps: 12.5, buffers: 6, decode: 'RGBA', follow: true } },
      json: true,
    });
    assert.deepEqual(parseStreamArgs(['--pattern', '--name', 'p', '--size', '320x240', '--fps', '60', '--format', 'nv12']), {
      source: { kind: 'pattern', options: { name: 'p', width: 320, height: 240, fps: 60, format: 'NV12' } },
      json: false,
    });
    assert.deepEqual(parseStreamArgs(['--input', 'clip.mp4', '--name', 'f', '--loop']), { source: { kind: 'input', options: { name: 'f', input: 'clip.mp4', loop: true } }, json: false });
  });
  it('says what is wrong', () => {
    assert.throws(() => parseStreamArgs(['--name', 'x']), (e) => e instanceof UsageError && /exactly one source/.test(e.message));
    assert.throws(() => parseStreamArgs(['--pattern', '--device', 'd', '--name', 'x']), /exactly one source/);
    assert.throws(() => parseStreamArgs(['--pattern', '--name', 'x', '--follow']), /applies to --device only/);
    assert.throws(() => parseStreamArgs(['--pattern', '--name', 'x', '--loop']), /applies to --input only/);
    assert.throws(() => parseStreamArgs(['--pattern', '--name', 'x', '--format', 'MJPEG']), /raw format/);
    assert.throws(() => parseStreamArgs(['--input', 'a.mp4', '--name', 'x', '--fps', '5']), /own rate/);
    assert.throws(() => parseStreamArgs(['--device', '/dev/video0']), (e) => e instanceof UsageError && /--name/.test(e.message));
    assert.throws(() => parseStreamArgs(['--device', 'd', '--name', 'n', '--size', '640']), /1280x720/);
    assert.throws(() => parseStreamArgs(['--device', 'd', '--name', 'n', '--io', 'dma']), /auto, userptr or mmap/);
    assert.throws(() => parseStreamArgs(['--device', 'd', '--name', 'n', '--fps=-3']), /positive/);
    assert.throws(() => parseStreamArgs(['--device', 'd', '--name', 'n', '--frobnicate']), UsageError);
  });
});

describe('vidbus view', () => {
  it('parses its arguments', () => {
    assert.deepEqual(parseViewArgs(['cam0']), { stream: 'cam0' });
    assert.deepEqual(parseViewArgs(['cam0', '--port', '8080', '--host', '::1', '--fps', '10', '--quality', '90', '--width', '640']), { stream: 'cam0', port: 8080, host: '::1', fps: 10, quality: 90, maxWidth: 640 });
    assert.throws(() => parseViewArgs([]), /stream name/);
    assert.throws(() => parseViewArgs(['a', 'b']), /one stream/);
    assert.throws(() => parseViewArgs(['a', '--port', '70000']), /65535/);
  });

  it('prints a URL that serves the stream, refuses without the token, and stops on SIGINT', async () => {
    const name = uniqueName('cli-view');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'RGBA' });
    const child = spawn(process.execPath, [cli, 'view', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`view exited ${code}`)));
      });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
      assert.equal((await fetch(url)).status, 200);
      assert.equal((await fetch(url.replace(/\?token=.*/, ''))).status, 403);
      child.kill('SIGINT');
      const code = await new Promise((r) => child.once('exit', r));
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
      producer.close();
    }
    const missing = spawn(process.execPath, [cli, 'view', uniqueName('nope')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    missing.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    assert.equal(await new Promise((r) => missing.once('exit', r)), 3, 'a missing stream exits with 3');
    assert.match(stderr, /No stream named/);
  });
});

/** Runs the CLI to the end; resolves its exit code, stdout and stderr. */
function runCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('vidbus list and receive', () => {
  it('parses receive arguments', () => {
    assert.deepEqual(parseReceiveArgs(['cam0']), { stream: 'cam0', statsOnly: false, json: false, policy: 'latest' });
    assert.deepEqual(parseReceiveArgs(['cam0', '-o', 'x.raw', '-c', '10', '-t', '2.5', '--json']), { stream: 'cam0', output: 'x.raw', count: 10, timeoutS: 2.5, statsOnly: false, json: true, policy: 'every' });
    assert.throws(() => parseReceiveArgs(['cam0', '-o', 'x', '--stats-only']), /exclude/);
    assert.throws(() => parseReceiveArgs([]), /stream name/);
    assert.deepEqual(parseListArgs(['--watch']), { watch: true, json: false });
    assert.throws(() => parseListArgs(['--wath']), (e) => e instanceof UsageError && /Did you mean --watch\?/.test(e.message));
    assert.throws(() => parseStreamArgs(['--pattrn', '--name', 'x']), /Did you mean --pattern\?/);
  });

  it('lists a live stream, receives 100 frames with latency, writes frames to a file, and times out with status 1', async () => {
    const name = uniqueName('cli-recv');
    const producer = await createProducer(name, { width: 64, height: 48, format: 'RGBA', fps: 100 });
    const frame = new Uint8Array(producer.layout.frameBytes).fill(7);
    const timer = setInterval(() => producer.write(frame), 5);
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-recv-'));
    try {
      const listed = await runCli('list', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      const mine = (JSON.parse(listed.stdout) as Record<string, unknown>[]).find((s) => s.name === name)!;
      assert.deepEqual([mine.status, mine.format, mine.size, mine.producerPid], ['live', 'RGBA', '64x48', process.pid]);
      const got = await runCli('receive', name, '-c', '100', '--json');
      assert.equal(got.code, 0, got.stderr);
      const summary = got.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; received: number; latency: { p50Ms: number; p99Ms: number } }).find((l) => l.type === 'summary')!;
      assert.equal(summary.received, 100);
      assert.ok(summary.latency.p50Ms > 0 && summary.latency.p50Ms < 1000, JSON.stringify(summary));
      const out = join(dir, 'frames.raw');
      const saved = await runCli('receive', name, '-o', out, '-c', '10');
      assert.equal(saved.code, 0, saved.stderr);
      const bytes = readFileSync(out);
      assert.equal(bytes.length, 10 * 64 * 48 * 4);
      assert.ok(bytes.every((b) => b === 7), 'the frames as published');
      clearInterval(timer);
      const late = await runCli('receive', name, '-c', '1000', '-t', '0.5', '--stats-only');
      assert.equal(late.code, 1, 'fewer frames than asked for before the timeout');
      assert.match(late.stderr, /frames/);
    } finally {
      clearInterval(timer);
      producer.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const none = await runCli('receive', uniqueName('absent'));
    assert.equal(none.code, 3);
  });
});

describe('vidbus demo, record and convert arguments', () => {
  it('parses them and says what is wrong', () => {
    const d = parseDemoArgs(['--size', '640x480', '--fps', '15', '--seconds', '2.5', '--name', 'd']);
    assert.deepEqual(d, { width: 640, height: 480, fps: 15, seconds: 2.5, name: 'd' });
    assert.equal(parseDemoArgs([]).width, 1280);
    assert.throws(() => parseDemoArgs(['--size', '641x480']), /even/);
    assert.throws(() => parseDemoArgs(['--second', '3']), /Did you mean --seconds\?/);
    assert.deepEqual(parseRecordArgs(['cam0', 'out.mp4', '--crf', '18', '--preset', 'fast']), { stream: 'cam0', output: 'out.mp4', crf: 18, preset: 'fast' });
    assert.throws(() => parseRecordArgs(['cam0']), /stream and a file/);
    assert.throws(() => parseRecordArgs(['cam0', 'a.mp4', '--crf', '60']), /0 to 51/);
    assert.deepEqual(parseConvertArgs(['in.h264', 'out.mp4']), { input: 'in.h264', output: 'out.mp4', fps: 30 });
    assert.deepEqual(parseConvertArgs(['in.h264', 'out.mp4', '--fps', '29.97']), { input: 'in.h264', output: 'out.mp4', fps: 29.97 });
    assert.throws(() => parseConvertArgs(['in.h264']), /input and an output/);
  });
});

describe('vidbus fx arguments', () => {
  it('parses one effect and refuses none or two', () => {
    assert.deepEqual(parseFxArgs(['cam0', '--out', 'fx', '--blur', '12']), { options: { input: 'cam0', output: 'fx', effect: { blur: 12 } }, json: false });
    assert.deepEqual(parseFxArgs(['cam0', '--out', 'fx', '--background-color', '#00ff00', '--format', 'yuyv', '--model', 'landscape']), {
      options: { input: 'cam0', output: 'fx', effect: { color: '#00ff00' }, format: 'YUYV', model: 'landscape' },
      json: false,
    });
    assert.deepEqual(parseFxArgs(['cam0', '--out', 'fx', '--blur', '8', '--brightness', '10', '--contrast', '1.1']).options.effect, { blur: 8, brightness: 10, contrast: 1.1 });
    assert.throws(() => parseFxArgs(['cam0', '--out', 'fx', '--blur', '8', '--contrast', 'high']), /must be a number/);
    assert.throws(() => parseFxArgs(['cam0', '--out', 'fx']), /exactly one/);
    assert.throws(() => parseFxArgs(['cam0', '--out', 'fx', '--blur', '3', '--background', 'a.png']), /exactly one/);
    assert.throws(() => parseFxArgs(['cam0', '--blur', '3']), /--out/);
    assert.throws(() => parseFxArgs(['cam0', '--out', 'fx', '--blurr', '3']), /Did you mean --blur\?/);
  });
});
