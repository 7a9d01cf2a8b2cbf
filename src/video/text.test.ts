import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { frameLayout } from './formats.js';
import { drawPattern, labelGeometry, patternLabel } from './pattern.js';
import { readText } from './text.js';

describe('burned-in labels', () => {
  it('draws the frame number and time so they can be read back', () => {
    const layout = frameLayout('RGBA', 640, 360);
    const data = new Uint8Array(layout.frameBytes);
    const label = patternLabel(1234, Date.UTC(2026, 10, 21, 13, 45, 6, 789));
    assert.equal(label, '#001234 13:45:06.789');
    drawPattern(data, layout, 1234, label);
    const { x, y, scale } = labelGeometry(layout);
    assert.equal(readText(data, layout, x, y, label.length, scale), label);
    const plain = new Uint8Array(layout.frameBytes);
    drawPattern(plain, layout, 1234);
    assert.notEqual(readText(plain, layout, x, y, label.length, scale), label, 'no label unless asked for');
  });
});
