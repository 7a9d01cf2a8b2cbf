/**
 * `vidbus stream --<source> ...`: publish to a bus stream from any
 * registered source (a camera with --device, a test pattern with
 * --pattern, anything ffmpeg reads with --input, and whatever registers
 * later), with a live status line (fps, frames, drops, consumers) on
 * stderr, or one JSON line per second on stdout with --json. The options
 * and usage come from the source registry (src/sources/source.ts).
 */
import { invalidOption } from '../util/options.js';
import { untilStopped } from '../util/signals.js';
import { sourceKinds, type CommonSourceArgs, type SourceKind } from '../sources/builtin.js';
import type { Command, CliOptions } from './command.js';
import { parseOptions } from './command.js';
import { UsageError, parsePositive, parseSize } from './usage.js';

export interface StreamArgs {
  /** the chosen kind and the options it made from the command line */
  source: { kind: string; options: object };
  json: boolean;
}

const COMMON: CliOptions = {
  name: { type: 'string', value: 'STREAM', help: 'the stream to publish (required)' },
  size: { type: 'string', value: 'WxH', help: 'frame size (sources that scale or negotiate)' },
  fps: { type: 'string', value: 'N', help: 'frames per second (sources with a rate of their own refuse it)' },
  format: { type: 'string', value: 'FORMAT', help: 'pixel format on the bus (RGBA, NV12, YUYV, MJPEG, ...)' },
  json: { type: 'boolean', default: false, help: 'one JSON progress line per second on stdout' },
};

const flagOf = (k: SourceKind) => k.flag ?? k.kind;
/** ' <camera>', or ' [auto|x11[:DISPLAY]]' when the flag may be given alone. */
const argumentText = (k: SourceKind) => (!k.argument ? '' : k.argumentDefault !== undefined ? ` [${k.argument}]` : ` <${k.argument}>`);

/** Every option `vidbus stream` takes now: the common ones, each kind's flag, each kind's own. */
function streamOptions(): CliOptions {
  const options: CliOptions = { ...COMMON };
  for (const k of sourceKinds()) {
    options[flagOf(k)] = k.argument ? { type: 'string', value: argumentText(k).trim(), help: k.summary } : { type: 'boolean', help: k.summary };
    for (const [name, o] of Object.entries(k.options)) {
      // Kinds may share an option (--follow): one entry, naming every flag it applies to.
      const users = sourceKinds().filter((other) => name in other.options).map((other) => `--${flagOf(other)}`);
      options[name] ??= { type: o.type, ...(o.value ? { value: o.value } : {}), help: `${o.help} (${users.join(', ')})` };
    }
  }
  return options;
}

function describeKinds(kinds: SourceKind[]): string {
  const flags = kinds.map((k) => `--${flagOf(k)}${argumentText(k)}`);
  return flags.length > 1 ? `${flags.slice(0, -1).join(', ')}, or ${flags.at(-1)}` : flags.join('');
}

/** `--screen` alone becomes `--screen auto`: string flags with a default may be given without a value. */
function withArgumentDefaults(argv: string[], kinds: SourceKind[]): string[] {
  const out = [...argv];
  for (const k of kinds) {
    if (k.argumentDefault === undefined) continue;
    const i = out.indexOf(`--${flagOf(k)}`);
    if (i >= 0 && (i + 1 === out.length || out[i + 1]!.startsWith('--'))) out.splice(i + 1, 0, k.argumentDefault);
  }
  return out;
}

