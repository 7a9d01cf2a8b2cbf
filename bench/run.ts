/**
 * npm run bench: vidbus's consumer against its peers, in the same run, side
 * by side. Consumers are separate processes.
 *
 * Paced (30 and 60 fps, the way cameras publish), each producer paced on an
 * absolute clock grid, latency = the producer handing a frame over → the
 * consumer having it (CLOCK_MONOTONIC across processes), CPU = the
 * consumer's own user + system time per frame:
 * - vidbus: the C producer (libvidbus `vidbus-produce -z`, publishing its
 *   slots without drawing) and Node consumers (bench/consumer-bus.ts) with
 *   `for await` (the default), with `subscribe()`, and in the low-latency
 *   mode (`wakeup: 'poll'`, whose polling time per frame is printed);
 * - vidbus with `subscribe()` in a Node started with V8's tier-up budget
 *   cut (--interrupt-budget=2048), so TurboFan optimises the per-frame path
 *   within the warm-up instead of after a minute or more at 30-60 frames a
 *   second: evidence of what optimised code gives, not a mode to ship;
 * - the minimal JavaScript take (bench/consumer-minimal.ts): one function per
 *   wake that holds the newest frame, notes it and sleeps again, with no
 *   Frame, statistics or policy: the least a JavaScript bus consumer pays;
 * - the one-hop Node wake floor (bench/c/wake-floor.c → bench/consumer-wake.ts):
 *   a Node process woken through a wake socket exactly as a consumer is,
 *   with no bus logic: the least any Node consumer pays, so vidbus's own
 *   work per frame is its latency minus this;
 * - GStreamer `shmsink` → `shmsrc` and PipeWire `pipewiresink` → `pipewiresrc`
 *   (bench/c/gst-probe.c: `videotestsrc is-live=true` draws into the sink's
 *   own memory, a probe stamps each buffer as it reaches the sink, a C
 *   consumer times each buffer as it arrives); PipeWire runs in a private
 *   session (test/desktop/session.ts);
 * - a Node producer writing whole frames to Node consumers over a UNIX
 *   socket with `net` (what a Node developer would otherwise write);
 * - the C floor (bench/c/floor.c): a minimal C ring with a futex wake (its
 *   CPU column is all its processes).
 * The first 10 frames of every paced run are warm-up and not counted, in
 * latency or CPU (bench/frame-recorder.ts, bench/c/gst-probe.c).
 *
 * Paced producers: a Node producer (bench/producer-node.ts: loan() +
 * publish(), paced with setTimeout), the same Node loop publishing nothing
 * (what the pacing costs by itself), and libvidbus's producer
 * (`vidbus-produce -z -t`), each with one subscribe() consumer asleep on
 * its wake socket: how long a publish takes and the producer's CPU.
 *
 * Max rate: a Node producer publishing as fast as it can, against the
 * socket and the C floor; CPU there is producer + consumers per frame.
 *
 *   node dist/bench/run.js [--sizes 640x480,1920x1080,3840x2160] [--consumers 1,4] [--modes max,30,60] [--seconds 5] [--tables consumers,producers]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { closeSync, existsSync, ftruncateSync, openSync, rmSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProducer } from '../src/index.js';
import { percentile } from '../src/util/latency.js';
import { C_PRODUCE } from '../conformance/peers.js';
import { DesktopSession } from '../test/desktop/session.js';
import { benchFloor, floorBinary, type Row } from './floor.js';
import { numberOption, option } from './args.js';
import { WARM_UP_FRAMES } from './frame-recorder.js';
import { buildGstProbe, lastJsonLine, runGstPair, type ConsumerReport } from './gst-probe.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'bench', 'out');

const sizes = option('--sizes', '640x480,1920x1080,3840x2160').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const consumerCounts = option('--consumers', '1,4').split(',').map(Number);
const modes = option('--modes', 'max,30,60').split(',');
const seconds = numberOption('--seconds', 5);
/** which paced tables: consumers (the consumer against its peers), producers (the publish side) */
const tables = option('--tables', 'consumers,producers').split(',');
/** the paced rates of --modes (the rest is 'max') */
const pacedRates = modes.filter((m) => m !== 'max').map(Number);
const WARM_UP = WARM_UP_FRAMES;

