/**
 * A screen onto the bus: `vidbus stream --screen [auto|x11[:DISPLAY]|portal|
 * drm[:CARD]] --name desk [--region X,Y,W,H] [--fps 30] [--cursor]
 * [--connector NAME|--crtc ID]`.
 *
 * `auto` (the default) takes the desktop's ScreenCast portal on Wayland
 * (src/sources/portal-screen.ts: the person picks the screen, once), X11
 * where there is a DISPLAY, and DRM/KMS (src/sources/drm-screen.ts: the
 * framebuffer itself) when running as root with a display card.
 *
 * X11: the X server copies the screen straight into a bus slot (MIT-SHM
 * with the bus's own shared memory), only when something was drawn
 * (DAMAGE), at most `fps` times a second. Frames are opaque BGRA: the
 * server fills alpha itself where it can composite into the slot (RENDER),
 * and vidbus sets it otherwise (src/sources/x11/capture.ts).
 */
import { opaqueAlpha } from '../native/pixels.js';
import { createProducer, type LoanedFrame, type Producer, type ProducerStats } from '../bus/producer.js';
import { VidbusError } from '../errors.js';
import { monoNs, wallNs } from '../util/clock.js';
import { checkBoolean, checkInteger, checkOneOf, invalidOption, rejectUnknownOptions } from '../util/options.js';
import { fpsToRational } from '../video/formats.js';
import { X11Capture, type CopyMode, type Region } from '../devices/x11/capture.js';
import { defaultDisplay, parseDisplay } from '../devices/x11/display.js';
import type { CursorImage } from '../devices/x11/protocol.js';
import { drmCards } from '../devices/drm.js';
import { DrmScreenSource } from './drm-screen.js';
import { createPortalScreen } from './portal-screen.js';
import { Completion, type Source, type SourceKind } from './source.js';

/** Options of createScreenSource(). */
export interface ScreenSourceOptions {
  /** the stream to publish */
  name: string;
  /** 'x11' (the DISPLAY), 'x11:DISPLAY' (e.g. 'x11::1'), ':1', 'portal' (Wayland desktops), or 'auto' (default: what works here) */
  screen?: string;
  /** capture only this rectangle of the screen */
  region?: Region;
  /** at most this many frames a second (default 30); an idle screen publishes none */
  fps?: number;
  /** draw the mouse cursor into the frames (default false) */
  cursor?: boolean;
  /** how the X server copies into the bus: 'render' (opaque alpha from the server) or 'getimage'; default: render where the server can */
  copy?: CopyMode;
  /** portal: keep the portal's restore token so the person is asked once (default true) */
  remember?: boolean;
  /** DRM: the connector to read, e.g. 'HDMI-A-1' (default: the first one that shows something) */
  connector?: string;
  /** DRM: the CRTC to read, by id */
  crtc?: number;
}

const OPTIONS = ['name', 'screen', 'region', 'fps', 'cursor', 'copy', 'remember', 'connector', 'crtc'] as const;

/** An X display (or a region of it) onto the bus. */
export class X11ScreenSource implements Source {
  readonly kind = 'screen';
  readonly description: string;
  onNotice: ((message: string) => void) | undefined;
  private readonly completion = new Completion();
  private readonly intervalMs: number;
  private dirty = true;
  private capturing = false;
  private lastCaptureMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private cursorTimer: NodeJS.Timeout | undefined;
  private lastCursor: { x: number; y: number; serial: number } | undefined;
  private closed = false;

  private constructor(
    /** the stream's producer */
    readonly producer: Producer,
    private readonly capture: X11Capture,
    fps: number,
    private readonly drawCursor: boolean,
    displayName: string,
  ) {
    const r = capture.region;
    const whole = r.width === capture.screen.width && r.height === capture.screen.height;
    this.description = `X11 screen ${displayName}${whole ? '' : ` region ${r.x},${r.y} ${r.width}x${r.height}`} ${r.width}x${r.height} BGRA, at most ${fps} fps when it changes${drawCursor ? ', with the cursor' : ''} (copied by ${capture.mode === 'render' ? 'RENDER' : 'ShmGetImage'})`;
    this.intervalMs = 1000 / fps;
    capture.onDamage = () => {
      this.dirty = true;
      this.schedule();
    };
    capture.onFailure = (error) => void this.fail(error);
    if (drawCursor) this.cursorTimer = setInterval(() => void this.checkCursor(), this.intervalMs);
    this.schedule();
  }

