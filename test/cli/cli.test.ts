/**
 * The vidbus command line end to end, each command a real child process
 * against real streams and real ffmpeg: stream (pattern and file) with
 * receive, record to MP4 checked by ffprobe, convert of an Annex B file,
 * and the demo starting and stopping cleanly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '../helpers.js';
import { probeVideo } from '../../src/util/ffmpeg.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;
const needsFfmpeg = haveFfmpeg ? false : 'ffmpeg is not installed (scripts/setup.sh installs it)';

function start(...args: string[]): ChildProcess & { lines: Record<string, unknown>[]; err: () => string } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let err = '';
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not JSON
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return Object.assign(child, { lines, err: () => err });
}

const exit = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c))));

async function until(what: string, check: () => boolean, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function streaming(name: string, ...args: string[]) {
  const producer = start('stream', '--name', name, ...args, '--json');
  await until('the stream', () => producer.lines.some((l) => l.type === 'progress' && (l.published as number) > 0));
  return producer;
}

describe('vidbus CLI end to end', () => {
  it('stream --pattern, then receive -c 100 --json reports 100 frames with plausible latency', async () => {
    const name = uniqueName('cli-pattern');
    const producer = await streaming(name, '--pattern', '--size', '320x240', '--fps', '100', '--format', 'NV12');
    try {
      const receiver = start('receive', name, '-c', '100', '--json', '--every');
      assert.equal(await exit(receiver), 0, receiver.err());
      const summary = receiver.lines.find((l) => l.type === 'summary') as { received: number; missed: number; latency: { p50Ms: number; p99Ms: number } };
      assert.equal(summary.received, 100);
      assert.ok(summary.latency.p50Ms > 0 && summary.latency.p50Ms < 100, JSON.stringify(summary));
    } finally {
      producer.kill('SIGINT');
      assert.equal(await exit(producer), 0, producer.err());
    }
    assert.ok(!readdirSync('/dev/shm').includes(`vidbus-${name}`), 'the stream is removed on SIGINT');
  });

  it('record writes an MP4 that ffprobe reads with the right size, frames and codec, finished on SIGINT', { skip: needsFfmpeg }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-rec-'));
    const name = uniqueName('cli-rec');
    const producer = await streaming(name, '--pattern', '--size', '320x240', '--fps', '30');
    try {
      const out = join(dir, 'out.mp4');
      const recorder = start('record', name, out);
      await until('frames recorded', () => /vidbus record: stream/.test(recorder.err()), 30000);
      await new Promise((r) => setTimeout(r, 2000));
      recorder.kill('SIGINT');
      assert.equal(await exit(recorder), 0, recorder.err());
      const written = Number(/: [\d.]+ s {2}(\d+) frames/.exec(recorder.err())?.[1]);
      const probed = probeVideo(out, { count: true });
      assert.deepEqual([probed.width, probed.height, probed.codec], [320, 240, 'h264']);
      assert.ok(written > 20, `frames written: ${written}`);
      assert.equal(probed.frames, written, 'every frame written is in the file');
    } finally {
      producer.kill('SIGINT');
      await exit(producer);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('convert turns an Annex B H.264 file into an MP4 with the same frames; stream --input plays a file onto the bus', { skip: needsFfmpeg }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-conv-'));
    try {
      const h264 = join(dir, 'in.h264');
      // No B-frames, as live encoders send (raw H.264 carries no timestamps to reorder them by).
      const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-frames:v', '50', '-c:v', 'libx264', '-bf', '0', '-f', 'h264', h264]);
      assert.equal(made.status, 0, made.stderr?.toString());
      const mp4 = join(dir, 'out.mp4');
      const converted = start('convert', h264, mp4, '--fps', '25');
      assert.equal(await exit(converted), 0, converted.err());
      const probed = probeVideo(mp4, { count: true });
      assert.deepEqual([probed.codec, probed.frames, probed.width], ['h264', 50, 160]);
      const bad = start('convert', join(dir, 'missing.h264'), mp4);
      assert.equal(await exit(bad), 2);

      const name = uniqueName('cli-input');
      const producer = await streaming(name, '--input', mp4, '--format', 'RGBA', '--loop');
      try {
        const receiver = start('receive', name, '-c', '30', '--json', '--every');
        assert.equal(await exit(receiver), 0, receiver.err());
        const listed = start('list', '--json');
        await exit(listed);
        const mine = (listed.lines[0] as unknown as Record<string, unknown>[]).find((s) => s.name === name)!;
        assert.deepEqual([mine.format, mine.size, mine.fps], ['RGBA', '160x120', 25]);
      } finally {
        producer.kill('SIGINT');
        assert.equal(await exit(producer), 0, producer.err());
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo starts, reports, and stops cleanly with nothing left behind', async () => {
    const before = readdirSync('/dev/shm').filter((f) => f.startsWith('vidbus-'));
    const demo = spawn(process.execPath, [cli, 'demo', '--size', '320x240', '--seconds', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    demo.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the demo to report', () => /consumer: \d+ fps/.test(out) && /preview: open http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(out));
    demo.kill('SIGINT');
    assert.equal(await exit(demo), 0);
    assert.match(out, /nothing left behind/);
    assert.deepEqual(readdirSync('/dev/shm').filter((f) => f.startsWith('vidbus-')), before);
  });
});

describe('vidbus fx end to end', () => {
  const PERSON = fileURLToPath(new URL('../../../test/fixtures/downloaded/astronaut.png', import.meta.url));
  it('blurs a stream for a reader, and stops cleanly', { skip: existsSync(PERSON) ? false : 'the person photo is missing (scripts/setup.sh fetches it)', timeout: 120000 }, async () => {
    const input = uniqueName('cli-fx-in');
    const output = uniqueName('cli-fx-out');
    const producer = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/picture-producer.js', import.meta.url)), input, PERSON, 'YUYV', '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => createInterface({ input: producer.stdout! }).once('line', () => resolve()));
    const fx = start('fx', input, '--out', output, '--blur', '10', '--json');
    try {
      await until('the output stream', () => readdirSync('/dev/shm').includes(`vidbus-${output}`), 60000);
      const receiver = start('receive', output, '-c', '10', '--json', '--every');
      assert.equal(await exit(receiver), 0, receiver.err());
      const summary = receiver.lines.find((l) => l.type === 'summary') as { received: number };
      assert.equal(summary.received, 10);
      await until('fx to report progress', () => fx.lines.some((l) => l.type === 'progress' && (l.processed as number) >= 10), 30000);
    } finally {
      fx.kill('SIGINT');
      assert.equal(await exit(fx), 0, fx.err());
      producer.kill('SIGTERM');
      await exit(producer);
    }
    assert.ok(!readdirSync('/dev/shm').includes(`vidbus-${output}`), 'the output stream is removed');
    assert.ok(!readdirSync('/dev/shm').includes(`vidbus-${input}`), 'the input stream is removed');
  });
});
