/**
 * The picture a virtual camera shows while no producer is attached.
 */
export const PLACEHOLDER_BACKGROUND: readonly [number, number, number] = [28, 32, 48];

/**
 * The card shown while no producer is attached: a dark background, a frame,
 * and a dot that moves one step per frame so viewers see a live camera.
 */
export function drawPlaceholder(out: Uint8Array, w: number, h: number, n: number): void {
  const [br, bg, bb] = PLACEHOLDER_BACKGROUND;
  for (let i = 0; i < w * h * 4; i += 4) {
    out[i] = br;
    out[i + 1] = bg;
    out[i + 2] = bb;
    out[i + 3] = 255;
  }
  const border = Math.max(2, Math.round(Math.min(w, h) / 60));
  const light = (x: number, y: number, v: number) => out.set([v, v, v], (y * w + x) * 4);
  const inset = Math.round(Math.min(w, h) / 10);
  for (let t = 0; t < border; t++) {
    for (let x = inset; x < w - inset; x++) {
      light(x, inset + t, 90);
      light(x, h - inset - 1 - t, 90);
    }
    for (let y = inset; y < h - inset; y++) {
      light(inset + t, y, 90);
      light(w - inset - 1 - t, y, 90);
    }
  }
  const size = Math.max(2, Math.round(Math.min(w, h) / 16));
  const span = Math.max(1, w - 2 * inset - 2 * size);
  const dotX = inset + size + ((n * 3) % span);
  const dotY = h - inset - 2 * size;
  for (let y = dotY; y < dotY + size; y++) for (let x = dotX; x < dotX + size; x++) light(x, y, 220);
}
