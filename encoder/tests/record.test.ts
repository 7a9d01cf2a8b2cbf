/**
 * `vidbus record` of encoded bus streams, without re-encoding: the frames'
 * own capture times become the file's timing (here 25 fps timestamps on a
 * stream published at 30 fps wall time, so a recorder that assumed the
 * nominal rate would be caught), ffprobe's frame count matches what the
 * recorder says it wrote, and Ctrl-C leaves a playable MP4. H.264 and HEVC.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../../src/index.js';
import { startEncodeStage } from '../../src/encode/encode-stage.js';
import { sleep } from '../../src/util/clock.js';
import { uniqueName } from '../../test/helpers.js';

const helper = fileURLToPath(new URL('../../../encoder/build/vidbus-encode', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = !existsSync(helper) ? 'vidbus-encode is not built (make -C encoder)' : false;
const dir = mkdtempSync(join(tmpdir(), 'vidbus-record-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const codec of ['h264', 'hevc'] as const) {
  describe(`vidbus record of an ${codec} bus stream`, { skip, timeout: 90_000 }, () => {
    it('copies the bitstream with the bus timestamps; Ctrl-C leaves a playable file whose frame count matches', async () => {
      const input = uniqueName('rec-in');
      const output = uniqueName('rec-out');
      const producer = await createProducer(input, { width: 320, height: 240, format: 'I420', fps: 30 });
      const picture = new Uint8Array(producer.layout.frameBytes).fill(128);
      let n = 0;
      // Capture times 40 ms apart (25 fps), published every 33 ms.
      const timer = setInterval(() => {
        picture.fill(n & 0xff, 0, 320 * 240);
        producer.write(picture, { timestamp: 7_000_000_000n + BigInt(n++) * 40_000_000n });
      }, 33);
      const stage = await startEncodeStage({ input, output, codec, gop: 15 });
      const file = join(dir, `out-${codec}.mp4`);
      const recorder = spawn(process.execPath, [cli, 'record', output, file], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      recorder.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      try {
        await stage.ready();
        // Recording has begun once the stage has a reader and frames flow.
        for (let i = 0; i < 100 && stage.stats().frames < 45; i++) await sleep(100);
        assert.ok(stage.stats().frames >= 45, `the stage encoded for the recorder: ${JSON.stringify(stage.stats())}`);
        const exited = new Promise<number | null>((r) => recorder.once('exit', r));
        recorder.kill('SIGINT');
        assert.equal(await exited, 0, err);
      } finally {
        recorder.kill('SIGKILL');
        clearInterval(timer);
        await stage.close();
        producer.close();
      }
      const written = Number(/ (\d+) frames/.exec(err.split('wrote')[1] ?? '')?.[1]);
      assert.ok(written >= 40, `the recorder reports its frames: ${err}`);
      const probe = JSON.parse(
        execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,width,height,nb_read_packets:format=duration', '-of', 'json', file]).toString(),
      ) as { streams: { codec_name: string; width: number; height: number; nb_read_packets: string }[]; format: { duration: string } };
      const s = probe.streams[0]!;
      assert.deepEqual([s.codec_name, s.width, s.height], [codec, 320, 240]);
      assert.equal(Number(s.nb_read_packets), written, 'every frame the recorder wrote is in the file');
      const times = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]).toString().trim().split('\n').map(Number).sort((a, b) => a - b);
      const steps = times.slice(1).map((t, i) => t - times[i]!);
      // Capture times 40 ms apart; a frame the encode stage skipped (it takes the newest picture when busy) leaves a gap of whole 40 ms steps.
      const multiples = steps.map((d) => d / 0.04);
      assert.ok(
        multiples.every((m) => Math.round(m) >= 1 && Math.abs(m - Math.round(m)) < 0.04),
        `whole 40 ms steps between frames, from the bus timestamps (not 1/30 s): ${steps.slice(0, 8).join(', ')}`,
      );
      assert.ok(multiples.filter((m) => Math.round(m) === 1).length >= steps.length / 2, `mostly single steps: ${steps.join(', ')}`);
      const span = times[times.length - 1]! - times[0]! + 0.04;
      assert.ok(Math.abs(Number(probe.format.duration) - span) < 0.1, `duration ${probe.format.duration} s for frames spanning ${span.toFixed(3)} s`);
      // Playable: every frame decodes.
      const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
      assert.equal(decoded.trim(), '');
    });
  });
}
