import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseStreamArgs } from './stream.js';
import { parseViewArgs } from './view.js';
import { UsageError } from './usage.js';
import { createProducer } from '../bus/producer.js';
import { uniqueName } from '../../test/helpers.js';

const cli = fileURLToPath(new URL('./main.js', import.meta.url));

describe('vidbus stream arguments', () => {
  it('parses a camera request', () => {
    assert.deepEqual(parseStreamArgs(['--device', '/dev/video0', '--name', 'cam0']), { camera: { device: '/dev/video0', name: 'cam0', io: 'auto' }, json: false });
    assert.deepEqual(parseStreamArgs(['--device', '/dev/video2', '--name', 'c', '--format', 'MJPEG', '--size', '640x480', '--fps', '12.5', '--io', 'mmap', '--buffers', '6', '--decode', 'RGBA', '--follow', '--json']), {
      camera: { device: '/dev/video2', name: 'c', io: 'mmap', format: 'MJPEG', width: 640, height: 480, fps: 12.5, buffers: 6, decode: 'RGBA', follow: true },
      json: true,
    });
  });
  it('says what is wrong', () => {
    assert.throws(() => parseStreamArgs(['--name', 'x']), (e) => e instanceof UsageError && /--device/.test(e.message));
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
