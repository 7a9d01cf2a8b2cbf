/**
 * `vidbus view <stream>`: the stream live in a browser (H.264 decoded by
 * WebCodecs where the browser has it, MJPEG to an <img> otherwise, with its
 * stats), served on 127.0.0.1 with a random token in the URL.
 */
import { untilStopped } from '../util/signals.js';
import { parseOptions, type Command } from './command.js';
import { UsageError, parsePositive } from './usage.js';
import type { WebPreviewOptions } from '../sinks/web-preview.js';

const VIEW_OPTIONS = {
  port: { type: 'string', value: 'N', help: 'the port to listen on (default: any free one)' },
  host: { type: 'string', value: 'ADDRESS', help: 'the address to listen on (default 127.0.0.1)' },
  fps: { type: 'string', value: 'N', help: 'MJPEG: at most this many pictures a second (default 15; H.264 goes at the stream\'s rate)' },
  quality: { type: 'string', value: '1-100', help: 'JPEG quality of the MJPEG fallback (default 75)' },
  width: { type: 'string', value: 'N', help: 'scale down to at most this width (default 1280)' },
} as const;

export function parseViewArgs(argv: string[]): WebPreviewOptions {
  const parsed = parseOptions(VIEW_OPTIONS, argv, true);
  const [stream, ...extra] = parsed.positionals;
  if (!stream) throw new UsageError('view needs a stream name: vidbus view <stream>');
  if (extra.length) throw new UsageError(`view takes one stream; received also ${extra.join(' ')}`);
  const v = parsed.values as Record<string, string | undefined>;
  const options: WebPreviewOptions = { stream };
  if (v.host !== undefined) options.host = v.host;
  if (v.port !== undefined) {
    const port = Number(v.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be from 0 to 65535; received ${v.port}`);
    options.port = port;
  }
  if (v.fps !== undefined) options.fps = parsePositive('fps', v.fps);
  if (v.quality !== undefined) options.quality = parsePositive('quality', v.quality);
  if (v.width !== undefined) options.maxWidth = parsePositive('width', v.width);
  return options;
}

export const viewCommand: Command = {
  name: 'view',
  summary: 'Watch a stream in the browser (H.264 with WebCodecs, or MJPEG): prints a local URL with an access token.',
  synopsis: ['<stream> [--port 0] [--host 127.0.0.1] [--fps 15] [--quality 75] [--width 1280]'],
  options: VIEW_OPTIONS,
  examples: ['view cam0'],
  async run(argv, { signal }) {
    const options = parseViewArgs(argv);
    const { WebPreview } = await import('../sinks/web-preview.js');
    const preview = await WebPreview.start(options);
    if (options.host && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
      process.stderr.write(`vidbus view: listening on ${options.host}: anyone who can reach it and has the URL (with its token) can watch.\n`);
    }
    process.stdout.write(`${preview.url}\n`);
    process.stderr.write(`vidbus view: open the URL above in a browser (Ctrl-C to stop)\n`);
    await untilStopped(signal);
    await preview.close();
  },
};
