/**
 * npm run bench: vidbus against (a) whole frames over a UNIX socket with
 * `net`, what a Node developer would otherwise write, (b) the Node wake
 * floor: a Node process woken by a futex through vidbus's native waiter with
 * no bus logic (the least any Node consumer pays, paced modes only), and
 * (c) the floor, a minimal C shared-memory ring with a futex wake-up
 * (bench/c/floor.c), all in the same run, side by side. Consumers are
 * separate processes.
 *
 *   node dist/bench/run.js [--sizes 640x480,1920x1080,3840x2160] [--consumers 1,2,4] [--modes max,30,60] [--seconds 2]
 *
 * Latency is publish -> consumer has the frame (vidbus: the consumer's
 * callback; socket: the last byte arrived), CLOCK_MONOTONIC across
 * processes. CPU is user+sys of producer and consumers per delivered frame.
 */
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { closeSync, existsSync, ftruncateSync, openSync, unlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../src/index.js';
import { percentile } from '../src/util/latency.js';
import { futexWake, Mapping } from '../src/native/shm.js';
import { benchFloor, floorBinary, type Row } from './floor.js';

const here = dirname(fileURLToPath(import.meta.url));

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const sizes = arg('--sizes', '640x480,1920x1080,3840x2160').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const consumerCounts = arg('--consumers', '1,2,4').split(',').map(Number);
const modes = arg('--modes', 'max,30,60').split(',');
const seconds = Number(arg('--seconds', '2'));

interface ChildReport {
  received: number;
  seconds: number;
  cpuMs: number;
  latencies: number[];
}

function collect(child: ReturnType<typeof spawn>): Promise<ChildReport> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildReport) : reject(new Error(`bench consumer exited ${code}`)))),
  );
}

function summarize(reports: ChildReport[], producerCpuMs: number, published: number): Row {
  const all = reports.flatMap((r) => r.latencies);
  const delivered = reports.reduce((a, r) => a + r.received, 0) / reports.length;
  const consumerCpu = reports.reduce((a, r) => a + r.cpuMs, 0);
  return {
    fps: reports.reduce((a, r) => a + r.received / Math.max(r.seconds, 1e-9), 0) / reports.length,
    p50Us: percentile(all, 0.5),
    p99Us: percentile(all, 0.99),
    maxUs: all.reduce((m, v) => (v > m ? v : m), 0),
    cpuMsPerFrame: (producerCpuMs + consumerCpu / reports.length) / Math.max(delivered, 1),
    producerCpuMsPerFrame: producerCpuMs / Math.max(published, 1),
  };
}

