/**
 * The few parts of the X11 wire protocol the screen source speaks, as pure
 * functions over bytes: the connection setup, core QueryExtension,
 * GetInputFocus and FreePixmap, MIT-SHM (QueryVersion, AttachFd, Detach,
 * GetImage, CreatePixmap), DAMAGE (QueryVersion, Create, Subtract,
 * Destroy), RENDER (QueryVersion, QueryPictFormats, CreatePicture,
 * FreePicture, Composite) and XFixes (QueryVersion, GetCursorImage). Little-endian throughout (the client
 * picks the byte order). Every length read from the server is checked
 * against the bytes that arrived before anything is read from them.
 *
 * Reference: the X Window System Protocol, MIT-SHM 1.2, DAMAGE 1.1 and
 * XFIXES 4 specifications (x.org).
 */

/** A problem with bytes from the X server; the connection turns it into a VidbusError. */
export class X11ProtocolError extends Error {}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** A request of `words` 4-byte units with its header filled; the caller fills the body from byte 4. */
function request(major: number, minor: number, words: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(words * 4);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, major);
  view.setUint8(1, minor);
  view.setUint16(2, words, true);
  return { bytes, view };
}

// ---------------------------------------------------------------- setup

/** The connection setup request, with an authorization (name and data) when one is known. */
export function setupRequest(authName: string, authData: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode(authName);
  const bytes = new Uint8Array(12 + name.length + pad4(name.length) + authData.length + pad4(authData.length));
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 0x6c); // 'l': little-endian
  view.setUint16(2, 11, true);
  view.setUint16(4, 0, true);
  view.setUint16(6, name.length, true);
  view.setUint16(8, authData.length, true);
  bytes.set(name, 12);
  bytes.set(authData, 12 + name.length + pad4(name.length));
  return bytes;
}

/** A visual of the root window's depth. */
export interface Visual {
  id: number;
  redMask: number;
  greenMask: number;
  blueMask: number;
}

/** What the setup reply says about the first screen. */
export interface ScreenInfo {
  root: number;
  width: number;
  height: number;
  rootDepth: number;
  rootVisual: Visual | undefined;
  /** bits per pixel of the root depth's ZPixmap images */
  bitsPerPixel: number;
  /** ZPixmap rows are padded to this many bits */
  scanlinePad: number;
}

export interface SetupReply {
  resourceIdBase: number;
  resourceIdMask: number;
  /** 0: LSBFirst */
  imageByteOrder: number;
  vendor: string;
  screens: ScreenInfo[];
}

/**
 * Bytes needed for the whole setup reply, once its 8-byte head arrived
 * (undefined until then).
 */
export function setupReplyLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 8) return undefined;
  return 8 + new DataView(bytes.buffer, bytes.byteOffset).getUint16(6, true) * 4;
}

/** Parses a complete setup reply: the screens, or the server's refusal as an X11ProtocolError. */
export function parseSetupReply(bytes: Uint8Array): SetupReply {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const need = (end: number) => {
    if (end > bytes.length) throw new X11ProtocolError('the X server sent a truncated setup reply');
  };
  need(8);
  const status = v.getUint8(0);
  if (status !== 1) {
    const reasonLength = status === 0 ? v.getUint8(1) : bytes.length - 8;
    need(8 + reasonLength);
    const reason = new TextDecoder().decode(bytes.subarray(8, 8 + reasonLength)).replace(/\0+$/, '').trim();
    throw new X11ProtocolError(status === 0 ? `the X server refused the connection: ${reason || 'no reason given'}` : 'the X server asks for more authentication than vidbus speaks');
  }
  need(40);
  const vendorLength = v.getUint16(24, true);
  const screenCount = v.getUint8(28);
  const formatCount = v.getUint8(29);
  let at = 40;
  need(at + vendorLength);
  const vendor = new TextDecoder().decode(bytes.subarray(at, at + vendorLength));
  at += vendorLength + pad4(vendorLength);
  const formats = new Map<number, { bpp: number; pad: number }>();
  for (let i = 0; i < formatCount; i++, at += 8) {
    need(at + 8);
    formats.set(v.getUint8(at), { bpp: v.getUint8(at + 1), pad: v.getUint8(at + 2) });
  }
  const screens: ScreenInfo[] = [];
  for (let s = 0; s < screenCount; s++) {
    need(at + 40);
    const root = v.getUint32(at, true);
    const width = v.getUint16(at + 20, true);
    const height = v.getUint16(at + 22, true);
    const rootVisualId = v.getUint32(at + 32, true);
    const rootDepth = v.getUint8(at + 38);
    const depthCount = v.getUint8(at + 39);
    at += 40;
    let rootVisual: Visual | undefined;
    for (let d = 0; d < depthCount; d++) {
      need(at + 8);
      const visualCount = v.getUint16(at + 2, true);
      at += 8;
      need(at + visualCount * 24);
      for (let i = 0; i < visualCount; i++, at += 24) {
        if (v.getUint32(at, true) === rootVisualId) {
          rootVisual = { id: rootVisualId, redMask: v.getUint32(at + 8, true), greenMask: v.getUint32(at + 12, true), blueMask: v.getUint32(at + 16, true) };
        }
      }
    }
    const format = formats.get(rootDepth);
    screens.push({ root, width, height, rootDepth, rootVisual, bitsPerPixel: format?.bpp ?? 0, scanlinePad: format?.pad ?? 0 });
  }
  return { resourceIdBase: v.getUint32(12, true), resourceIdMask: v.getUint32(16, true), imageByteOrder: v.getUint8(30), vendor, screens };
}

