/**
 * `vidbus record <stream> out.mp4`: encode a stream to H.264 in MP4 (or
 * write H.264 streams as they are), with progress, and a playable file on
 * Ctrl-C or when the producer ends. `vidbus convert in.h264 out.mp4`: an
 * Annex B elementary stream into MP4 without re-encoding.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VidbusError } from '../errors.js';
import { UsageError, parseArgs, parsePositive } from './usage.js';
import type { RecorderOptions } from '../sinks/recorder.js';

export function parseRecordArgs(argv: string[]): RecorderOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { crf: { type: 'string' }, preset: { type: 'string' } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [stream, output, ...extra] = parsed.positionals;
  if (!stream || !output) throw new UsageError('record needs a stream and a file: vidbus record <stream> out.mp4');
  if (extra.length) throw new UsageError(`record takes a stream and a file; received also ${extra.join(' ')}`);
  const options: RecorderOptions = { stream, output };
  if (parsed.values.crf !== undefined) {
    const crf = Number(parsed.values.crf);
    if (!Number.isInteger(crf) || crf < 0 || crf > 51) throw new UsageError(`--crf must be an integer from 0 to 51; received ${parsed.values.crf}`);
    options.crf = crf;
  }
  if (parsed.values.preset !== undefined) options.preset = parsed.values.preset;
  return options;
}

export async function record(argv: string[]): Promise<void> {
  const options = parseRecordArgs(argv);
  const { Recorder } = await import('../sinks/recorder.js');
  const recorder = await Recorder.start(options);
  process.stderr.write(`vidbus record: stream "${options.stream}" -> ${options.output} (Ctrl-C to finish the file)\n`);
  const tty = process.stderr.isTTY === true;
  const line = () => {
    const s = recorder.stats();
    return `${s.seconds.toFixed(1)} s  ${s.frames} frames  ${(s.bytes / 1e6).toFixed(2)} MB  ${s.fps.toFixed(1)} fps  ${s.dropped} dropped`;
  };
  const timer = setInterval(() => tty && process.stderr.write(`\r${line()}   `), 1000);
  const onSignal = () => void recorder.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await recorder.done;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.stderr.write(`${tty ? '\n' : ''}vidbus record: wrote ${options.output}: ${line()}\n`);
}

export function parseConvertArgs(argv: string[]): { input: string; output: string; fps: number } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { fps: { type: 'string', default: '30' } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [input, output, ...extra] = parsed.positionals;
  if (!input || !output || extra.length) throw new UsageError('convert needs an input and an output: vidbus convert in.h264 out.mp4 [--fps 30]');
  return { input, output, fps: parsePositive('fps', parsed.values.fps!, true) };
}

export async function convert(argv: string[]): Promise<void> {
  const args = parseConvertArgs(argv);
  if (!existsSync(args.input)) throw new VidbusError('ERR_INVALID_OPTION', `${args.input} does not exist`);
  const { requireTool } = await import('../sources/ffmpeg-tool.js');
  requireTool('ffmpeg');
  // An elementary stream has no timestamps: give it the frame rate, copy the bitstream as it is.
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'h264', '-framerate', String(args.fps), '-i', args.input, '-c:v', 'copy', '-movflags', '+faststart', args.output], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  ffmpeg.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => ffmpeg.once('exit', resolve));
  if (code !== 0) throw new VidbusError('ERR_TOOL_FAILED', `ffmpeg could not convert ${args.input} (is it an H.264 Annex B stream?): ${stderr.trim()}`);
  process.stderr.write(`vidbus convert: wrote ${args.output}\n`);
}
