/**
 * `vidbus publish <stream> --to <url>`: send a stream to a media server
 * (a Janus streaming mountpoint over RTP, or an RTSP server), encoding raw
 * streams to H.264 first, and keep sending when the server restarts.
 */
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parseBitrate, parsePositive } from './usage.js';
import type { PublisherOptions } from '../sinks/publisher.js';
import type { EncoderChoice } from '../encode/encode-stage.js';

const PUBLISH_OPTIONS = {
  to: { type: 'string', value: 'URL', help: 'rtp://HOST:PORT (a Janus streaming mountpoint) or rtsp://HOST:PORT/PATH (required)' },
  bitrate: { type: 'string', value: 'RATE', help: 'raw streams: H.264 bit rate, like 2.5M (default 2.5M)' },
  gop: { type: 'string', value: 'N', help: 'raw streams: frames between keyframes (default 30)' },
  encoder: { type: 'string', value: 'auto|x264|v4l2', help: 'raw streams: the H.264 encoder (default auto)' },
  pt: { type: 'string', value: '96-127', help: 'RTP payload type the receiver expects (default 96)' },
} as const;

export function parsePublishArgs(argv: string[]): PublisherOptions {
  const parsed = parseOptions(PUBLISH_OPTIONS, argv, true);
  const [stream, ...extra] = parsed.positionals;
  const v = parsed.values as Record<string, string | undefined>;
  if (!stream) throw new UsageError('publish needs a stream: vidbus publish cam0 --to rtp://127.0.0.1:5004');
  if (extra.length) throw new UsageError(`publish takes one stream; received also ${extra.join(' ')}`);
  if (!v.to) throw new UsageError('publish needs --to <url>: rtp://HOST:PORT or rtsp://HOST:PORT/PATH');
  const options: PublisherOptions = { stream, to: v.to };
  if (v.bitrate !== undefined) options.bitrate = parseBitrate('bitrate', v.bitrate);
  if (v.gop !== undefined) options.gop = parsePositive('gop', v.gop);
  if (v.encoder !== undefined) options.encoder = v.encoder as EncoderChoice;
  if (v.pt !== undefined) options.payloadType = parsePositive('pt', v.pt);
  return options;
}

export const publishCommand: Command = {
  name: 'publish',
  summary: 'Send a stream to a media server: RTP to a Janus mountpoint, or RTSP; raw streams are encoded to H.264 first.',
  synopsis: ['<stream> --to rtp://HOST:PORT|rtsp://HOST:PORT/PATH [--bitrate 2.5M] [--gop 30] [--encoder auto|x264|v4l2] [--pt 96]'],
  options: PUBLISH_OPTIONS,
  examples: ['publish cam0 --to rtp://127.0.0.1:5004', 'publish cam0-h264 --to rtsp://127.0.0.1:8554/cam0'],
  async run(argv, { signal }) {
    const options = parsePublishArgs(argv);
    const { Publisher } = await import('../sinks/publisher.js');
    const publisher = await Publisher.start(options);
    publisher.onNotice = (m) => process.stderr.write(`vidbus publish: ${m}\n`);
    const s0 = publisher.stats();
    process.stderr.write(`vidbus publish: "${options.stream}"${s0.encoding ? ' (encoded to H.264)' : ''} -> ${publisher.destination} (Ctrl-C to stop)\n`);
    const tty = process.stderr.isTTY === true;
    let last = 0;
    const timer = setInterval(() => {
      const s = publisher.stats();
      if (tty) process.stderr.write(`\r${s.sending ? `${s.frames - last} fps` : 'waiting'}  ${s.frames} frames  ${(s.bytes / 1e6).toFixed(2)} MB  ${s.restarts} restarts   `);
      last = s.frames;
    }, 1000);
    try {
      await untilStopped(signal, publisher.done);
    } finally {
      clearInterval(timer);
      const s = await publisher.close();
      process.stderr.write(`${tty ? '\n' : ''}vidbus publish: sent ${s.frames} frames (${(s.bytes / 1e6).toFixed(2)} MB), ${s.restarts} restarts\n`);
    }
  },
};
