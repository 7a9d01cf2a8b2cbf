/**
 * Every example in examples/ runs, briefly, as a user would run it: the
 * producer and the consumer together across processes, and the demo.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { uniqueName } from './helpers.js';

const dir = fileURLToPath(new URL('../examples/', import.meta.url));
const encoder = fileURLToPath(new URL('../../encoder/build/vidbus-encode', import.meta.url));
const run = promisify(execFile);

describe('examples', () => {
  it('every example has a test here', () => {
    const examples = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
    assert.deepEqual(examples, ['consumer.js', 'demo.js', 'encode.js', 'producer.js']);
  });

  it('producer.js and consumer.js talk across processes', async () => {
    const name = uniqueName('example');
    const consumer = spawn(process.execPath, [`${dir}consumer.js`, name, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: { received: number; fps: number }[] = [];
    createInterface({ input: consumer.stdout }).on('line', (l) => lines.push(JSON.parse(l)));
    const exited = new Promise<number | null>((resolve) => consumer.once('exit', resolve));
    try {
      const { stdout } = await run(process.execPath, [`${dir}producer.js`, name, '2'], { timeout: 20000 });
      assert.match(stdout, /published: \d+/, 'the producer prints its stats');
      const published = Number(/published: (\d+)/.exec(stdout)![1]);
      assert.ok(published >= 40, `about 60 frames in 2 s; published ${published}`);
      // The consumer follows: it waits for the next producer until told to stop.
      const deadline = Date.now() + 5000;
      while (!lines.some((l) => l.received > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(lines.some((l) => l.received >= 20), `the consumer received frames: ${JSON.stringify(lines)}`);
    } finally {
      consumer.kill('SIGTERM');
      assert.equal(await exited, 0, 'the consumer stops cleanly on SIGTERM');
    }
  });

  it('encode.js encodes a pattern to H.264 and records it without re-encoding', { skip: existsSync(encoder) ? false : 'vidbus-encode is not built (make -C encoder)' }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vidbus-example-')), 'pattern.mp4');
    try {
      const { stdout } = await run(process.execPath, [`${dir}encode.js`, out, '2'], { timeout: 30000 });
      assert.match(stdout, /encoding RGBA 640x360 to H264 with libx264/);
      const recorded = Number(/recorded (\d+) frames/.exec(stdout)?.[1]);
      assert.ok(recorded >= 30, stdout);
      const probe = (await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,width,height,nb_read_packets', '-of', 'csv=p=0', out])).stdout.trim();
      assert.equal(probe, `h264,640,360,${recorded}`);
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });

  it('demo.js runs the main job and cleans up', async () => {
    const { stdout } = await run(process.execPath, [`${dir}demo.js`, '--seconds', '3', '--size', '320x240', '--name', uniqueName('demo')], { timeout: 30000 });
    assert.match(stdout, /test pattern @ 30 fps/);
    assert.match(stdout, /preview: open http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    assert.match(stdout, /consumer: [\d.]+ fps, received \d+/);
    assert.match(stdout, /nothing left behind/);
  });
});
