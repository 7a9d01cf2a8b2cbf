/**
 * `vidbus view <stream>`: the stream live in a browser (MJPEG to an <img>,
 * with its stats), served on 127.0.0.1 with a random token in the URL.
 */
import { UsageError, parseArgs, parsePositive } from './usage.js';
import type { WebPreviewOptions } from '../sinks/web-preview.js';

export function parseViewArgs(argv: string[]): WebPreviewOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { host: { type: 'string' }, port: { type: 'string' }, fps: { type: 'string' }, quality: { type: 'string' }, width: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [stream, ...extra] = parsed.positionals;
  if (!stream) throw new UsageError('view needs a stream name: vidbus view <stream>');
  if (extra.length) throw new UsageError(`view takes one stream; received also ${extra.join(' ')}`);
  const v = parsed.values;
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

export async function view(argv: string[]): Promise<void> {
  const options = parseViewArgs(argv);
  const { WebPreview } = await import('../sinks/web-preview.js');
  const preview = await WebPreview.start(options);
  if (options.host && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    process.stderr.write(`vidbus view: listening on ${options.host}: anyone who can reach it and has the URL (with its token) can watch.\n`);
  }
  process.stdout.write(`${preview.url}\n`);
  process.stderr.write(`vidbus view: open the URL above in a browser (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await preview.close();
}
