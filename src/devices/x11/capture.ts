/**
 * Capturing an X screen (or a region of it) into shared memory the caller
 * owns: the bus's data segment is handed to the X server once (MIT-SHM
 * ShmAttachFd), and the server copies the pixels straight into a bus slot.
 * DAMAGE says when anything was drawn, so an idle screen costs nothing.
 * XFixes gives the cursor's image, which the X server never includes.
 *
 * Two ways to copy, chosen at open:
 * - render (when the server has RENDER and shared-memory pixmaps, as X.Org
 *   and Xvfb do): each slot is also a 32-bit pixmap, and a Composite with
 *   op Src from the root window fills it. The root has no alpha, so the
 *   server writes 255 there: BGRA comes out opaque with no pass over the
 *   pixels in this process.
 * - getimage: ShmGetImage into the slot; the server leaves its padding
 *   byte (usually 0) where BGRA has alpha, so the caller sets it.
 */
import { VidbusError } from '../../errors.js';
import { X11Connection } from './connection.js';
import type { DisplayAddress } from './display.js';
import {
  damageCreate,
  damageDestroy,
  damageQueryVersion,
  damageSubtractAll,
  freePixmap,
  getInputFocus,
  parsePictFormats,
  renderCompositeSrc,
  renderCreatePicture,
  renderFreePicture,
  renderQueryPictFormats,
  renderQueryVersion,
  shmCreatePixmap,
  shmSharedPixmaps,
  parseCursorImage,
  parseShmGetImage,
  parseShmQueryVersion,
  shmAttachFd,
  shmDetach,
  shmGetImage,
  shmQueryVersion,
  xfixesGetCursorImage,
  xfixesQueryVersion,
  type CursorImage,
  type Extension,
} from './protocol.js';

/** A rectangle of the screen. */
export interface Region {
  /** left edge, pixels from the screen's left */
  x: number;
  /** top edge, pixels from the screen's top */
  y: number;
  /** pixels */
  width: number;
  /** pixels */
  height: number;
}

/** How the server copies into slots (see above). */
export type CopyMode = 'render' | 'getimage';

/** What render mode needs: RENDER's opcode, the root window's picture and the 32-bit format. */
interface RenderPath {
  render: Extension;
  rootFormat: number;
  argb32: number;
}

export class X11Capture implements Disposable {
  /** the captured rectangle (the whole screen unless a region was asked for) */
  readonly region: Region;
  /** Called when anything was drawn on the screen since the last capture. */
  onDamage: (() => void) | undefined;
  /** Called once if the display goes away or refuses a request (ERR_DEVICE_GONE, ERR_DISPLAY_UNAVAILABLE). */
  onFailure: ((error: VidbusError) => void) | undefined;

  private segment = 0;
  private readonly damage: number;
  private closed = false;
  /** render mode: the root window's picture, and one pixmap and picture per slot offset */
  private rootPicture = 0;
  private readonly slotPictures = new Map<number, { pixmap: number; picture: number }>();

  private constructor(
    private readonly connection: X11Connection,
    private readonly shm: Extension,
    private readonly damageExtension: Extension,
    private readonly xfixes: Extension | undefined,
    private readonly renderPath: RenderPath | undefined,
    region: Region,
  ) {
    this.region = region;
    connection.onEvent = (event) => {
      // DamageNotify is the extension's first event.
      if ((event[0]! & 0x7f) === this.damageExtension.firstEvent) this.onDamage?.();
    };
    const fail = (error: VidbusError) => this.onFailure?.(error);
    connection.onEnd = fail;
    connection.onError = fail;
    this.damage = connection.allocateId();
    connection.send(damageCreate(damageExtension.majorOpcode, this.damage, connection.screen.root));
    if (renderPath) {
      this.rootPicture = connection.allocateId();
      connection.send(renderCreatePicture(renderPath.render.majorOpcode, this.rootPicture, connection.screen.root, renderPath.rootFormat, true));
    }
  }

