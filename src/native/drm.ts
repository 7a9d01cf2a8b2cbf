/**
 * Typed DRM/KMS calls for screen capture (native/drm.c): what a card shows,
 * the framebuffer a CRTC scans out, and mapping it for reading.
 */
import { loadNative, type RawDrmConnector, type RawDrmCrtc, type RawDrmFramebuffer } from './binding.js';

export type { RawDrmConnector, RawDrmCrtc, RawDrmFramebuffer, RawDrmMode } from './binding.js';

export const drmResources = (fd: number) => loadNative().drmResources(fd);
export const drmConnector = (fd: number, id: number): RawDrmConnector => loadNative().drmConnector(fd, id);
export const drmEncoderCrtc = (fd: number, id: number): number => loadNative().drmEncoderCrtc(fd, id);
export const drmCrtc = (fd: number, id: number): RawDrmCrtc => loadNative().drmCrtc(fd, id);
export const drmFramebuffer = (fd: number, fbId: number): RawDrmFramebuffer => loadNative().drmFramebuffer(fd, fbId);
/** A read-only DMA-BUF descriptor of a GEM object (close it with closeFd). */
export const drmExportHandle = (fd: number, handle: number): number => loadNative().drmExportHandle(fd, handle);
/** Where to mmap the card's fd to read a dumb buffer. */
export const drmDumbMapOffset = (fd: number, handle: number): number => loadNative().drmDumbMapOffset(fd, handle);
export const drmCloseHandle = (fd: number, handle: number): void => loadNative().drmCloseHandle(fd, handle);
/** Brackets CPU reads of a DMA-BUF. */
export const dmaBufSync = (fd: number, start: boolean): void => loadNative().dmaBufSync(fd, start);

/** A read-only mapping of `length` bytes of `fd` at `offset` (a page multiple); unmap with unmapBuffer. */
export const mapReadOnly = (fd: number, length: number, offset = 0): ArrayBuffer => loadNative().mmap(fd, length, false, false, offset);
export const unmapBuffer = (buffer: ArrayBuffer): void => loadNative().munmap(buffer);

/**
 * Copies `rows` rows of `rowBytes` from `src` (from `srcOffset`, `srcPitch`
 * apart) into `dst` (`dstStride` apart), setting each 32-bit pixel's fourth
 * byte to 255 when `opaque`. The addon checks every row against both buffers.
 */
export function copyRows(src: Uint8Array, srcOffset: number, srcPitch: number, dst: Uint8Array, dstStride: number, rowBytes: number, rows: number, opaque: boolean): void {
  loadNative().pixelsCopyRows(src, srcOffset, srcPitch, dst, dstStride, rowBytes, rows, opaque);
}
