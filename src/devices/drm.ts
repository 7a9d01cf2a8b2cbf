/**
 * Reading what a DRM/KMS card scans out: pick a connector (or a CRTC),
 * follow the framebuffer its CRTC shows (it changes on every page flip),
 * map it (exported as a DMA-BUF, or the dumb buffer's map where the driver
 * refuses the export) and copy it out. No compositor and no protocol: it
 * works under any desktop or none, and needs CAP_SYS_ADMIN or DRM master
 * (the kernel hides a framebuffer's memory from everyone else).
 */
import { closeSync, openSync, readdirSync } from 'node:fs';
import { VidbusError, isVidbusError } from '../errors.js';
import { fourccToU32, u32ToFourcc } from '../video/formats.js';
import { closeFd } from '../native/shm.js';
import {
  copyRows,
  dmaBufSync,
  drmCloseHandle,
  drmConnector,
  drmCrtc,
  drmDumbMapOffset,
  drmEncoderCrtc,
  drmExportHandle,
  drmFramebuffer,
  drmResources,
  mapReadOnly,
  unmapBuffer,
  type RawDrmConnector,
  type RawDrmFramebuffer,
  type RawDrmMode,
} from '../native/drm.js';

/** Kernel connector type names (DRM_MODE_CONNECTOR_*), as in /sys/class/drm and xrandr. */
const CONNECTOR_TYPES = ['Unknown', 'VGA', 'DVI-I', 'DVI-D', 'DVI-A', 'Composite', 'SVIDEO', 'LVDS', 'Component', 'DIN', 'DP', 'HDMI-A', 'HDMI-B', 'TV', 'eDP', 'Virtual', 'DSI', 'DPI', 'Writeback', 'SPI', 'USB'];

/** The framebuffer formats vidbus reads: bytes B, G, R, X/A in memory, published as BGRA. */
const XRGB8888 = fourccToU32('XR24');
const ARGB8888 = fourccToU32('AR24');

/** One output of a card. */
export interface DrmOutput {
  /** e.g. 'Virtual-1', 'HDMI-A-1' */
  name: string;
  connectorId: number;
  connected: boolean;
  /** the CRTC showing it now (undefined: off) */
  crtcId?: number;
  /** the mode shown now */
  mode?: RawDrmMode;
  /** the modes it offers */
  modes: RawDrmMode[];
}

function connectorName(c: RawDrmConnector): string {
  return `${CONNECTOR_TYPES[c.type] ?? `Type${c.type}`}-${c.typeId}`;
}

/** Opens a card for reading; typed errors for what users hit. */
function openCard(path: string): number {
  try {
    return openSync(path, 'r+');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VidbusError('ERR_DEVICE_NOT_FOUND', `No DRM card at ${path}. The cards here: ${drmCards().join(', ') || 'none (no display driver loaded)'}`);
    if (code === 'EACCES' || code === 'EPERM') throw new VidbusError('ERR_PERMISSION', `${path}: permission denied. Join the group that owns it (usually "video") or run as root`);
    throw new VidbusError('ERR_SYSCALL', `${path}: ${(e as Error).message}`, { errno: code, syscall: 'open' });
  }
}

/** The DRM cards (/dev/dri/cardN) of this machine. */
export function drmCards(): string[] {
  try {
    return readdirSync('/dev/dri')
      .filter((f) => /^card\d+$/.test(f))
      .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
      .map((f) => `/dev/dri/${f}`);
  } catch {
    return [];
  }
}

function outputsOf(fd: number, path: string): DrmOutput[] {
  let resources;
  try {
    resources = drmResources(fd);
  } catch (e) {
    if (isVidbusError(e) && (e.errno === 'EOPNOTSUPP' || e.errno === 'EINVAL' || e.errno === 'ENOTTY')) {
      throw new VidbusError('ERR_DISPLAY_UNAVAILABLE', `${path} is not a KMS display card (it has no connectors or CRTCs to read: a render-only or non-display device)`);
    }
    throw e;
  }
  return resources.connectors.map((id) => {
    const c = drmConnector(fd, id);
    const crtcId = c.encoderId ? drmEncoderCrtc(fd, c.encoderId) : 0;
    const crtc = crtcId ? drmCrtc(fd, crtcId) : undefined;
    return {
      name: connectorName(c),
      connectorId: id,
      connected: c.connection === 1,
      ...(crtc?.mode ? { crtcId, mode: crtc.mode } : {}),
      modes: c.modes,
    };
  });
}

