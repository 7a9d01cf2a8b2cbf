/**
 * npm run bench:clients: the consumers in other languages, in one run.
 * Publish -> consumer latency at a paced rate (1080p RGBA, 30 fps) for a
 * C consumer (libvidbus), a Python consumer (the package, over libvidbus)
 * and the Node consumer, each fed by the same C producer, beside the C
 * floor (bench/c/floor.c: a minimal C ring with a futex wake, no bus
 * logic). The producer publishes its slots without filling them, as the
 * floor does, so that both measure the bus and the wake-up alone. Then the
 * most frames per second each client takes from a producer that publishes
 * as fast as it can (640x480 GRAY8), and Python's Producer.send() against
 * memcpy.
 *   npm run bench:clients [-- --seconds 5]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { consumeCommand, C_PRODUCE, type Lang, Peer, PYTHON } from '../conformance/peers.js';
import { benchFloor, floorBinary } from './floor.js';
import { numberOption } from './args.js';

const seconds = numberOption('--seconds', 5);
const root = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(C_PRODUCE)) {
  console.error('bench:clients needs libvidbus: make -C libvidbus');
  process.exit(1);
}

interface Result {
  received: number;
  p50Us: number;
  p99Us: number;
  fps: number;
}

/** A C producer and one consumer of `lang`; the consumer's own latency statistics. */
async function measure(lang: Lang, size: string, format: string, fps: number, policy: 'every' | 'latest'): Promise<Result> {
  const name = `bench-clients-${lang}-${process.pid}`;
  const frames = fps > 0 ? Math.round(seconds * fps) : 1_000_000;
  const consumer = new Peer(`${lang} consumer`, consumeCommand(lang, { name, policy, count: 10_000_000, timeoutMs: 3000, follow: true, statsOnly: true }));
  await consumer.waitFor('ready');
  // -z: slots are published as they are, as the floor publishes without writing the frame.
  const args = [name, '-s', size, '-f', format, '-r', String(fps), '-n', String(frames), '-l', '8', '-w', '1', '-z'];
  const started = process.hrtime.bigint();
  const producer = spawnSync(C_PRODUCE, args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  if (producer.status !== 0) throw new Error(`producer: ${producer.stderr}`);
  consumer.kill('SIGTERM');
  await consumer.finish(10000);
  const summary = consumer.lines.find((l) => l.type === 'summary');
  if (!summary) throw new Error(`${lang} consumer: no summary; ${consumer.stderr}`);
  const received = Number(summary.received);
  return { received, p50Us: Number(summary.p50Us), p99Us: Number(summary.p99Us), fps: received / elapsedS };
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
console.log(`vidbus clients benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${seconds} s per run`);
console.log('');
console.log('| paced 30 fps, 1920x1080 RGBA, 1 consumer | received | p50 µs | p99 µs | p50 vs C floor |');
console.log('|---|---|---|---|---|');
const floor = benchFloor(floorBinary(), 1920, 1080, 1, 1000 / 30, seconds);
const paced: [string, Result][] = [];
for (const lang of ['c', 'python', 'ts'] as Lang[]) paced.push([lang, await measure(lang, '1920x1080', 'RGBA', 30, 'every')]);
for (const [lang, r] of paced) {
  const label = { c: 'C consumer (libvidbus)', python: 'Python consumer (vidbus package)', ts: 'Node consumer' }[lang as 'c'];
  console.log(`| ${label} | ${r.received} | ${fmt(r.p50Us)} | ${fmt(r.p99Us)} | ${(r.p50Us / floor.p50Us).toFixed(2)}x |`);
}
console.log(`| C floor (no bus logic) | - | ${fmt(floor.p50Us)} | ${fmt(floor.p99Us)} | 1.00x |`);
console.log('');
console.log('| max rate, 640x480 GRAY8, producer in C | frames/s received | p50 µs |');
console.log('|---|---|---|');
for (const lang of ['c', 'python'] as Lang[]) {
  const r = await measure(lang, '640x480', 'GRAY8', 0, 'latest');
  console.log(`| ${lang === 'c' ? 'C consumer' : 'Python consumer'} | ${fmt(r.fps)} | ${fmt(r.p50Us)} |`);
}
console.log('');
const send = JSON.parse(spawnSync(PYTHON, [`${root}bench/py/send.py`, '1920', '1080', 'RGB24', '200'], { encoding: 'utf8' }).stdout) as { sendMs: number; memcpyHotMs: number; memcpyRingMs: number };
console.log('| Python, one 1920x1080 RGB24 frame from numpy | ms | send vs this |');
console.log('|---|---|---|');
console.log(`| Producer.send() | ${send.sendMs.toFixed(3)} | 1.00x |`);
console.log(`| memcpy into one buffer (hot in cache) | ${send.memcpyHotMs.toFixed(3)} | ${(send.sendMs / send.memcpyHotMs).toFixed(2)}x |`);
console.log(`| memcpy into 4 buffers in turn (a 4-slot ring's working set) | ${send.memcpyRingMs.toFixed(3)} | ${(send.sendMs / send.memcpyRingMs).toFixed(2)}x |`);