  /** how the server copies into slots */
  get mode(): CopyMode {
    return this.renderPath ? 'render' : 'getimage';
  }

  /** Whether the caller must set the alpha byte of captured pixels (getimage mode). */
  get needsOpaqueAlpha(): boolean {
    return !this.renderPath;
  }

  /**
   * Connects and checks what capture needs: a 32-bit true-colour root
   * window in the order B, G, R, X (what every X server on a PC uses),
   * MIT-SHM 1.2 (descriptor passing), DAMAGE, and XFixes when the cursor
   * is wanted. `region` must lie inside the screen.
   */
  static async open(display: DisplayAddress, options: { region?: Region; cursor?: boolean; mode?: CopyMode } = {}): Promise<X11Capture> {
    const connection = await X11Connection.open(display);
    try {
      const s = connection.screen;
      const v = s.rootVisual;
      if (s.bitsPerPixel !== 32 || !v || v.redMask !== 0xff0000 || v.greenMask !== 0xff00 || v.blueMask !== 0xff) {
        throw new VidbusError(
          'ERR_FORMAT_UNSUPPORTED',
          `The X display ${display.name} stores pixels as depth ${s.rootDepth} at ${s.bitsPerPixel} bits per pixel; vidbus captures 24- and 32-bit true-colour screens (start Xvfb with -screen 0 WxHx24)`,
        );
      }
      const region = options.region ?? { x: 0, y: 0, width: s.width, height: s.height };
      if (region.width < 1 || region.height < 1 || region.x < 0 || region.y < 0 || region.x + region.width > s.width || region.y + region.height > s.height) {
        throw new VidbusError(
          'ERR_INVALID_OPTION',
          `The region ${region.x},${region.y},${region.width},${region.height} is not inside the screen of ${display.name}, which is ${s.width}x${s.height}`,
        );
      }
      const shm = await connection.extension('MIT-SHM');
      const damage = await connection.extension('DAMAGE');
      const xfixes = options.cursor ? await connection.extension('XFIXES') : undefined;
      const missing = [!shm && 'MIT-SHM', !damage && 'DAMAGE', options.cursor && !xfixes && 'XFIXES (for --cursor)'].filter(Boolean);
      if (missing.length) throw new VidbusError('ERR_DISPLAY_UNAVAILABLE', `The X server of ${display.name} lacks the ${missing.join(' and ')} extension(s) screen capture needs`);
      const shmReply = await connection.call(shmQueryVersion(shm!.majorOpcode));
      const version = parseShmQueryVersion(shmReply);
      if (version.major < 1 || (version.major === 1 && version.minor < 2)) {
        throw new VidbusError('ERR_DISPLAY_UNAVAILABLE', `The X server of ${display.name} has MIT-SHM ${version.major}.${version.minor}; capture needs 1.2 (X.Org 1.15 or later)`);
      }
      // Both must be asked for their version before use.
      await connection.call(damageQueryVersion(damage!.majorOpcode));
      if (xfixes) await connection.call(xfixesQueryVersion(xfixes.majorOpcode));
      const renderPath = options.mode === 'getimage' || !shmSharedPixmaps(shmReply) ? undefined : await findRenderPath(connection);
      if (options.mode === 'render' && !renderPath) throw new VidbusError('ERR_DISPLAY_UNAVAILABLE', `The X server of ${display.name} cannot composite into shared-memory pixmaps (RENDER with a8r8g8b8 and MIT-SHM pixmaps)`);
      return new X11Capture(connection, shm!, damage!, xfixes, renderPath, region);
    } catch (e) {
      connection.close();
      throw e;
    }
  }

  /** the display's connection (its screen's size and root window) */
  get screen(): X11Connection['screen'] {
    return this.connection.screen;
  }

  /** Hands the X server the shared memory captures go into (once). It keeps its own descriptor. */
  attach(fd: number): void {
    if (this.segment !== 0) return;
    this.segment = this.connection.allocateId();
    this.connection.send(shmAttachFd(this.shm.majorOpcode, this.segment, false), fd);
  }