// ---------------------------------------------------------------- packets from the server

/** Kinds of 32-byte-or-longer packets the server sends after the setup. */
export const PACKET = { ERROR: 0, REPLY: 1 } as const;
const GENERIC_EVENT = 35;

/** Bytes the packet at the start of `bytes` takes (undefined until its head arrived). */
export function packetLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 32) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, 32);
  const kind = v.getUint8(0) & 0x7f;
  // Replies and generic events carry a length in 4-byte units past 32 bytes.
  if (kind === PACKET.REPLY || kind === GENERIC_EVENT) return 32 + v.getUint32(4, true) * 4;
  return 32;
}

/** The 16-bit sequence number of a reply or error. */
export function packetSequence(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint16(2, true);
}

/** An X error, decoded. */
export interface XError {
  code: number;
  badValue: number;
  minorOpcode: number;
  majorOpcode: number;
}

export function parseError(bytes: Uint8Array): XError {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 32);
  return { code: v.getUint8(1), badValue: v.getUint32(4, true), minorOpcode: v.getUint16(8, true), majorOpcode: v.getUint8(10) };
}

/** Names of the core error codes (for messages). */
const ERROR_NAMES = ['', 'Request', 'Value', 'Window', 'Pixmap', 'Atom', 'Cursor', 'Font', 'Match', 'Drawable', 'Access', 'Alloc', 'Colormap', 'GContext', 'IDChoice', 'Name', 'Length', 'Implementation'];
export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `extension error ${code}`;
}

// ---------------------------------------------------------------- core requests

const OP_QUERY_EXTENSION = 98;

export function queryExtension(name: string): Uint8Array {
  const n = new TextEncoder().encode(name);
  const { bytes, view } = request(OP_QUERY_EXTENSION, 0, 2 + (n.length + pad4(n.length)) / 4);
  view.setUint16(4, n.length, true);
  bytes.set(n, 8);
  return bytes;
}

export interface Extension {
  majorOpcode: number;
  firstEvent: number;
  firstError: number;
}

/** The extension's opcodes, or undefined when the server does not have it. */
export function parseQueryExtension(reply: Uint8Array): Extension | undefined {
  const v = new DataView(reply.buffer, reply.byteOffset, 32);
  if (v.getUint8(8) === 0) return undefined;
  return { majorOpcode: v.getUint8(9), firstEvent: v.getUint8(10), firstError: v.getUint8(11) };
}

// ---------------------------------------------------------------- MIT-SHM

export function shmQueryVersion(major: number): Uint8Array {
  return request(major, 0, 1).bytes;
}

export function parseShmQueryVersion(reply: Uint8Array): { major: number; minor: number } {
  const v = new DataView(reply.buffer, reply.byteOffset, 32);
  return { major: v.getUint16(8, true), minor: v.getUint16(10, true) };
}

/** ShmAttachFd: the descriptor travels with this request (SCM_RIGHTS). */
export function shmAttachFd(major: number, segment: number, readOnly: boolean): Uint8Array {
  const { bytes, view } = request(major, 6, 3);
  view.setUint32(4, segment, true);
  view.setUint8(8, readOnly ? 1 : 0);
  return bytes;
}

export function shmDetach(major: number, segment: number): Uint8Array {
  const { bytes, view } = request(major, 2, 2);
  view.setUint32(4, segment, true);
  return bytes;
}