/** A consumer's report; the low-latency mode adds what it spent polling. */
interface ChildReport extends ConsumerReport {
  lowLatency?: { spinUsPerFrame: number };
}

/** A measured row, with what the low-latency mode spent polling. */
interface Measured extends Row {
  spinUsPerFrame?: number;
}

const collect = (child: ChildProcess, what: string) => lastJsonLine<ChildReport>(child, '{"received"', what);

function waitForLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      if (!d.toString().includes(text)) return;
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
  });
}

/** Frames per second per consumer and the latency percentiles of `latencies`. */
function delivery(reports: ChildReport[], latencies: number[]): Omit<Row, 'cpuMsPerFrame'> {
  return {
    fps: reports.reduce((a, r) => a + r.received / Math.max(r.seconds, 1e-9), 0) / reports.length,
    p50Us: percentile(latencies, 0.5),
    p99Us: percentile(latencies, 0.99),
    maxUs: latencies.reduce((m, v) => (v > m ? v : m), 0),
  };
}

/** Latency and the consumers' own CPU over the frames after the warm-up. */
function summarizeConsumers(reports: ChildReport[], skip = WARM_UP): Measured {
  const spins = reports.map((r) => r.lowLatency?.spinUsPerFrame).filter((v): v is number => v !== undefined);
  return {
    ...delivery(
      reports,
      reports.flatMap((r) => r.latencies.slice(skip)),
    ),
    cpuMsPerFrame: reports.reduce((a, r) => a + r.cpuMs, 0) / Math.max(reports.reduce((a, r) => a + r.cpuFrames, 0), 1),
    spinUsPerFrame: spins.length ? spins.reduce((a, b) => a + b, 0) / spins.length : undefined,
  };
}

/** Max rate: latency, and producer + consumer CPU per delivered frame. */
function summarizeAll(reports: ChildReport[], producerCpuMs: number): Row {
  const delivered = reports.reduce((a, r) => a + r.received, 0) / reports.length;
  const consumerCpu = reports.reduce((a, r) => a + r.cpuMs, 0);
  return {
    ...delivery(
      reports,
      reports.flatMap((r) => r.latencies),
    ),
    cpuMsPerFrame: (producerCpuMs + consumerCpu / reports.length) / Math.max(delivered, 1),
  };
}

// ---------------------------------------------------------------- paced

const paced = (fps: number) => Math.round(seconds * fps) + WARM_UP;

