/**
 * `vidbus record <stream> out.mp4`: encode a stream to H.264 in MP4 (or
 * write H.264 streams as they are), with progress, and a playable file on
 * Ctrl-C or when the producer ends. `vidbus convert in.h264 out.mp4`: an
 * Annex B elementary stream into MP4 without re-encoding.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VidbusError } from '../errors.js';
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parsePositive } from './usage.js';
import type { RecorderOptions } from '../sinks/recorder.js';

const RECORD_OPTIONS = {
  crf: { type: 'string', value: '0-51', help: 'x264 quality, lower is better (default 23)' },
  preset: { type: 'string', value: 'NAME', help: 'x264 speed preset (default veryfast)' },
} as const;

export function parseRecordArgs(argv: string[]): RecorderOptions {
  const parsed = parseOptions(RECORD_OPTIONS, argv, true);
  const values = parsed.values as Record<string, string | undefined>;
  const [stream, output, ...extra] = parsed.positionals;
  if (!stream || !output) throw new UsageError('record needs a stream and a file: vidbus record <stream> out.mp4');
  if (extra.length) throw new UsageError(`record takes a stream and a file; received also ${extra.join(' ')}`);
  const options: RecorderOptions = { stream, output };
  if (values.crf !== undefined) {
    const crf = Number(values.crf);
    if (!Number.isInteger(crf) || crf < 0 || crf > 51) throw new UsageError(`--crf must be an integer from 0 to 51; received ${values.crf}`);
    options.crf = crf;
  }
  if (values.preset !== undefined) options.preset = values.preset;
  return options;
}

export const recordCommand: Command = {
  name: 'record',
  summary: 'Record a stream to MP4 (H.264), playable even after Ctrl-C.',
  synopsis: ['<stream> out.mp4 [--crf 23] [--preset veryfast]'],
  options: RECORD_OPTIONS,
  examples: ['record cam0 meeting.mp4'],
  async run(argv, { signal }) {
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
    try {
      await untilStopped(signal, recorder.done);
      await recorder.close();
    } finally {
      clearInterval(timer);
    }
    process.stderr.write(`${tty ? '\n' : ''}vidbus record: wrote ${options.output}: ${line()}\n`);
  },
};

const CONVERT_OPTIONS = { fps: { type: 'string', default: '30', value: 'N', help: 'the frame rate to stamp on the MP4 (default 30)' } } as const;

export function parseConvertArgs(argv: string[]): { input: string; output: string; fps: number } {
  const parsed = parseOptions(CONVERT_OPTIONS, argv, true);
  const [input, output, ...extra] = parsed.positionals;
  if (!input || !output || extra.length) throw new UsageError('convert needs an input and an output: vidbus convert in.h264 out.mp4 [--fps 30]');
  return { input, output, fps: parsePositive('fps', parsed.values.fps as string, true) };
}

export const convertCommand: Command = {
  name: 'convert',
  summary: 'An H.264 Annex B file into MP4, without re-encoding.',
  synopsis: ['in.h264 out.mp4 [--fps 30]'],
  options: CONVERT_OPTIONS,
  run: (argv) => convert(argv),
};

async function convert(argv: string[]): Promise<void> {
  const args = parseConvertArgs(argv);
  if (!existsSync(args.input)) throw new VidbusError('ERR_INVALID_OPTION', `${args.input} does not exist`);
  const { requireTool } = await import('../util/ffmpeg.js');
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
