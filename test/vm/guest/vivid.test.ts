/** In the lab VM: vivid, a real V4L2 camera driver, seen through vidbus's native layer. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { queryCapabilities } from '../../../src/native/v4l2.js';
import { inVm, modprobe, rmmod, videoDevices, waitFor } from './kernel.js';

describe('vivid in the lab', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  before(() => modprobe('vivid', ['n_devs=1', 'node_types=0x1', 'input_types=0x81']));
  after(() => rmmod('vivid'));

  it('loads, and the native layer reads a capture device’s capabilities', async () => {
    const vivid = await waitFor('a vivid capture node', () => videoDevices().find((d) => d.driver === 'vivid' && d.canCapture));
    assert.match(vivid.card, /vivid/i);
    assert.ok(vivid.streaming, 'vivid supports streaming I/O');
    assert.match(vivid.busInfo, /platform:vivid/);
    assert.match(vivid.version, /^\d+\.\d+\.\d+$/);
  });

  it('reports a typed error for a node that is not a video device', () => {
    assert.throws(() => queryCapabilities('/dev/null'), { code: 'ERR_NOT_A_V4L2_DEVICE' });
    assert.throws(() => queryCapabilities('/dev/video-nonexistent'), { code: 'ERR_DEVICE_NOT_FOUND', errno: 'ENOENT' });
  });
});
