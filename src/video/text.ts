/**
 * Burning text into RGBA/BGRA pictures: a 5x7 bitmap font of digits and a
 * few symbols, enough for frame counters and clocks in test patterns (so a
 * viewer, or a test reading the picture, sees which frame it is).
 */
import type { FrameLayout } from './formats.js';

/** Seven rows of five bits per glyph, most significant bit on the left. */
const GLYPHS: Record<string, number[]> = {
  '0': [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
  '1': [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
  '2': [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
  '3': [0b11110, 0b00001, 0b00001, 0b01110, 0b00001, 0b00001, 0b11110],
  '4': [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
  '5': [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
  '6': [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
  '7': [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
  '8': [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
  '9': [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
  ':': [0b00000, 0b00100, 0b00100, 0b00000, 0b00100, 0b00100, 0b00000],
  '.': [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100],
  '#': [0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010],
  '-': [0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000],
  ' ': [0, 0, 0, 0, 0, 0, 0],
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

/** Width in pixels of `text` at `scale` (one column of spacing per glyph). */
export function textWidth(text: string, scale: number): number {
  return text.length * (GLYPH_WIDTH + 1) * scale;
}

/**
 * Draws `text` with its top-left corner at (x, y), `scale` pixels per font
 * pixel, white on a black box one font pixel wider all round. Characters
 * outside the font draw as blanks; anything past the picture is clipped.
 */
export function drawText(data: Uint8Array, layout: FrameLayout, x: number, y: number, text: string, scale: number): void {
  const stride = layout.planes[0]!.stride;
  const put = (px: number, py: number, v: number) => {
    if (px < 0 || py < 0 || px >= layout.width || py >= layout.height) return;
    const o = py * stride + px * 4;
    data[o] = data[o + 1] = data[o + 2] = v;
    data[o + 3] = 255;
  };
  const boxW = textWidth(text, scale) + scale;
  const boxH = (GLYPH_HEIGHT + 2) * scale;
  for (let py = 0; py < boxH; py++) for (let px = 0; px < boxW; px++) put(x - scale + px, y - scale + py, 0);
  [...text].forEach((ch, i) => {
    const rows = GLYPHS[ch] ?? GLYPHS[' ']!;
    const gx = x + i * (GLYPH_WIDTH + 1) * scale;
    rows.forEach((bits, row) => {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (!((bits >> (GLYPH_WIDTH - 1 - col)) & 1)) continue;
        for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) put(gx + col * scale + sx, y + row * scale + sy, 255);
      }
    });
  });
}

/** Reads back text drawn by drawText (for tests): the glyph whose bitmap matches each cell, '?' otherwise. */
export function readText(data: Uint8Array, layout: FrameLayout, x: number, y: number, length: number, scale: number): string {
  const stride = layout.planes[0]!.stride;
  let out = '';
  for (let i = 0; i < length; i++) {
    const gx = x + i * (GLYPH_WIDTH + 1) * scale;
    const rows: number[] = [];
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      let bits = 0;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        const o = (y + row * scale + (scale >> 1)) * stride + (gx + col * scale + (scale >> 1)) * 4;
        bits = (bits << 1) | (data[o]! > 127 ? 1 : 0);
      }
      rows.push(bits);
    }
    out += Object.entries(GLYPHS).find(([, g]) => g.every((b, r) => b === rows[r]))?.[0] ?? '?';
  }
  return out;
}
