/** Views over frame bytes: one per slot, one per plane. */
import type { FrameLayout } from '../video/formats.js';
import { dataOffsetFor, slotStrideFor } from './layout.js';

/** A view over each slot's frame bytes (capacity frameBytes). */
export function slotViews(buffer: ArrayBuffer, slotCount: number, frameBytes: number): Uint8Array[] {
  const base = dataOffsetFor(slotCount);
  const stride = slotStrideFor(frameBytes);
  return Array.from({ length: slotCount }, (_, i) => new Uint8Array(buffer, base + i * stride, frameBytes));
}

/** A view over each plane of a raw frame (rows include stride padding). */
export function planeViews(frame: Uint8Array, layout: FrameLayout): Uint8Array[] {
  return layout.planes.map((p) => frame.subarray(p.offset, p.offset + p.stride * p.rows));
}
