/**
 * BT.601 limited-range colour maths in integer arithmetic: the formulas the
 * native kernels use (native/pixels.c), so TypeScript can predict their
 * output exactly (tests, placeholders, solid colours).
 */

/** Y, U, V of one RGB colour. */
export function rgbToYuv(r: number, g: number, b: number): [number, number, number] {
  return [((66 * r + 129 * g + 25 * b + 128) >> 8) + 16, ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128, ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128];
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** R, G, B of one YUV colour. */
export function yuvToRgb(y: number, u: number, v: number): [number, number, number] {
  const c = 298 * (y - 16);
  const d = u - 128;
  const e = v - 128;
  return [clamp((c + 409 * e + 128) >> 8), clamp((c - 100 * d - 208 * e + 128) >> 8), clamp((c + 516 * d + 128) >> 8)];
}
