import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { streamNameOfFile, validateStreamName } from './names.js';
import { streamPermissions } from './permissions.js';

describe('stream names and permissions', () => {
  it('validates stream names', () => {
    assert.equal(validateStreamName('cam0-fx_2'), 'cam0-fx_2');
    for (const bad of ['', '-x', 'a/b', 'a.b', 'x'.repeat(64), 'ümlaut', 3]) {
      assert.throws(() => validateStreamName(bad), { code: 'ERR_INVALID_NAME' });
    }
    assert.equal(streamNameOfFile('vidbus-cam0'), 'cam0');
    assert.equal(streamNameOfFile('vidbus-cam0.ctl'), undefined);
    assert.equal(streamNameOfFile('shmpipe.1'), undefined);
  });

  it('derives ctl permissions so readers can register', () => {
    assert.deepEqual(streamPermissions(undefined, undefined), { dataMode: 0o600, ctlMode: 0o600, gid: undefined });
    assert.equal(streamPermissions(0o640, 0).ctlMode, 0o660);
    assert.equal(streamPermissions(0o644, undefined).ctlMode, 0o666);
    assert.throws(() => streamPermissions(0o400, undefined), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => streamPermissions(0o600, 'no-such-group-xyz'), { code: 'ERR_INVALID_OPTION', message: /groupadd/ });
  });
});
