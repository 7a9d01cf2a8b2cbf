/**
 * A live preview of a bus stream in the browser: a small HTTP server on
 * 127.0.0.1 serving a page, the stream as H.264 over a WebSocket for pages
 * that decode it with WebCodecs (web-preview-h264.ts), as MJPEG
 * (multipart/x-mixed-replace, which an <img> plays natively) for the rest,
 * and its stats as JSON. A random token in
 * the URL keeps other local users and web pages out; the Host header is
 * checked too, so a hostile page cannot reach it through DNS rebinding.
 * Frames are encoded only while someone watches, at most `fps` a second,
 * and a slow viewer skips frames instead of building up latency.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { VidbusError, isVidbusError } from '../errors.js';
import { followExistingStream, type Consumer } from '../bus/consumer.js';
import { checkInteger, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { monoNs } from '../util/clock.js';
import { LatencyWindow } from '../util/latency.js';
import { JpegEncoder } from '../native/jpeg.js';
import { formatInfo, frameLayout, type FrameLayout } from '../video/formats.js';
import { FrameFitter } from '../video/frame-fitter.js';
import { previewPage } from './web-preview-page.js';
import { H264Feed, type H264FeedStats } from './web-preview-h264.js';

/** Options of WebPreview.start(). */
export interface WebPreviewOptions {
  /** the bus stream to show */
  stream: string;
  /** address to listen on (default 127.0.0.1: this machine only) */
  host?: string;
  /** port (default 0: any free port) */
  port?: number;
  /** most frames per second sent to viewers (default 15) */
  fps?: number;
  /** JPEG quality 1..100 (default 75) */
  quality?: number;
  /** widest picture sent (default 1280; the stream is scaled down to fit) */
  maxWidth?: number;
}

const OPTIONS = ['stream', 'host', 'port', 'fps', 'quality', 'maxWidth'] as const;
const BOUNDARY = 'vidbusframe';
/** A viewer with more than this many bytes unsent skips frames. */
const MAX_BACKLOG_BYTES = 2 * 1024 * 1024;

/** What the preview is showing and to how many viewers. */
export interface WebPreviewStats {
  /** the stream shown */
  stream: string;
  /** a producer is attached */
  connected: boolean;
  /** the stream's format, while connected */
  format: string | undefined;
  /** pixels, while connected */
  width: number | undefined;
  /** pixels, while connected */
  height: number | undefined;
  /** frames received from the bus in the last second */
  fps: number;
  /** frames received from the bus */
  received: number;
  /** frames sent to viewers */
  sent: number;
  /** browsers watching now (MJPEG and H.264) */
  viewers: number;
  /** JPEG bytes sent to MJPEG viewers */
  mjpegBytes: number;
  /** the H.264 (WebCodecs) viewers */
  h264: H264FeedStats;
  /** publish -> received, over recent frames */
  latency: {
    /** median, ms */
    p50Ms: number;
    /** 99th percentile, ms */
    p99Ms: number;
  };
}