  /**
   * Captures the region into the attached memory at `offset`, with rows of
   * width x 4 bytes, and forgets the damage so far (drawing that happens
   * after this call is reported again). Resolves once the pixels are there.
   */
  async capture(offset: number, length: number): Promise<void> {
    if (this.segment === 0) throw new Error('X11Capture.capture before attach');
    const r = this.region;
    if (length < r.width * r.height * 4) throw new VidbusError('ERR_FRAME_SIZE', `A capture of ${r.width}x${r.height} needs ${r.width * r.height * 4} bytes; the slot has ${length}`);
    this.connection.send(damageSubtractAll(this.damageExtension.majorOpcode, this.damage));
    if (this.renderPath) {
      const render = this.renderPath.render.majorOpcode;
      this.connection.send(renderCompositeSrc(render, this.rootPicture, this.slotPicture(offset), r.x, r.y, r.width, r.height));
      // Composite has no reply: a round trip says it is done.
      await this.connection.call(getInputFocus());
      return;
    }
    const reply = await this.connection.call(shmGetImage(this.shm.majorOpcode, this.connection.screen.root, r.x, r.y, r.width, r.height, this.segment, offset));
    const { size } = parseShmGetImage(reply);
    if (size !== r.width * r.height * 4) throw new VidbusError('ERR_DISPLAY_UNAVAILABLE', `The X server wrote ${size} bytes for a ${r.width}x${r.height} capture; expected ${r.width * r.height * 4}`);
  }

  /** The 32-bit picture over the slot at `offset` (made on first use; a ring has few slots). */
  private slotPicture(offset: number): number {
    let made = this.slotPictures.get(offset);
    if (!made) {
      const { render, argb32 } = this.renderPath!;
      made = { pixmap: this.connection.allocateId(), picture: this.connection.allocateId() };
      const r = this.region;
      this.connection.send(shmCreatePixmap(this.shm.majorOpcode, made.pixmap, this.connection.screen.root, r.width, r.height, 32, this.segment, offset));
      this.connection.send(renderCreatePicture(render.majorOpcode, made.picture, made.pixmap, argb32, false));
      this.slotPictures.set(offset, made);
    }
    return made.picture;
  }

  /** The cursor's image and position (needs the cursor option at open). */
  async cursor(): Promise<CursorImage> {
    if (!this.xfixes) throw new Error('X11Capture.cursor without XFIXES');
    return parseCursorImage(await this.connection.call(xfixesGetCursorImage(this.xfixes.majorOpcode)));
  }

  /** Frees the server's side (damage, segment) and disconnects. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.connection.send(damageDestroy(this.damageExtension.majorOpcode, this.damage));
      if (this.renderPath) {
        const render = this.renderPath.render.majorOpcode;
        for (const { pixmap, picture } of this.slotPictures.values()) {
          this.connection.send(renderFreePicture(render, picture));
          this.connection.send(freePixmap(pixmap));
        }
        this.connection.send(renderFreePicture(render, this.rootPicture));
      }
      if (this.segment !== 0) this.connection.send(shmDetach(this.shm.majorOpcode, this.segment));
    } catch {
      // The display is gone: it freed everything itself.
    }
    this.connection.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** RENDER with the root visual's format and a8r8g8b8, or undefined when the server lacks either. */
async function findRenderPath(connection: X11Connection): Promise<RenderPath | undefined> {
  const render = await connection.extension('RENDER');
  if (!render) return undefined;
  await connection.call(renderQueryVersion(render.majorOpcode));
  const formats = parsePictFormats(await connection.call(renderQueryPictFormats(render.majorOpcode)), connection.display.screen, connection.screen.rootVisual!.id);
  if (formats.rootFormat === undefined || formats.argb32 === undefined) return undefined;
  return { render, rootFormat: formats.rootFormat, argb32: formats.argb32 };
}
