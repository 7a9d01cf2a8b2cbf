/**
 * GStreamer pipelines timed by bench/c/gst-probe.c, shared by `npm run
 * bench` (the shm and PipeWire peers) and `npm run bench:gstreamer`
 * (vidbussink -> vidbussrc against shmsink -> shmsrc).
 *
 * A pair is a stamping producer pipeline and a measuring consumer pipeline,
 * each with an element named `probe`. The producer writes the monotonic
 * clock into each buffer as it reaches its sink; the consumer reads it back
 * as each buffer reaches its probe. Both report their CPU from their first
 * buffer on, so GStreamer's start-up is not charged to the transport.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** What the measuring side reports. */
export interface ConsumerReport {
  received: number;
  seconds: number;
  /** CPU over the last `cpuFrames` frames (the first ones are warm-up) */
  cpuMs: number;
  cpuFrames: number;
  latencies: number[];
}

/** What the stamping side reports. */
export interface ProducerReport {
  stamped: number;
  seconds: number;
  cpuMs: number;
  cpuFrames: number;
}

/** Builds gst-probe into `outDir`; undefined when GStreamer's headers are missing. */
export function buildGstProbe(root: string, outDir: string): string | undefined {
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'gstreamer-1.0'], { encoding: 'utf8' });
  if (flags.status !== 0) return undefined;
  const bin = join(outDir, 'gst-probe');
  const r = spawnSync('cc', ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', join(root, 'bench/c/gst-probe.c'), ...flags.stdout.trim().split(/\s+/), '-o', bin], { stdio: 'inherit' });
  return r.status === 0 ? bin : undefined;
}

/** The child's last stdout line as JSON, if it starts with `prefix` and the child exited 0. */
export function lastJsonLine<T>(child: ChildProcess, prefix: string, what: string): Promise<T> {
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      const last = text.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith(prefix)) resolve(JSON.parse(last) as T);
      else reject(new Error(`${what} exited ${code}: ${text.slice(-300)}`));
    }),
  );
}

export interface PairOptions {
  probe: string;
  producer: string;
  consumer: string;
  /** Buffers the producer stamps at most (its source should also stop there: num-buffers). */
  produce: number;
  /** Buffers the consumer waits for; it also ends 3 s after the last one. */
  consume: number;
  env: NodeJS.ProcessEnv;
  /** Resolves once the producer is ready for the consumer to start (the consumer starts first when undefined). */
  ready?: () => Promise<void>;
}

/**
 * Runs a pair. Without `ready` the consumer starts first (a vidbussrc that
 * follows its stream waits for it); with it, the producer starts first.
 * The producer is stopped (SIGTERM, which it reports on) once the consumer
 * is done. shm areas a stopped shmsink leaves behind are removed.
 */
export async function runGstPair(o: PairOptions): Promise<{ producer: ProducerReport; consumer: ConsumerReport }> {
  const startConsumer = () => spawn(o.probe, ['measure', String(o.consume), o.consumer], { env: o.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let consumer: ChildProcess | undefined = o.ready ? undefined : startConsumer();
  const producer = spawn(o.probe, ['stamp', String(o.produce), o.producer], { env: o.env, stdio: ['ignore', 'pipe', 'ignore'] });
  const producerReport = lastJsonLine<ProducerReport>(producer, '{"stamped"', 'gst-probe producer');
  producerReport.catch(() => undefined);
  try {
    if (o.ready) {
      await o.ready();
      consumer = startConsumer();
    }
    const consumerReport = await lastJsonLine<ConsumerReport>(consumer!, '{"received"', 'gst-probe consumer');
    if (producer.exitCode === null) producer.kill('SIGTERM');
    return { producer: await producerReport, consumer: consumerReport };
  } finally {
    if (producer.exitCode === null && producer.signalCode === null) {
      producer.kill('SIGKILL');
      await new Promise((r) => producer.once('exit', r));
    }
    if (consumer && consumer.exitCode === null && consumer.signalCode === null) consumer.kill('SIGKILL');
    for (const f of readdirSync('/dev/shm')) if (f.startsWith(`shmpipe.${producer.pid}.`)) rmSync(join('/dev/shm', f), { force: true });
  }
}