  /** Connects to the display, creates the stream and starts publishing. */
  static async create(options: ScreenSourceOptions, displayName: string): Promise<X11ScreenSource> {
    const fps = checkFps(options.fps);
    const cursor = checkBoolean('cursor', options.cursor ?? false);
    const display = parseDisplay(displayName);
    const copy = options.copy === undefined ? undefined : checkOneOf('copy', options.copy, ['render', 'getimage'] as const);
    const capture = await X11Capture.open(display, { ...(options.region ? { region: checkRegion(options.region) } : {}), cursor, ...(copy ? { mode: copy } : {}) });
    try {
      const r = capture.region;
      const producer = await createProducer(options.name, { width: r.width, height: r.height, format: 'BGRA', fps: fpsToRational(fps) });
      if (producer.layout.planes[0]!.stride !== r.width * 4) {
        producer.close();
        throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `The bus pads BGRA rows of ${r.width} pixels; X captures need unpadded rows`);
      }
      return new X11ScreenSource(producer, capture, fps, cursor, display.name);
    } catch (e) {
      capture.close();
      throw e;
    }
  }

  get stream(): string {
    return this.producer.name;
  }

  /** Resolves once closed; rejects with ERR_DEVICE_GONE when the display closes. */
  get done(): Promise<void> {
    return this.completion.promise;
  }

  stats(): ProducerStats {
    return this.producer.stats();
  }

  /** Captures when something changed, no sooner than one frame interval after the last capture. */
  private schedule(): void {
    if (this.closed || this.capturing || !this.dirty || this.timer) return;
    const wait = this.lastCaptureMs + this.intervalMs - performance.now();
    if (wait > 0) this.timer = setTimeout(() => ((this.timer = undefined), this.schedule()), wait);
    else void this.captureOnce();
  }

  private async captureOnce(): Promise<void> {
    this.capturing = true;
    this.dirty = false;
    this.lastCaptureMs = performance.now();
    let frame: LoanedFrame | null = null;
    try {
      frame = this.producer.loan();
      if (!frame) {
        // Every slot is held: the damage stays pending for the next interval.
        this.dirty = true;
        return;
      }
      const slot = this.producer.sharedSlot(frame);
      this.capture.attach(slot.fd);
      const timestamp = monoNs();
      const wallClock = wallNs();
      await this.capture.capture(slot.offset, slot.length);
      if (this.closed) return;
      if (this.capture.needsOpaqueAlpha) opaqueAlpha(frame.data);
      if (this.drawCursor) this.blendCursor(frame.data, await this.capture.cursor());
      if (this.closed) return;
      this.producer.publish(frame, { timestamp, wallClock });
      frame = null;
    } catch (e) {
      await this.fail(e as Error);
    } finally {
      if (frame && !this.producer.isClosed) this.producer.discard(frame);
      this.capturing = false;
      this.schedule();
    }
  }

  /** With --cursor, a moved or changed cursor counts as a change of the screen. */
  private async checkCursor(): Promise<void> {
    if (this.closed || this.capturing) return;
    try {
      const c = await this.capture.cursor();
      const last = this.lastCursor;
      if (!last || last.x !== c.x || last.y !== c.y || last.serial !== c.serial) {
        this.dirty = true;
        this.schedule();
      }
    } catch (e) {
      await this.fail(e as Error);
    }
  }

  /** Draws the cursor (premultiplied ARGB) over the BGRA frame, clipped to the region. */
  private blendCursor(frame: Uint8Array, c: CursorImage): void {
    this.lastCursor = { x: c.x, y: c.y, serial: c.serial };
    const r = this.capture.region;
    const left = c.x - c.xhot - r.x;
    const top = c.y - c.yhot - r.y;
    for (let cy = 0; cy < c.height; cy++) {
      const y = top + cy;
      if (y < 0 || y >= r.height) continue;
      for (let cx = 0; cx < c.width; cx++) {
        const x = left + cx;
        if (x < 0 || x >= r.width) continue;
        const p = c.argb[cy * c.width + cx]!;
        const a = p >>> 24;
        if (a === 0) continue;
        const i = (y * r.width + x) * 4;
        const keep = 255 - a;
        frame[i] = (p & 0xff) + Math.round((frame[i]! * keep) / 255);
        frame[i + 1] = ((p >>> 8) & 0xff) + Math.round((frame[i + 1]! * keep) / 255);
        frame[i + 2] = ((p >>> 16) & 0xff) + Math.round((frame[i + 2]! * keep) / 255);
      }
    }
  }

  /** Ends the source with `error` (done rejects with it). */
  private async fail(error: Error): Promise<void> {
    if (this.closed) return;
    this.stop();
    this.completion.reject(error);
  }

  private stop(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.cursorTimer);
    this.capture.close();
    this.producer.close();
  }

  /** Stops capturing and removes the stream. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) this.stop();
    this.completion.resolve();
  }

  /** Same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** What a --screen value picks: an X display, the portal, or a DRM card. */