/** Every output of a card, with what it shows now. */
export function listDrmOutputs(path: string): DrmOutput[] {
  const fd = openCard(path);
  try {
    return outputsOf(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** The framebuffer being read, mapped. */
interface MappedFramebuffer {
  fbId: number;
  fb: RawDrmFramebuffer;
  buffer: ArrayBuffer;
  view: Uint8Array;
  /** the DMA-BUF descriptor (undefined: a dumb-buffer map of the card) */
  dmabuf: number | undefined;
}

/** How a framebuffer is read: exported as a DMA-BUF, or mapped as a dumb buffer. */
export type DrmReadPath = 'dmabuf' | 'dumb';

export class DrmCapture implements Disposable {
  /** the output read (its name, CRTC, mode) */
  readonly output: DrmOutput & { crtcId: number; mode: RawDrmMode };
  private mapped: MappedFramebuffer | undefined;
  private closed = false;

  private constructor(
    private readonly fd: number,
    readonly card: string,
    output: DrmOutput & { crtcId: number; mode: RawDrmMode },
  ) {
    this.output = output;
  }

  /**
   * Opens `card` and picks the output: by connector name, by CRTC id, or
   * the first connected output that shows something. Checks at once that
   * this process may read framebuffers (ERR_PERMISSION otherwise).
   */
  static open(card: string, choose: { connector?: string; crtc?: number } = {}): DrmCapture {
    const fd = openCard(card);
    try {
      const outputs = outputsOf(fd, card);
      const names = outputs.map((o) => `${o.name}${o.crtcId ? ` (CRTC ${o.crtcId}, ${o.mode!.width}x${o.mode!.height})` : ' (off)'}`).join(', ');
      let output: DrmOutput | undefined;
      if (choose.connector !== undefined) {
        output = outputs.find((o) => o.name === choose.connector);
        if (!output) throw new VidbusError('ERR_INVALID_OPTION', `${card} has no connector "${choose.connector}"; it has ${names || 'none'}`);
      } else if (choose.crtc !== undefined) {
        output = outputs.find((o) => o.crtcId === choose.crtc);
        if (!output) throw new VidbusError('ERR_INVALID_OPTION', `No output of ${card} is on CRTC ${choose.crtc}; its outputs: ${names || 'none'}`);
      } else {
        output = outputs.find((o) => o.connected && o.crtcId) ?? outputs.find((o) => o.crtcId);
        if (!output) throw new VidbusError('ERR_DISPLAY_UNAVAILABLE', `Nothing is shown on ${card}: every output is off (${names || 'no connectors'}). Something must set a mode first (a compositor, a console, modetest)`);
      }
      if (!output.crtcId || !output.mode) throw new VidbusError('ERR_DISPLAY_UNAVAILABLE', `The connector ${output.name} of ${card} is off: nothing is scanned out to read`);
      const capture = new DrmCapture(fd, card, output as DrmOutput & { crtcId: number; mode: RawDrmMode });
      capture.current(); // fails now, not at the first frame, without the privilege or with an unreadable format
      return capture;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** How the current framebuffer is read. */
  get readPath(): DrmReadPath {
    return this.mapped?.dmabuf !== undefined ? 'dmabuf' : 'dumb';
  }

  /** The framebuffer the CRTC shows now, mapped (kept while it stays the same). */
  private current(): MappedFramebuffer {
    const crtc = drmCrtc(this.fd, this.output.crtcId);
    if (!crtc.mode || crtc.fbId === 0) throw new VidbusError('ERR_DEVICE_GONE', `The output ${this.output.name} of ${this.card} was switched off`);
    if (this.mapped?.fbId === crtc.fbId) return this.mapped;
    this.unmap();
    const fb = drmFramebuffer(this.fd, crtc.fbId);
    const handle = fb.handles[0]!;
    if (handle === 0) {
      throw new VidbusError(
        'ERR_PERMISSION',
        `Reading the screen of ${this.card} needs CAP_SYS_ADMIN or DRM master (the kernel hides framebuffer memory from everyone else). Run as root, or grant it: sudo setcap cap_sys_admin+ep "$(readlink -f "$(command -v node)")"`,
      );
    }
    try {
      if (fb.fourcc !== XRGB8888 && fb.fourcc !== ARGB8888) {
        throw new VidbusError('ERR_FORMAT_UNSUPPORTED', `The framebuffer of ${this.output.name} is ${u32ToFourcc(fb.fourcc)}; vidbus reads XR24 (XRGB8888) and AR24 (ARGB8888)`);
      }
      const linear = fb.modifierHigh === 0 && fb.modifierLow === 0;
      const invalid = fb.modifierHigh === 0x00ffffff && fb.modifierLow === 0xffffffff; // DRM_FORMAT_MOD_INVALID: implicit, linear for the drivers that scan out dumb buffers
      if (!linear && !invalid) {
        throw new VidbusError(
          'ERR_FORMAT_UNSUPPORTED',
          `The framebuffer of ${this.output.name} uses the tiled or compressed layout 0x${fb.modifierHigh.toString(16).padStart(8, '0')}${fb.modifierLow.toString(16).padStart(8, '0')}; vidbus reads linear framebuffers only`,
        );
      }
      const length = roundToPage(fb.offsets[0]! + fb.pitches[0]! * fb.height);
      let dmabuf: number | undefined;
      let buffer: ArrayBuffer;
      try {
        dmabuf = drmExportHandle(this.fd, handle);
        buffer = mapReadOnly(dmabuf, length);
      } catch (e) {
        // Drivers without PRIME export for scanout buffers (bochs: ENOSYS) or mmap of the DMA-BUF: the dumb buffer's own map.
        if (dmabuf !== undefined) closeFd(dmabuf);
        dmabuf = undefined;
        if (!isVidbusError(e) || !e.errno) throw e;
        buffer = mapReadOnly(this.fd, length, drmDumbMapOffset(this.fd, handle));
      }
      this.mapped = { fbId: crtc.fbId, fb, buffer, view: new Uint8Array(buffer), dmabuf };
      return this.mapped;
    } finally {
      // The mapping and the DMA-BUF keep the memory; the handle GETFB2 made for us is not needed any more.
      for (const h of new Set(fb.handles.filter((x) => x !== 0))) drmCloseHandle(this.fd, h);
    }
  }

  /** The size of what is shown now. */
  size(): { width: number; height: number } {
    const m = this.current();
    return { width: m.fb.width, height: m.fb.height };
  }

  /** The mapped bytes of what the output shows now (plane 0, rows `pitch` apart): what a plain copy would read (benchmarks). */
  framebufferBytes(): { bytes: Uint8Array; pitch: number } {
    const m = this.current();
    return { bytes: m.view.subarray(m.fb.offsets[0]!, m.fb.offsets[0]! + m.fb.pitches[0]! * m.fb.height), pitch: m.fb.pitches[0]! };
  }

  /**
   * Copies what the output shows into `dst` (BGRA, rows `stride` apart, at
   * most `width` x `height` of it), opaque. Throws ERR_FRAME_SIZE when the
   * framebuffer is now another size (a mode change), ERR_DEVICE_GONE when
   * the output went off.
   */
  copyInto(dst: Uint8Array, width: number, height: number, stride: number): void {
    const m = this.current();
    if (m.fb.width !== width || m.fb.height !== height) throw new VidbusError('ERR_FRAME_SIZE', `The screen of ${this.output.name} is now ${m.fb.width}x${m.fb.height}, not ${width}x${height}`);
    if (m.dmabuf !== undefined) dmaBufSync(m.dmabuf, true);
    try {
      copyRows(m.view, m.fb.offsets[0]!, m.fb.pitches[0]!, dst, stride, width * 4, height, m.fb.fourcc === XRGB8888);
    } finally {
      if (m.dmabuf !== undefined) dmaBufSync(m.dmabuf, false);
    }
  }

  private unmap(): void {
    if (!this.mapped) return;
    unmapBuffer(this.mapped.buffer);
    if (this.mapped.dmabuf !== undefined) closeFd(this.mapped.dmabuf);
    this.mapped = undefined;
  }

  /** Unmaps and closes the card. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unmap();
    closeSync(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const roundToPage = (n: number) => Math.ceil(n / 4096) * 4096;