/** vidbus: the C producer, `consumers` Node consumers (`script`, default bench/consumer-bus.js) with `args`, Node started with `nodeArgs`. */
async function pacedVidbus(w: number, h: number, consumers: number, fps: number, args: string[], script = 'consumer-bus.js', nodeArgs: string[] = []): Promise<Measured> {
  const name = `bench-${process.pid}`;
  const producer = spawn(C_PRODUCE, [name, '-s', `${w}x${h}`, '-f', 'RGBA', '-r', String(fps), '-n', String(paced(fps)), '-l', '8', '-w', String(consumers), '-z'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((r) => producer.once('exit', r));
  try {
    const children = Array.from({ length: consumers }, () =>
      spawn(process.execPath, [...nodeArgs, join(here, script), name, '--frames', String(paced(fps)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    return summarizeConsumers(await Promise.all(children.map((c) => collect(c, 'vidbus consumer'))));
  } finally {
    producer.kill('SIGKILL');
    await exited;
  }
}

/** The one-hop Node wake floor: one sender waking `consumers` processes in turn, as a producer does. */
async function pacedWakeFloor(consumers: number, fps: number): Promise<Measured> {
  const path = `/dev/shm/vidbus-bench-wake-${process.pid}`;
  const fd = openSync(path, 'w+');
  ftruncateSync(fd, 4096);
  closeSync(fd);
  try {
    const tokens = Array.from({ length: consumers }, () => randomBytes(8).toString('hex'));
    const children = tokens.map((token) =>
      spawn(process.execPath, [join(here, 'consumer-wake.js'), path, token, '--frames', String(paced(fps))], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    const ready = children.map((c) => waitForLine(c, '"ready"'));
    const reports = children.map((c) => collect(c, 'wake floor consumer'));
    await Promise.all(ready);
    const sender = spawn(join(out, 'wake-floor'), [path, String(fps), String(paced(fps)), ...tokens], { stdio: 'inherit' });
    await new Promise((r) => sender.once('exit', r));
    return summarizeConsumers(await Promise.all(reports));
  } finally {
    rmSync(path, { force: true });
  }
}

const testSource = (w: number, h: number, fps: number) =>
  `videotestsrc is-live=true pattern=black num-buffers=${paced(fps) + 20} ! video/x-raw,format=RGBA,width=${w},height=${h},framerate=${fps}/1`;

/** A gst-probe producer and a gst-probe consumer: the consumer's latency and its own CPU. */
async function gstPair(producer: string, consumer: string, fps: number, env: NodeJS.ProcessEnv, ready: () => Promise<void>): Promise<Measured> {
  const r = await runGstPair({ probe: gstProbe!, producer, consumer, produce: paced(fps) + 20, consume: paced(fps), env, ready });
  return summarizeConsumers([r.consumer]);
}

function pacedShm(w: number, h: number, fps: number): Promise<Measured> {
  const socket = join(tmpdir(), `vidbus-bench-shm-${process.pid}`);
  rmSync(socket, { force: true });
  const producer = `${testSource(w, h, fps)} ! shmsink name=probe socket-path=${socket} shm-size=${w * h * 4 * 8 + 65536} wait-for-connection=true sync=false`;
  const consumer = `shmsrc socket-path=${socket} is-live=true ! fakesink name=probe sync=false`;
  return gstPair(producer, consumer, fps, process.env, async () => {
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  }).finally(() => rmSync(socket, { force: true }));
}

let session: DesktopSession | undefined;
function pacedPipeWire(w: number, h: number, fps: number): Promise<Measured> {
  const node = `vidbus-bench-${process.pid}`;
  const producer = `${testSource(w, h, fps)} ! pipewiresink name=probe mode=provide stream-properties="props,node.name=${node},media.class=Video/Source" sync=false`;
  const consumer = `pipewiresrc target-object=${node} always-copy=false ! video/x-raw,format=RGBA,width=${w},height=${h},framerate=${fps}/1 ! fakesink name=probe sync=false`;
  return gstPair(producer, consumer, fps, session!.env, async () => {
    for (let i = 0; i < 100; i++) {
      const dump = spawnSync('pw-dump', [], { env: session!.env, encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
      if (dump.includes(`"node.name": "${node}"`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

// ---------------------------------------------------------------- producer

interface ProducerReport {
  published: number;
  dropped: number;
  cpuMs: number;
  cpuFrames: number;
  publishUs: number[];
}

/**
 * A paced producer (`command(name)`: vidbus-produce -t or
 * bench/producer-node.js on stream `name`) with one subscribe() consumer: the
 * producer's publish time and its CPU per frame.
 */
async function pacedProducer(fps: number, command: (name: string) => [string, string[]]): Promise<{ p50Us: number; p99Us: number; cpuMsPerFrame: number }> {
  const name = `bench-producer-${process.pid}`;
  const consumer = spawn(process.execPath, [join(here, 'consumer-bus.js'), name, '--api', 'subscribe', '--frames', String(paced(fps))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const consumed = collect(consumer, 'vidbus consumer');
  const [file, args] = command(name);
  const producer = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const r = await lastJsonLine<ProducerReport>(producer, '{"type":"summary"', 'paced producer');
    await consumed;
    if (r.dropped > 0) throw new Error(`the paced producer dropped ${r.dropped} frames`);
    return { p50Us: percentile(r.publishUs, 0.5), p99Us: percentile(r.publishUs, 0.99), cpuMsPerFrame: r.cpuMs / Math.max(r.cpuFrames, 1) };
  } finally {
    for (const child of [producer, consumer]) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- max rate

/** Publishes as fast as it can for `seconds`; returns [producer CPU ms, frames]. */
async function drive(publish: () => boolean | Promise<boolean>): Promise<[number, number]> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let frames = 0;
  while (performance.now() - started < seconds * 1000) {
    for (let i = 0; i < 64; i++) if (await publish()) frames++;
    await new Promise((r) => setImmediate(r));
  }
  const cpu = process.cpuUsage(cpu0);
  return [(cpu.user + cpu.system) / 1000, frames];
}

async function maxVidbus(w: number, h: number, consumers: number): Promise<Row> {
  const name = `bench-${process.pid}`;
  const producer = await createProducer(name, { width: w, height: h, format: 'RGBA', slots: 8 });
  const children = Array.from({ length: consumers }, () => spawn(process.execPath, [join(here, 'consumer-bus.js'), name], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const reports = Promise.all(children.map((c) => collect(c, 'vidbus consumer')));
  while (producer.stats().consumers < consumers) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  let n = 0;
  const [cpuMs] = await drive(() => {
    const frame = producer.loan();
    if (!frame) return false;
    frame.data[0] = n++ & 255; // touch the slot, as the C floor does
    producer.publish(frame);
    return true;
  });
  producer.close();
  return summarizeAll(await reports, cpuMs);
}

/** Whole frames over a UNIX socket; paced at `fps` or as fast as it goes (0). */
async function socketRow(w: number, h: number, consumers: number, fps: number): Promise<Row> {
  const frameBytes = w * h * 4;
  const path = join(tmpdir(), `vidbus-bench-${process.pid}.sock`);
  if (existsSync(path)) unlinkSync(path);
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(path, r));
  const children = Array.from({ length: consumers }, () =>
    spawn(process.execPath, [join(here, 'consumer-socket.js'), path, String(frameBytes), ...(fps > 0 ? ['--frames', String(paced(fps))] : [])], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const reports = Promise.all(children.map((c) => collect(c, 'socket consumer')));
  while (sockets.length < consumers) await new Promise((r) => setTimeout(r, 5));
  const frame = Buffer.alloc(frameBytes + 16);
  let seq = 0n;
  const send = async () => {
    frame.writeBigUInt64LE(++seq, 0);
    frame.writeBigUInt64LE(process.hrtime.bigint(), 8);
    await Promise.all(sockets.map((s) => (s.write(frame) ? null : new Promise((r) => s.once('drain', r)))));
    return true;
  };
  let cpuMs = 0;
  if (fps === 0) [cpuMs] = await drive(send);
  else {
    const period = 1000 / fps;
    const started = performance.now();
    for (let i = 0; i < paced(fps); i++) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + (i + 1) * period - performance.now())));
      await send();
    }
  }
  for (const s of sockets) s.end();
  const result = fps === 0 ? summarizeAll(await reports, cpuMs) : summarizeConsumers(await reports);
  server.close();
  return result;
}

// ---------------------------------------------------------------- report

const fmt = (v: number, digits = 0) => (v >= 100 ? v.toFixed(0) : v.toFixed(digits));
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const floorBin = floorBinary();
const gstProbe = buildGstProbe(root, out);
const wakeFloorBuilt = spawnSync('cc', ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', join(root, 'bench/c/wake-floor.c'), '-o', join(out, 'wake-floor')], { stdio: 'inherit' }).status === 0;
if (!existsSync(C_PRODUCE)) throw new Error('npm run bench needs libvidbus: make -C libvidbus');
const hasPipeWire = gstProbe !== undefined && spawnSync('sh', ['-c', 'command -v pipewire && command -v wireplumber && gst-inspect-1.0 pipewiresink'], { stdio: 'ignore' }).status === 0;
if (hasPipeWire && tables.includes('consumers') && pacedRates.length) session = await DesktopSession.start({ portal: false });

const missing = [!gstProbe && 'GStreamer (libgstreamer1.0-dev)', !hasPipeWire && 'PipeWire (pipewire, wireplumber, gstreamer1.0-pipewire)', !wakeFloorBuilt && 'the wake floor'].filter(Boolean);
console.log(`vidbus benchmark  node ${process.version}  load ${loadavg()[0]!.toFixed(2)}  ${seconds} s per run${missing.length ? `  (not measured, missing: ${missing.join(', ')})` : ''}`);

interface Targets {
  label: string;
  rows: Map<string, Measured>;
  fourConsumers?: Measured;
}
const targets: Targets[] = [];

try {
  for (const fps of tables.includes('consumers') ? pacedRates : []) {
    console.log(`\n**Paced, ${fps} fps** (consumer CPU: the consumer process alone; C floor: all its processes)\n`);
    console.log('| frame | consumers | transport | frames/s | p50 µs | p99 µs | max µs | consumer CPU ms/frame | p50 vs C floor |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [w, h] of sizes) {
      for (const consumers of consumerCounts) {
        const rows: [string, Measured][] = [
          ['vidbus, for await', await pacedVidbus(w, h, consumers, fps, [])],
          ['vidbus, subscribe()', await pacedVidbus(w, h, consumers, fps, ['--api', 'subscribe'])],
        ];
        if (consumers === 1) rows.push(['vidbus, low-latency mode', await pacedVidbus(w, h, consumers, fps, ['--api', 'subscribe', '--wakeup', 'poll'])]);
        if (consumers === 1) rows.push(['vidbus, subscribe(), optimised early', await pacedVidbus(w, h, consumers, fps, ['--api', 'subscribe'], 'consumer-bus.js', ['--interrupt-budget=2048'])]);
        if (consumers === 1) rows.push(['minimal JavaScript take', await pacedVidbus(w, h, consumers, fps, [], 'consumer-minimal.js')]);
        if (wakeFloorBuilt) rows.push(['Node one-hop wake floor', await pacedWakeFloor(consumers, fps)]);
        if (consumers === 1 && gstProbe) rows.push(['GStreamer shmsink → shmsrc', await pacedShm(w, h, fps)]);
        if (consumers === 1 && session) rows.push(['PipeWire pipewiresink → pipewiresrc', await pacedPipeWire(w, h, fps)]);
        rows.push(['net socket', await socketRow(w, h, consumers, fps)]);
        const floor = benchFloor(floorBin, w, h, consumers, 1000 / fps, seconds);
        rows.push(['C floor', floor]);
        for (const [name, r] of rows) {
          const spin = r.spinUsPerFrame !== undefined ? ` (polling ${fmt(r.spinUsPerFrame)} µs)` : '';
          console.log(
            `| ${w}x${h} | ${consumers} | ${name} | ${fmt(r.fps)} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${fmt(r.maxUs)} | ${r.cpuMsPerFrame.toFixed(3)}${spin} | ${ratio(r.p50Us, floor.p50Us)} |`,
          );
        }
        const label = `${w}x${h} ${fps} fps`;
        if (consumers === 1) targets.push({ label, rows: new Map(rows) });
        else if (consumers === 4) {
          const t = targets.find((x) => x.label === label);
          if (t) t.fourConsumers = rows[0]![1];
        }
      }
    }
  }
} finally {
  await session?.stop();
}

if (targets.length) {
  console.log('\n**The targets of issue 16, from the rows above (1 consumer unless said)**\n');
  console.log(
    '| run | own work p50 / p99 µs (for await − wake floor) | subscribe() own work p50 / p99 µs | subscribe() optimised early: own work p50 / p99 µs | minimal take\'s own work p50 / p99 µs | consumer CPU vs shm (for await, subscribe, minimal) | low-latency p50 vs shm | low-latency p99 vs shm | low-latency polling µs/frame | 4 consumers p50 vs 1 |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const t of targets) {
    const bus = t.rows.get('vidbus, for await')!;
    const sub = t.rows.get('vidbus, subscribe()')!;
    const fast = t.rows.get('vidbus, low-latency mode');
    const minimal = t.rows.get('minimal JavaScript take');
    const optimised = t.rows.get('vidbus, subscribe(), optimised early');
    const wake = t.rows.get('Node one-hop wake floor');
    const shm = t.rows.get('GStreamer shmsink → shmsrc');
    const own = (r: Measured) => (wake ? `${fmt(r.p50Us - wake.p50Us, 1)} / ${fmt(r.p99Us - wake.p99Us, 1)}` : 'n/a');
    console.log(
      `| ${t.label} | ${own(bus)} | ${own(sub)} | ${optimised ? own(optimised) : 'n/a'} | ${minimal ? own(minimal) : 'n/a'} | ${shm ? `${ratio(bus.cpuMsPerFrame, shm.cpuMsPerFrame)}, ${ratio(sub.cpuMsPerFrame, shm.cpuMsPerFrame)}${minimal ? `, ${ratio(minimal.cpuMsPerFrame, shm.cpuMsPerFrame)}` : ''}` : 'n/a'} | ${fast && shm ? ratio(fast.p50Us, shm.p50Us) : 'n/a'} | ${fast && shm ? ratio(fast.p99Us, shm.p99Us) : 'n/a'} | ${fast?.spinUsPerFrame !== undefined ? fmt(fast.spinUsPerFrame) : 'n/a'} | ${t.fourConsumers ? ratio(t.fourConsumers.p50Us, bus.p50Us) : 'n/a'} |`,
    );
  }
}

// The producer's side of a paced stream: its publish call and its CPU.
if (pacedRates.length && tables.includes('producers')) {
  console.log('\n**Producer, paced** (one Node consumer asleep on its wake socket, so every publish sends it a wake; publish µs: loan to the return of publish, without drawing; CPU: the producer process alone)\n');
  console.log('| frame | fps | producer | publish p50 µs | publish p99 µs | producer CPU ms/frame | p50 vs C |');
  console.log('|---|---|---|---|---|---|---|');
  for (const fps of pacedRates) {
    for (const [w, h] of sizes) {
      const c = await pacedProducer(fps, (name) => [C_PRODUCE, [name, '-s', `${w}x${h}`, '-f', 'RGBA', '-r', String(fps), '-n', String(paced(fps)), '-l', '8', '-w', '1', '-z', '-t']]);
      const node = (idle: string[]) => pacedProducer(fps, (name) => [process.execPath, [join(here, 'producer-node.js'), name, `${w}x${h}`, String(fps), String(paced(fps)), ...idle]]);
      const rows = [
        ['vidbus, Node loan() + publish()', await node([])],
        ['Node paced loop alone (no publish)', await node(['--idle'])],
        ['vidbus, C (libvidbus)', c],
      ] as const;
      for (const [name, r] of rows) {
        console.log(`| ${w}x${h} | ${fps} | ${name} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${r.cpuMsPerFrame.toFixed(3)} | ${ratio(r.p50Us, c.p50Us)} |`);
      }
    }
  }
}

if (modes.includes('max')) {
  console.log('\n**Max rate** (a Node producer publishing as fast as it can; CPU: producer + consumers per delivered frame)\n');
  console.log('| frame | consumers | transport | frames/s | p50 µs | p99 µs | max µs | CPU ms/frame (all) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [w, h] of sizes) {
    for (const consumers of consumerCounts) {
      const rows: [string, Row][] = [
        ['vidbus', await maxVidbus(w, h, consumers)],
        ['net socket', await socketRow(w, h, consumers, 0)],
        ['C floor', benchFloor(floorBin, w, h, consumers, 0, seconds)],
      ];
      for (const [name, r] of rows) {
        console.log(`| ${w}x${h} | ${consumers} | ${name} | ${fmt(r.fps)} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${fmt(r.maxUs)} | ${r.cpuMsPerFrame.toFixed(3)} |`);
      }
    }
  }
}