export type ScreenChoice = { kind: 'x11'; display: string } | { kind: 'portal' } | { kind: 'drm'; card: string };

/**
 * 'auto' takes the portal on Wayland (where X11 would see only XWayland's
 * windows), X11 with a DISPLAY, and the first DRM card when running as
 * root (the only way DRM capture works without a grant).
 */
export function pickScreen(screen: string, env: NodeJS.ProcessEnv = process.env): ScreenChoice {
  if (screen === 'portal') return { kind: 'portal' };
  if (screen === 'auto' && env.WAYLAND_DISPLAY) return { kind: 'portal' };
  const display = defaultDisplay(env);
  if (screen === 'auto' && !display && process.getuid?.() === 0 && drmCards().length > 0) return { kind: 'drm', card: drmCards()[0]! };
  if (screen === 'auto' || screen === 'x11') {
    if (!display) {
      throw new VidbusError(
        'ERR_DISPLAY_UNAVAILABLE',
        `No screen to capture: ${screen === 'auto' ? 'neither WAYLAND_DISPLAY nor DISPLAY is set, and DRM capture needs root' : 'DISPLAY is not set'}. Name an X display (--screen x11::0), start one (Xvfb :1 &), use --screen portal in a Wayland desktop session, or --screen drm as root`,
      );
    }
    return { kind: 'x11', display };
  }
  if (screen.startsWith('x11:')) return { kind: 'x11', display: screen.slice(4) };
  if (screen.startsWith(':')) return { kind: 'x11', display: screen };
  if (screen === 'drm') {
    const card = drmCards()[0];
    if (!card) throw new VidbusError('ERR_DEVICE_NOT_FOUND', 'No DRM card here (/dev/dri/card*): no display driver is loaded');
    return { kind: 'drm', card };
  }
  if (screen.startsWith('drm:')) return { kind: 'drm', card: screen.slice(4) };
  throw invalidOption('screen', "'auto', 'portal', 'x11', 'x11:DISPLAY' (for example x11::1), ':N', 'drm' or 'drm:/dev/dri/cardN'", screen);
}

function checkRegion(region: Region): Region {
  const ok = typeof region === 'object' && region !== null && [region.x, region.y, region.width, region.height].every((v) => Number.isInteger(v) && v >= 0 && v <= 65535);
  if (!ok || region.width < 1 || region.height < 1) throw invalidOption('region', 'x, y, width and height as whole numbers (width and height at least 1)', region);
  return region;
}

/** Frames a second a screen is captured at, at most (default 30). */
function checkFps(fps: unknown = 30): number {
  if (typeof fps !== 'number' || !(fps > 0 && fps <= 240)) throw invalidOption('fps', 'a number above 0 and at most 240', fps);
  return fps;
}

function parseCrtc(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 1) throw invalidOption('--crtc', 'a CRTC id (a whole number; vidbus devices lists them)', text);
  return id;
}