/** A stream live in the browser: a local HTTP server with a token, MJPEG to an `<img>` (see `vidbus view`). */
export class WebPreview implements AsyncDisposable {
  /** the address to open, with its access token */
  readonly url: string;
  private readonly viewers = new Set<ServerResponse>();
  private readonly fitter = new FrameFitter();
  private readonly encoder = new JpegEncoder();
  private readonly latency = new LatencyWindow(256);
  private readonly recent: number[] = [];
  private picture: { layout: FrameLayout; data: Uint8Array } | undefined;
  private lastSentMs = -Infinity;
  private received = 0;
  private sent = 0;
  private mjpegBytes = 0;
  private closed = false;
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly h264: H264Feed;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly server: Server,
    private readonly consumer: Consumer,
    private readonly token: string,
    private readonly options: Required<Omit<WebPreviewOptions, 'port'>>,
    address: AddressInfo,
  ) {
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}/?token=${token}`;
    server.on('request', (req, res) => this.route(req, res, address.port));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head, address.port));
    this.h264 = new H264Feed(options.stream, () => consumer.stream?.layout.format);
    this.loop = this.receive();
  }

  /** Starts serving the stream; the picture is encoded only while someone watches. */
  static async start(options: WebPreviewOptions): Promise<WebPreview> {
    rejectUnknownOptions('WebPreview', options, OPTIONS);
    if (typeof options.stream !== 'string') throw invalidOption('stream', 'a stream name', options.stream);
    const host = options.host ?? '127.0.0.1';
    const port = checkInteger('port', options.port ?? 0, 0, 65535);
    const fps = checkInteger('fps', options.fps ?? 15, 1, 60);
    const quality = checkInteger('quality', options.quality ?? 75, 1, 100);
    const maxWidth = checkInteger('maxWidth', options.maxWidth ?? 1280, 64, 7680);
    // ERR_STREAM_NOT_FOUND now, rather than a blank page; then follow it across producer restarts.
    const consumer = await followExistingStream(options.stream);
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (e) {
      consumer.close();
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new VidbusError('ERR_BUSY', `Port ${port} on ${host} is in use; pick another with --port, or 0 for any free port.`, { cause: e });
      throw new VidbusError('ERR_INVALID_OPTION', `Cannot listen on ${host}:${port}: ${(e as Error).message}`, { cause: e });
    }
    return new WebPreview(server, consumer, randomBytes(16).toString('hex'), { stream: options.stream, host, fps, quality, maxWidth }, server.address() as AddressInfo);
  }

  private authorised(req: IncomingMessage, url: URL, port: number): boolean {
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${this.options.host}:${port}`];
    if (!allowedHosts.includes(hostHeader)) return false;
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** /stream.h264: a WebSocket for WebCodecs pages, behind the same token and Host checks. */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer, port: number): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!this.authorised(req, url, port) || url.pathname !== '/stream.h264' || this.closed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nForbidden: open the URL vidbus printed, with its token.\n');
      return;
    }
    this.sockets.handleUpgrade(req, socket, head, (ws) => this.h264.add(ws));
  }

  private route(req: IncomingMessage, res: ServerResponse, port: number): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (req.method !== 'GET') {
      res.writeHead(405, { 'Content-Type': 'text/plain' }).end('Only GET\n');
      return;
    }
    if (!this.authorised(req, url, port)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden: open the URL vidbus printed, with its token.\n');
      return;
    }
    if (url.pathname === '/') {
      const nonce = randomBytes(12).toString('base64');
      // The Host header was checked above: the WebSocket goes back to the same address.
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': `default-src 'none'; img-src 'self'; connect-src 'self' ws://${req.headers.host}; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'`,
      });
      res.end(previewPage(this.options.stream, this.token, nonce));
    } else if (url.pathname === '/stream.mjpg') {
      res.writeHead(200, { 'Content-Type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`, Connection: 'close' });
      this.viewers.add(res);
      res.on('close', () => this.viewers.delete(res));
      if (this.picture) this.sendTo(res, this.encoder.encode(this.picture.data, this.picture.layout, this.options.quality));
    } else if (url.pathname === '/stats') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.stats()));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
    }
  }

  private sendTo(res: ServerResponse, jpeg: Buffer): void {
    if (res.writableLength > MAX_BACKLOG_BYTES) return; // a slow viewer skips this frame
    res.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
    res.write(jpeg);
    res.write('\r\n');
    this.mjpegBytes += jpeg.length;
  }

  private async receive(): Promise<void> {
    while (!this.closed) {
      let frame;
      try {
        frame = await this.consumer.next();
      } catch (e) {
        if (this.closed || (isVidbusError(e) && e.code === 'ERR_CLOSED')) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (!frame) continue;
      try {
        this.received++;
        const now = Date.now();
        this.recent.push(now);
        while (this.recent.length > 0 && this.recent[0]! < now - 1000) this.recent.shift();
        this.latency.add(Number(monoNs() - frame.publishTimestamp) / 1000);
        // Idle without viewers; otherwise at most `fps` frames a second.
        if (this.viewers.size === 0 || now - this.lastSentMs < 1000 / this.options.fps) continue;
        this.lastSentMs = now;
        const layout = this.pictureLayout(frame.width, frame.height);
        const data = formatInfo(frame.format).encoded ? frame.data.subarray(0, frame.size) : frame.data;
        try {
          this.fitter.fit(data, frame.layout, this.picture!.data, layout);
        } catch (e) {
          if (isVidbusError(e) && (e.code === 'ERR_BAD_IMAGE' || e.code === 'ERR_INVALID_OPTION')) continue; // a frame it cannot show
          throw e;
        }
        const jpeg = this.encoder.encode(this.picture!.data, layout, this.options.quality);
        for (const viewer of this.viewers) this.sendTo(viewer, jpeg);
        this.sent++;
      } finally {
        frame.release();
      }
    }
  }

  /** The preview's size: the stream's, scaled down to maxWidth, even. */
  private pictureLayout(width: number, height: number): FrameLayout {
    const scale = Math.min(1, this.options.maxWidth / width);
    const w = Math.max(2, Math.round((width * scale) / 2) * 2);
    const h = Math.max(2, Math.round((height * scale) / 2) * 2);
    if (this.picture?.layout.width !== w || this.picture.layout.height !== h) {
      const layout = frameLayout('RGBA', w, h);
      this.picture = { layout, data: new Uint8Array(layout.frameBytes) };
    }
    return this.picture.layout;
  }

  /** What it shows and to how many. */
  stats(): WebPreviewStats {
    const desc = this.consumer.stream;
    const lat = this.latency.summary();
    return {
      stream: this.options.stream,
      connected: this.consumer.connected,
      format: desc?.layout.format,
      width: desc?.layout.width,
      height: desc?.layout.height,
      fps: this.recent.filter((t) => t >= Date.now() - 1000).length,
      received: this.received,
      sent: this.sent,
      viewers: this.viewers.size + this.h264.stats().viewers,
      mjpegBytes: this.mjpegBytes,
      h264: this.h264.stats(),
      latency: { p50Ms: lat.p50Us / 1000, p99Ms: lat.p99Us / 1000 },
    };
  }

  /** Stops serving and closes the stream. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const viewer of this.viewers) viewer.end();
    this.viewers.clear();
    await this.h264.close();
    this.sockets.close();
    this.consumer.close();
    await this.loop;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.fitter.close();
    this.encoder.close();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