/** Publishes for `seconds` (max rate) or paced frames; returns [producer CPU ms, frames]. */
async function drive(periodMs: number, publish: () => boolean | Promise<boolean>): Promise<[number, number]> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let frames = 0;
  if (periodMs === 0) {
    while (performance.now() - started < seconds * 1000) {
      for (let i = 0; i < 64; i++) if (await publish()) frames++;
      await new Promise((r) => setImmediate(r));
    }
  } else {
    const total = Math.round((seconds * 1000) / periodMs);
    for (let i = 0; i < total; i++) {
      const due = started + (i + 1) * periodMs;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      if (await publish()) frames++;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return [(cpu.user + cpu.system) / 1000, frames];
}

async function benchVidbus(w: number, h: number, consumers: number, periodMs: number): Promise<Row> {
  const name = `bench-${process.pid}`;
  const producer = await createProducer(name, { width: w, height: h, format: 'RGBA', slots: 8 });
  const children = Array.from({ length: consumers }, () => spawn(process.execPath, [join(here, 'consumer-bus.js'), name], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const reports = Promise.all(children.map(collect));
  while (producer.stats().consumers < consumers) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  let n = 0;
  const [cpuMs, frames] = await drive(periodMs, () => {
    const frame = producer.loan();
    if (!frame) return false;
    frame.data[0] = n++ & 255; // touch the slot, as the C floor does
    producer.publish(frame);
    return true;
  });
  producer.close();
  return summarize(await reports, cpuMs, frames);
}

async function benchSocket(w: number, h: number, consumers: number, periodMs: number): Promise<Row> {
  const frameBytes = w * h * 4;
  const path = join(tmpdir(), `vidbus-bench-${process.pid}.sock`);
  if (existsSync(path)) unlinkSync(path);
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(path, r));
  const children = Array.from({ length: consumers }, () =>
    spawn(process.execPath, [join(here, 'consumer-socket.js'), path, String(frameBytes)], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const reports = Promise.all(children.map(collect));
  while (sockets.length < consumers) await new Promise((r) => setTimeout(r, 5));
  const frame = Buffer.alloc(frameBytes + 16);
  let seq = 0n;
  const [cpuMs, frames] = await drive(periodMs, async () => {
    frame.writeBigUInt64LE(++seq, 0);
    frame.writeBigUInt64LE(process.hrtime.bigint(), 8);
    const pending = sockets.map((s) => (s.write(frame) ? null : new Promise((r) => s.once('drain', r))));
    await Promise.all(pending);
    return true;
  });
  for (const s of sockets) s.end();
  const result = summarize(await reports, cpuMs, frames);
  server.close();
  return result;
}

/** The Node wake floor: futex -> native waiter thread -> event loop, no bus logic. */
async function benchNodeWake(consumers: number, periodMs: number): Promise<Row> {
  const path = `/dev/shm/vidbus-bench-wake-${process.pid}`;
  const fd = openSync(path, 'w+');
  ftruncateSync(fd, 4096);
  const mapping = new Mapping(fd, 4096, true);
  const i32 = new Int32Array(mapping.buffer);
  const i64 = new BigInt64Array(mapping.buffer);
  const children = Array.from({ length: consumers }, () => spawn(process.execPath, [join(here, 'consumer-waiter.js'), path], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const reports = Promise.all(children.map(collect));
  await new Promise((r) => setTimeout(r, 300));
  // Paced only: at max rate this would measure a busy loop, not a wake.
  const [cpuMs, frames] = await drive(periodMs, () => {
    Atomics.store(i64, 1, process.hrtime.bigint());
    Atomics.add(i32, 0, 1);
    futexWake(mapping.buffer, 0);
    return true;
  });
  Atomics.store(i32, 1, 1);
  futexWake(mapping.buffer, 0);
  const result = summarize(await reports, cpuMs, frames);
  mapping.release();
  closeSync(fd);
  unlinkSync(path);
  return result;
}

const fmt = (v: number, digits = 0) => (v >= 100 ? v.toFixed(0) : v.toFixed(digits));
const bin = floorBinary();
console.log(`vidbus benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${seconds} s per run`);
console.log('');
console.log('| frame | consumers | mode | transport | frames/s | p50 µs | p99 µs | max µs | CPU ms/frame (all) | p50 vs floor |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [w, h] of sizes) {
  for (const consumers of consumerCounts) {
    for (const mode of modes) {
      const periodMs = mode === 'max' ? 0 : 1000 / Number(mode);
      const floor = benchFloor(bin, w, h, consumers, periodMs, seconds);
      const bus = await benchVidbus(w, h, consumers, periodMs);
      const sock = await benchSocket(w, h, consumers, periodMs);
      const rows: [string, Row][] = [
        ['vidbus', bus],
        ['net socket', sock],
      ];
      if (periodMs > 0) rows.push(['Node wake floor', await benchNodeWake(consumers, periodMs)]);
      rows.push(['C floor', floor]);
      const label = mode === 'max' ? 'max rate' : `${mode} fps`;
      for (const [name, r] of rows) {
        console.log(
          `| ${w}x${h} | ${consumers} | ${label} | ${name} | ${fmt(r.fps)} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${fmt(r.maxUs)} | ${r.cpuMsPerFrame.toFixed(3)} | ${(r.p50Us / Math.max(floor.p50Us, 0.1)).toFixed(2)}x |`,
        );
      }
    }
  }
}