/** ShmGetImage in ZPixmap format, all planes, into `segment` at `offset`. */
export function shmGetImage(major: number, drawable: number, x: number, y: number, width: number, height: number, segment: number, offset: number): Uint8Array {
  const { view, bytes } = request(major, 4, 8);
  view.setUint32(4, drawable, true);
  view.setInt16(8, x, true);
  view.setInt16(10, y, true);
  view.setUint16(12, width, true);
  view.setUint16(14, height, true);
  view.setUint32(16, 0xffffffff, true);
  view.setUint8(20, 2); // ZPixmap
  view.setUint32(24, segment, true);
  view.setUint32(28, offset, true);
  return bytes;
}

/** Bytes the server wrote for a ShmGetImage. */
export function parseShmGetImage(reply: Uint8Array): { depth: number; size: number } {
  const v = new DataView(reply.buffer, reply.byteOffset, 32);
  return { depth: v.getUint8(1), size: v.getUint32(12, true) };
}

// ---------------------------------------------------------------- DAMAGE

export function damageQueryVersion(major: number): Uint8Array {
  const { bytes, view } = request(major, 0, 3);
  view.setUint32(4, 1, true);
  view.setUint32(8, 1, true);
  return bytes;
}

/** DamageCreate at level NonEmpty: one event each time the damage goes from empty to not empty. */
export function damageCreate(major: number, damage: number, drawable: number): Uint8Array {
  const { bytes, view } = request(major, 1, 4);
  view.setUint32(4, damage, true);
  view.setUint32(8, drawable, true);
  view.setUint8(12, 3); // DamageReportNonEmpty
  return bytes;
}

/** DamageSubtract with no regions: clears all damage, so the next drawing sends a new event. */
export function damageSubtractAll(major: number, damage: number): Uint8Array {
  const { bytes, view } = request(major, 3, 4);
  view.setUint32(4, damage, true);
  return bytes;
}

export function damageDestroy(major: number, damage: number): Uint8Array {
  const { bytes, view } = request(major, 2, 2);
  view.setUint32(4, damage, true);
  return bytes;
}

// ---------------------------------------------------------------- XFIXES

export function xfixesQueryVersion(major: number): Uint8Array {
  const { bytes, view } = request(major, 0, 3);
  view.setUint32(4, 4, true);
  view.setUint32(8, 0, true);
  return bytes;
}

export function xfixesGetCursorImage(major: number): Uint8Array {
  return request(major, 4, 1).bytes;
}

/** The cursor's image: premultiplied ARGB pixels (one 32-bit word each), its top-left at x - xhot, y - yhot. */
export interface CursorImage {
  x: number;
  y: number;
  width: number;
  height: number;
  xhot: number;
  yhot: number;
  serial: number;
  argb: Uint32Array;
}

export function parseCursorImage(reply: Uint8Array): CursorImage {
  const v = new DataView(reply.buffer, reply.byteOffset, reply.length);
  const width = v.getUint16(12, true);
  const height = v.getUint16(14, true);
  if (32 + width * height * 4 > reply.length) throw new X11ProtocolError('the X server sent a cursor image larger than its reply');
  const argb = new Uint32Array(width * height);
  for (let i = 0; i < argb.length; i++) argb[i] = v.getUint32(32 + i * 4, true);
  return { x: v.getInt16(8, true), y: v.getInt16(10, true), width, height, xhot: v.getUint16(16, true), yhot: v.getUint16(18, true), serial: v.getUint32(20, true), argb };
}

// ---------------------------------------------------------------- core: pixmaps and a round trip

const OP_FREE_PIXMAP = 54;
const OP_GET_INPUT_FOCUS = 43;

export function freePixmap(pixmap: number): Uint8Array {
  const { bytes, view } = request(OP_FREE_PIXMAP, 0, 2);
  view.setUint32(4, pixmap, true);
  return bytes;
}

/** The cheapest request with a reply: its reply means every request before it was carried out. */
export function getInputFocus(): Uint8Array {
  return request(OP_GET_INPUT_FOCUS, 0, 1).bytes;
}

/** Whether ShmQueryVersion says the server can make pixmaps in shared memory. */
export function shmSharedPixmaps(reply: Uint8Array): boolean {
  return reply[1] === 1;
}