/** Parses --region X,Y,W,H. */
export function parseRegion(text: string): Region {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 4 || parts.some((v) => !Number.isInteger(v) || v < 0)) throw invalidOption('--region', 'X,Y,W,H in pixels (for example 0,0,640,480)', text);
  const [x, y, width, height] = parts as [number, number, number, number];
  return checkRegion({ x, y, width, height });
}

/** Captures a screen onto a bus stream: `await using s = await createScreenSource({ name: 'desk', screen: 'x11::1' })`. */
export async function createScreenSource(options: ScreenSourceOptions): Promise<Source> {
  rejectUnknownOptions('createScreenSource', options, OPTIONS);
  const choice = pickScreen(options.screen ?? 'auto');
  const only = (names: readonly (keyof ScreenSourceOptions)[], applies: string, why: string) => {
    for (const name of names) if (options[name] !== undefined) throw new VidbusError('ERR_INVALID_OPTION', `The ${name} option applies to ${applies} only: ${why}`);
  };
  if (choice.kind !== 'drm') only(['connector', 'crtc'], 'DRM screens', 'X11 and the portal capture a display, not a connector');
  if (choice.kind === 'x11') return X11ScreenSource.create(options, choice.display);
  if (choice.kind === 'drm') {
    only(['region', 'copy', 'cursor', 'remember'], 'other screens', 'DRM capture reads the whole framebuffer an output scans out (the cursor is a separate plane it does not read)');
    if (options.connector !== undefined && options.crtc !== undefined) throw new VidbusError('ERR_INVALID_OPTION', 'Give connector or crtc, not both');
    const fps = checkFps(options.fps);
    if (options.crtc !== undefined) checkInteger('crtc', options.crtc, 1, 2 ** 32 - 1);
    return DrmScreenSource.create({ name: options.name, card: choice.card, fps, ...(options.connector !== undefined ? { connector: String(options.connector) } : {}), ...(options.crtc !== undefined ? { crtc: options.crtc } : {}) });
  }
  // The portal decides what is shared and at which rate: the X11-only options do not apply.
  only(['region', 'fps', 'copy'], 'X11 screens', "the portal shares the whole screen the person picks, at the desktop's rate");
  return createPortalScreen({ name: options.name, ...(options.cursor !== undefined ? { cursor: checkBoolean('cursor', options.cursor) } : {}), ...(options.remember !== undefined ? { remember: checkBoolean('remember', options.remember) } : {}) });
}

/** `vidbus stream --screen [auto|x11|x11:DISPLAY]`. */
export const screenSourceKind: SourceKind<ScreenSourceOptions> = {
  kind: 'screen',
  argument: 'auto|portal|x11[:DISPLAY]|drm[:CARD]',
  argumentDefault: 'auto',
  summary: 'a screen: through the desktop portal (Wayland), an X display (the X server writes into the bus, only when it changes), or a DRM/KMS output (as root)',
  options: {
    region: { type: 'string', value: 'X,Y,W,H', help: 'capture only this rectangle of the screen' },
    cursor: { type: 'boolean', help: 'draw the mouse cursor into the frames' },
    connector: { type: 'string', value: 'NAME', help: 'DRM: the connector to read (HDMI-A-1, Virtual-1; vidbus devices lists them)' },
    crtc: { type: 'string', value: 'ID', help: 'DRM: the CRTC to read, by id' },
  },
  fromCli: (main, common, values) => {
    if (common.width !== undefined) throw invalidOption('--size', 'nothing: a screen has its own size (use --region to capture part of it)', `${common.width}x${common.height}`);
    if (common.format !== undefined && common.format !== 'BGRA') throw invalidOption('--format', 'BGRA or nothing: screens are captured as BGRA', common.format);
    return {
      name: common.name,
      screen: main === true ? 'auto' : main,
      ...(typeof values.region === 'string' ? { region: parseRegion(values.region) } : {}),
      ...(common.fps !== undefined ? { fps: common.fps } : {}),
      ...(values.cursor === true ? { cursor: true } : {}),
      ...(typeof values.connector === 'string' ? { connector: values.connector } : {}),
      ...(typeof values.crtc === 'string' ? { crtc: parseCrtc(values.crtc) } : {}),
    };
  },
  create: (options) => createScreenSource(options),
};
