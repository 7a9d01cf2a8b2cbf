import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVidbusError } from '../errors.js';
import { parseRegion, pickScreen } from './screen-source.js';

describe('--screen', () => {
  it('auto takes the portal on Wayland (even with XWayland\'s DISPLAY) and X11 with a DISPLAY', () => {
    assert.deepEqual(pickScreen('auto', { WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' }), { kind: 'portal' });
    assert.deepEqual(pickScreen('auto', { DISPLAY: ':3' }), { kind: 'x11', display: ':3' });
    assert.deepEqual(pickScreen('x11', { DISPLAY: ':1.0' }), { kind: 'x11', display: ':1.0' });
  });

  it('names X displays, the portal and DRM cards explicitly', () => {
    assert.deepEqual(pickScreen('x11::7', {}), { kind: 'x11', display: ':7' });
    assert.deepEqual(pickScreen(':2', {}), { kind: 'x11', display: ':2' });
    assert.deepEqual(pickScreen('portal', {}), { kind: 'portal' });
    assert.deepEqual(pickScreen('drm:/dev/dri/card1', {}), { kind: 'drm', card: '/dev/dri/card1' });
  });

  it('refuses what it does not know, and x11 without a DISPLAY', () => {
    assert.throws(() => pickScreen('wayland', {}), (e) => isVidbusError(e, 'ERR_INVALID_OPTION') && /drm:\/dev\/dri\/cardN/.test((e as Error).message));
    assert.throws(() => pickScreen('x11', {}), (e) => isVidbusError(e, 'ERR_DISPLAY_UNAVAILABLE') && /DISPLAY is not set/.test((e as Error).message));
  });

  it('parses --region', () => {
    assert.deepEqual(parseRegion('10, 20,640,480'), { x: 10, y: 20, width: 640, height: 480 });
    for (const bad of ['10,20,640', '1,2,3,x', '-1,0,10,10', '0,0,0,10']) assert.throws(() => parseRegion(bad), (e) => isVidbusError(e, 'ERR_INVALID_OPTION'), bad);
  });
});