/** ShmCreatePixmap: a pixmap whose pixels are the segment's bytes at `offset` (ZPixmap rows). */
export function shmCreatePixmap(major: number, pixmap: number, drawable: number, width: number, height: number, depth: number, segment: number, offset: number): Uint8Array {
  const { bytes, view } = request(major, 5, 7);
  view.setUint32(4, pixmap, true);
  view.setUint32(8, drawable, true);
  view.setUint16(12, width, true);
  view.setUint16(14, height, true);
  view.setUint8(16, depth);
  view.setUint32(20, segment, true);
  view.setUint32(24, offset, true);
  return bytes;
}

// ---------------------------------------------------------------- RENDER

export function renderQueryVersion(major: number): Uint8Array {
  const { bytes, view } = request(major, 0, 3);
  view.setUint32(4, 0, true);
  view.setUint32(8, 11, true);
  return bytes;
}

export function renderQueryPictFormats(major: number): Uint8Array {
  return request(major, 1, 1).bytes;
}

/** The picture formats capture needs: the root visual's, and 32-bit a8r8g8b8 (bytes B, G, R, A). */
export interface PictFormats {
  rootFormat: number | undefined;
  argb32: number | undefined;
}

/** Finds the root visual's picture format (on `screen`) and a8r8g8b8 in a QueryPictFormats reply. */
export function parsePictFormats(reply: Uint8Array, screen: number, rootVisual: number): PictFormats {
  const v = new DataView(reply.buffer, reply.byteOffset, reply.length);
  const need = (end: number) => {
    if (end > reply.length) throw new X11ProtocolError('the X server sent a truncated RENDER format list');
  };
  const formatCount = v.getUint32(8, true);
  const screenCount = v.getUint32(12, true);
  let at = 32;
  need(at + formatCount * 28);
  let argb32: number | undefined;
  for (let i = 0; i < formatCount; i++, at += 28) {
    const direct = v.getUint8(at + 4) === 1;
    const depth = v.getUint8(at + 5);
    const shift = (k: number) => v.getUint16(at + 8 + k * 4, true);
    const mask = (k: number) => v.getUint16(at + 10 + k * 4, true);
    // red, green, blue, alpha at shifts 16, 8, 0, 24 with 8-bit masks: B, G, R, A bytes in a little-endian word.
    if (direct && depth === 32 && [shift(0), shift(1), shift(2), shift(3)].join() === '16,8,0,24' && [mask(0), mask(1), mask(2), mask(3)].every((m) => m === 0xff)) {
      argb32 ??= v.getUint32(at, true);
    }
  }
  let rootFormat: number | undefined;
  for (let s = 0; s < screenCount; s++) {
    need(at + 8);
    const depthCount = v.getUint32(at, true);
    at += 8;
    for (let d = 0; d < depthCount; d++) {
      need(at + 8);
      const visualCount = v.getUint16(at + 2, true);
      at += 8;
      need(at + visualCount * 8);
      for (let i = 0; i < visualCount; i++, at += 8) if (s === screen && v.getUint32(at, true) === rootVisual) rootFormat = v.getUint32(at + 4, true);
    }
  }
  return { rootFormat, argb32 };
}

/** CreatePicture; `includeInferiors` makes a window's picture include its child windows (what a screen capture wants). */
export function renderCreatePicture(major: number, picture: number, drawable: number, format: number, includeInferiors: boolean): Uint8Array {
  const { bytes, view } = request(major, 4, includeInferiors ? 6 : 5);
  view.setUint32(4, picture, true);
  view.setUint32(8, drawable, true);
  view.setUint32(12, format, true);
  if (includeInferiors) {
    view.setUint32(16, 1 << 8, true); // CPSubwindowMode
    view.setUint32(20, 1, true); // IncludeInferiors
  }
  return bytes;
}

export function renderFreePicture(major: number, picture: number): Uint8Array {
  const { bytes, view } = request(major, 7, 2);
  view.setUint32(4, picture, true);
  return bytes;
}

/** Composite with op Src: copies `src` at (srcX, srcY) over `dst` at (0, 0); a source without alpha gives opaque pixels. */
export function renderCompositeSrc(major: number, src: number, dst: number, srcX: number, srcY: number, width: number, height: number): Uint8Array {
  const { bytes, view } = request(major, 8, 9);
  view.setUint8(4, 1); // PictOpSrc
  view.setUint32(8, src, true);
  view.setUint32(12, 0, true);
  view.setUint32(16, dst, true);
  view.setInt16(20, srcX, true);
  view.setInt16(22, srcY, true);
  view.setUint16(32, width, true);
  view.setUint16(34, height, true);
  return bytes;
}
