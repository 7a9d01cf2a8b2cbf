/**
 * `vidbus receive <stream>`: a consumer that reports fps, publish-to-receive
 * latency and missed frames, and can write what it receives to a file
 * (raw frames, or the encoded bitstream as received: Annex B for H.264).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { withTimeout } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parsePositive } from './usage.js';

export interface ReceiveArgs {
  stream: string;
  output?: string;
  count?: number;
  timeoutS?: number;
  statsOnly: boolean;
  json: boolean;
  policy: 'latest' | 'every';
}

const RECEIVE_OPTIONS = {
  output: { type: 'string', short: 'o', value: 'FILE', help: 'write frames as received (raw frames, or the encoded bitstream); implies --every' },
  count: { type: 'string', short: 'c', value: 'N', help: 'stop after N frames (exit 1 if the timeout comes first)' },
  timeout: { type: 'string', short: 't', value: 'SECONDS', help: 'stop after this long' },
  every: { type: 'boolean', default: false, help: 'every frame in order, counting the ones missed (default: the newest)' },
  'stats-only': { type: 'boolean', default: false, help: 'only the statistics' },
  json: { type: 'boolean', default: false, help: 'one JSON line per second and a summary on stdout' },
} as const;

export function parseReceiveArgs(argv: string[]): ReceiveArgs {
  const parsed = parseOptions(RECEIVE_OPTIONS, argv, true);
  const [stream, ...extra] = parsed.positionals;
  if (!stream) throw new UsageError('receive needs a stream name: vidbus receive <stream>');
  if (extra.length) throw new UsageError(`receive takes one stream; received also ${extra.join(' ')}`);
  const v = parsed.values as Record<string, string | boolean | undefined> & { output?: string; count?: string; timeout?: string };
  if (v.output !== undefined && v['stats-only']) throw new UsageError('--stats-only and -o exclude each other');
  const out: ReceiveArgs = { stream, statsOnly: v['stats-only'] === true, json: v.json === true, policy: v.every || v.output !== undefined ? 'every' : 'latest' };
  if (v.output !== undefined) out.output = v.output;
  if (v.count !== undefined) out.count = parsePositive('count', v.count);
  if (v.timeout !== undefined) out.timeoutS = parsePositive('timeout', v.timeout, true);
  return out;
}

export const receiveCommand: Command = {
  name: 'receive',
  summary: 'Consume a stream: fps, latency, missed frames; -o saves it.',
  synopsis: ['<stream> [-o FILE] [-c COUNT] [-t SECONDS] [--every] [--stats-only] [--json]'],
  options: RECEIVE_OPTIONS,
  examples: ['receive cam0 -c 100 --json'],
  run: (argv, { signal }) => receive(argv, signal),
};

/** Returns the exit code: 0, or 1 when the timeout passed before `count` frames. */
async function receive(argv: string[], signal: AbortSignal): Promise<number> {
  const args = parseReceiveArgs(argv);
  const { openConsumer } = await import('../bus/consumer.js');
  const { formatInfo } = await import('../video/formats.js');
  const consumer = await openConsumer(args.stream, { policy: args.policy });
  const file = args.output !== undefined ? openSync(args.output, 'w') : undefined;
  const stop = withTimeout(signal, args.timeoutS !== undefined ? args.timeoutS * 1000 : undefined);
  const tty = process.stderr.isTTY === true;
  let received = 0;
  let bytes = 0;
  let lastSecond = 0;
  const startedMs = Date.now();
  const report = (type: 'progress' | 'summary') => {
    const s = consumer.stats();
    const line = { type, received, fps: type === 'progress' ? lastSecond : +(received / Math.max(0.001, (Date.now() - startedMs) / 1000)).toFixed(2), missed: s.missed, bytes, latency: { p50Ms: +(s.latency.p50Us / 1000).toFixed(3), p99Ms: +(s.latency.p99Us / 1000).toFixed(3) } };
    if (args.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else if (type === 'summary' || tty) {
      process.stderr.write(`${tty && type === 'progress' ? '\r' : ''}${line.received} frames  ${line.fps} fps  latency p50 ${line.latency.p50Ms} ms p99 ${line.latency.p99Ms} ms  missed ${line.missed}${file !== undefined ? `  ${bytes} bytes written` : ''}${type === 'summary' ? '\n' : '   '}`);
    }
  };
  let counted = 0;
  const ticker = setInterval(() => {
    lastSecond = received - counted;
    counted = received;
    report('progress');
  }, 1000);
  try {
    for (;;) {
      if (args.count !== undefined && received >= args.count) break;
      let frame;
      try {
        frame = await consumer.next({ signal: stop });
      } catch (e) {
        // Stopped (signal, timeout), or the producer ended or died: report what was received.
        const code = (e as { code?: string }).code;
        if (code === 'ERR_ABORTED' || code === 'ERR_STREAM_ENDED' || code === 'ERR_PRODUCER_DIED') break;
        throw e;
      }
      if (!frame) break;
      try {
        received++;
        if (file !== undefined) {
          // Raw frames whole (planes and padding as laid out); encoded frames as received.
          const data = formatInfo(frame.format).encoded ? frame.data.subarray(0, frame.size) : frame.data.subarray(0, frame.layout.frameBytes);
          writeSync(file, data);
          bytes += data.length;
        }
      } finally {
        frame.release();
      }
    }
  } finally {
    clearInterval(ticker);
    if (file !== undefined) closeSync(file);
    report('summary');
    consumer.close();
  }
  return args.count !== undefined && received < args.count ? 1 : 0;
}
