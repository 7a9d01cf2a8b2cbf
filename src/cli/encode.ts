/**
 * `vidbus encode <input> --out <stream>`: a stage that reads a raw stream and
 * publishes an encoded one (H.264, HEVC or MJPEG), with a status line while
 * something reads the output. It idles while nothing does.
 */
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parseBitrate, parsePositive } from './usage.js';
import type { EncodeCodec, EncodeStageOptions, EncoderChoice } from '../encode/encode-stage.js';

const ENCODE_OPTIONS = {
  out: { type: 'string', value: 'STREAM', help: 'the encoded stream to publish (required)' },
  codec: { type: 'string', value: 'h264|hevc|mjpeg', help: 'what to make (default h264)' },
  bitrate: { type: 'string', value: 'RATE', help: 'bits per second, like 4M or 800k (default: constant quality)' },
  gop: { type: 'string', value: 'N', help: 'frames from one keyframe to the next (default 60)' },
  encoder: { type: 'string', value: 'auto|x264|x265|v4l2|turbojpeg', help: 'which encoder (default auto: a V4L2 encoder vidbus devices finds, else libx264, libx265, libjpeg-turbo)' },
  preset: { type: 'string', value: 'NAME', help: 'x264/x265 speed preset (default veryfast)' },
  profile: { type: 'string', value: 'baseline|main|high', help: 'H.264 profile (baseline for WebRTC viewers; default high)' },
  quality: { type: 'string', value: '1-100', help: 'MJPEG quality (default 85)' },
  'keyframe-gap': { type: 'string', value: 'MS', help: 'a reader that joins gets a keyframe within this (default 500)' },
  json: { type: 'boolean', default: false, help: 'one JSON progress line per second on stdout' },
} as const;

export function parseEncodeArgs(argv: string[]): { options: EncodeStageOptions; json: boolean } {
  const parsed = parseOptions(ENCODE_OPTIONS, argv, true);
  const [input, ...extra] = parsed.positionals;
  const v = parsed.values as Record<string, string | undefined>;
  if (!input) throw new UsageError('encode needs an input stream: vidbus encode cam0 --out cam0-h264');
  if (extra.length) throw new UsageError(`encode takes one input stream; received also ${extra.join(' ')}`);
  if (!v.out) throw new UsageError('encode needs --out <stream> for the encoded stream');
  const options: EncodeStageOptions = { input, output: v.out };
  if (v.codec !== undefined) options.codec = v.codec.toLowerCase() as EncodeCodec;
  if (v.encoder !== undefined) options.encoder = v.encoder as EncoderChoice;
  if (v.bitrate !== undefined) options.bitrate = parseBitrate('bitrate', v.bitrate);
  if (v.gop !== undefined) options.gop = parsePositive('gop', v.gop);
  if (v.preset !== undefined) options.preset = v.preset;
  if (v.profile !== undefined) options.profile = v.profile as 'baseline' | 'main' | 'high';
  if (v.quality !== undefined) options.quality = parsePositive('quality', v.quality);
  if (v['keyframe-gap'] !== undefined) options.keyframeGapMs = parsePositive('keyframe-gap', v['keyframe-gap']);
  return { options, json: parsed.values.json === true };
}

export const encodeCommand: Command = {
  name: 'encode',
  summary: 'Encode a raw stream into an H.264, HEVC or MJPEG stream (libx264, libx265, V4L2 m2m, libjpeg-turbo).',
  synopsis: ['<input> --out <stream> [--codec h264|hevc|mjpeg] [--bitrate 4M] [--gop 60] [--encoder auto|x264|x265|v4l2|turbojpeg] [--preset veryfast] [--profile baseline|main|high] [--quality 85] [--json]'],
  options: ENCODE_OPTIONS,
  examples: ['encode cam0 --out cam0-h264 --bitrate 4M', 'encode cam0 --out cam0-mjpeg --codec mjpeg --quality 80'],
  async run(argv, { signal }) {
    const { options, json } = parseEncodeArgs(argv);
    const { startEncodeStage } = await import('../encode/encode-stage.js');
    const stage = await startEncodeStage(options);
    const tty = process.stderr.isTTY === true;
    process.stderr.write(`vidbus encode: "${options.input}" -> "${options.output}" (${options.codec ?? 'h264'}); waiting for "${options.input}"\n`);
    stage.onNotice = (m) => process.stderr.write(`${tty ? '\n' : ''}vidbus encode: ${m}\n`);
    stage.onReady = (r) =>
      process.stderr.write(`${tty ? '\n' : ''}vidbus encode: ${r.input} ${r.width}x${r.height} -> ${r.codec} with ${r.encoder}; idle until something reads "${r.stream}"\n`);
    // The helper may have been ready before the callback was set (an input
    // that exists already): its event went by unheard, so say it now.
    if (stage.encoding) stage.onReady(stage.encoding);
    let last = 0;
    const timer = setInterval(() => {
      const s = stage.stats();
      const fps = s.frames - last;
      last = s.frames;
      if (json) process.stdout.write(`${JSON.stringify({ type: 'progress', fps, ...s })}\n`);
      else if (tty)
        process.stderr.write(
          `\r${s.idle ? 'idle (no readers)' : `${fps} fps`}  ${s.frames} frames  ${(s.bytes / 1e6).toFixed(2)} MB  ${s.keyframes} keyframes  encoder p50 ${(s.encoderP50Us / 1000).toFixed(2)} ms  ${s.dropped} dropped   `,
        );
    }, 1000);
    try {
      await untilStopped(signal, stage.done);
    } finally {
      clearInterval(timer);
      await stage.close();
    }
    const s = stage.stats();
    process.stderr.write(`${tty ? '\n' : ''}vidbus encode: stopped after ${s.frames} frames (${s.keyframes} keyframes, ${s.dropped} dropped)\n`);
  },
};