export function parseStreamArgs(argv: string[]): StreamArgs {
  const kinds = sourceKinds();
  const { values: v } = parseOptions(streamOptions(), withArgumentDefaults(argv, kinds));
  const chosen = kinds.filter((k) => v[flagOf(k)] !== undefined && v[flagOf(k)] !== false);
  if (chosen.length !== 1) throw new UsageError(`stream needs exactly one source: ${describeKinds(kinds)}`);
  const kind = chosen[0]!;
  for (const other of kinds) {
    if (other === kind) continue;
    const misplaced = Object.keys(other.options).filter((name) => !(name in kind.options) && v[name] !== undefined && v[name] !== false);
    if (misplaced.length) throw new UsageError(`${misplaced.map((m) => `--${m}`).join(', ')} applies to --${flagOf(other)} only`);
  }
  if (typeof v.name !== 'string' || v.name === '') throw new UsageError('stream needs --name <stream>');
  const common: CommonSourceArgs = { name: v.name };
  if (typeof v.size === 'string') Object.assign(common, parseSize('size', v.size));
  if (typeof v.fps === 'string') common.fps = parsePositive('fps', v.fps, true);
  if (typeof v.format === 'string') common.format = v.format.toUpperCase();
  const own = Object.fromEntries(Object.keys(kind.options).map((name) => [name, v[name]]));
  const main = v[flagOf(kind)];
  if (main === '') throw invalidOption(`--${flagOf(kind)}`, `a ${kind.argument}`, main);
  return { source: { kind: kind.kind, options: kind.fromCli(main as string | true, common, own) }, json: v.json === true };
}

export const streamCommand: Command = {
  name: 'stream',
  summary: 'Publish to a bus stream from a source: a camera, a test pattern, a file or URL, ...',
  get synopsis() {
    return sourceKinds().map((k) => `--${flagOf(k)}${argumentText(k)} --name <stream> [--size WxH] [--fps N] [--format F] [--json]${Object.keys(k.options).length ? ` [${Object.keys(k.options).map((o) => `--${o}`).join('] [')}]` : ''}`);
  },
  get options() {
    return streamOptions();
  },
  examples: ['stream --pattern --name test --size 640x480', 'stream --screen x11::1 --name desk --region 0,0,1280,720 --fps 30', 'stream --device /dev/video0 --name cam0 --size 1280x720 --fps 30', 'stream --input clip.mp4 --name clip --loop'],
  async run(argv, { signal }) {
    const args = parseStreamArgs(argv);
    const { createSource } = await import('../sources/builtin.js');
    const { inspectStream } = await import('../bus/streams.js');
    const tty = process.stderr.isTTY === true;
    const source = await createSource(args.source.kind, args.source.options);
    source.onNotice = (line) => process.stderr.write(`${tty ? '\n' : ''}vidbus stream: ${line}\n`);
    process.stderr.write(`vidbus stream: ${source.description} -> stream "${source.stream}"\n`);
    let last = { published: 0, at: Date.now() };
    let ticks = 0;
    const timer = setInterval(() => {
      const s = source.stats();
      const now = Date.now();
      const rate = ((s.published - last.published) * 1000) / Math.max(1, now - last.at);
      last = { published: s.published, at: now };
      let consumers = 0;
      try {
        consumers = inspectStream(source.stream).consumers.length;
      } catch {
        // the stream is being replaced or removed
      }
      if (args.json) process.stdout.write(`${JSON.stringify({ type: 'progress', fps: +rate.toFixed(2), ...s, consumers })}\n`);
      else if (tty) process.stderr.write(`\r${rate.toFixed(1)} fps  ${s.published} frames  ${s.dropped} dropped  ${consumers} consumer(s)   `);
      else if (++ticks % 10 === 0) process.stderr.write(`vidbus stream: ${rate.toFixed(1)} fps, ${s.published} frames, ${s.dropped} dropped, ${consumers} consumer(s)\n`);
    }, 1000);
    try {
      await untilStopped(signal, source.done);
    } finally {
      clearInterval(timer);
      await source.close();
      const s = source.stats();
      if (args.json) process.stdout.write(`${JSON.stringify({ type: 'summary', ...s })}\n`);
      process.stderr.write(`${tty ? '\n' : ''}vidbus stream: stopped after ${s.published} frames (${s.dropped} dropped)\n`);
    }
  },
};
