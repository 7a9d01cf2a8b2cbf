import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseVcamArgs, UsageError } from './main.js';
import { installUnit } from '../daemon/service-unit.js';

describe('vidbus vcam --install-service', () => {
  it('writes a user unit that runs the same camera at login', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    try {
      const args = parseVcamArgs(['--from', 'cam0', '--device', 'vidbus camera', '--install-service']);
      assert.equal(args.installService, true);
      const { path, next } = installUnit({ from: args.from, args: args.passthrough, node: '/usr/bin/node', cli: '/opt/vidbus/dist/src/cli/main.js', unitDir: dir });
      assert.equal(path, join(dir, 'vidbus-vcam-cam0.service'));
      const unit = readFileSync(path, 'utf8');
      assert.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/vidbus\/dist\/src\/cli\/main\.js vcam --from cam0 --device "vidbus camera"$/m);
      assert.doesNotMatch(unit, /install-service/);
      assert.match(unit, /^Restart=on-failure$/m);
      assert.match(unit, /^WantedBy=default\.target$/m);
      assert.match(next[0]!, /systemctl --user enable --now vidbus-vcam-cam0\.service/);
      assert.ok(next.some((l) => l.includes('exclusive_caps=1') && l.includes('/etc/modprobe.d/v4l2loopback.conf')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('vidbus vcam arguments', () => {
  it('parses every option, with defaults', () => {
    assert.deepEqual(parseVcamArgs(['--from', 'cam0']), { from: 'cam0', width: 1280, height: 720, fps: 30, format: 'YUYV', stallMs: 1000, installService: false, passthrough: ['--from', 'cam0'] });
    const withPicture = parseVcamArgs(['--from', 'cam0', '--placeholder', 'brb.png', '--install-service']);
    assert.equal(withPicture.placeholder, resolve('brb.png'), 'the picture path is made absolute');
    assert.deepEqual(withPicture.passthrough, ['--from', 'cam0', '--placeholder', resolve('brb.png')]);
    assert.deepEqual(parseVcamArgs(['--from', 'fx', '--device', 'vidbus camera', '--size', '640x480', '--fps', '15', '--format', 'nv12', '--stall-ms', '250']), {
      from: 'fx',
      device: 'vidbus camera',
      width: 640,
      height: 480,
      fps: 15,
      format: 'NV12',
      stallMs: 250,
      installService: false,
      passthrough: ['--from', 'fx', '--device', 'vidbus camera', '--size', '640x480', '--fps', '15', '--format', 'nv12', '--stall-ms', '250'],
    });
  });

  it('rejects what it cannot use, with the reason', () => {
    assert.throws(() => parseVcamArgs([]), (e) => e instanceof UsageError && /--from/.test(e.message));
    assert.throws(() => parseVcamArgs(['--from', 'x', '--size', '640']), /--size must look like 1280x720/);
    assert.throws(() => parseVcamArgs(['--from', 'x', '--fps', '0']), /--fps must be a positive integer/);
    assert.throws(() => parseVcamArgs(['--from', 'x', '--colour', 'red']), UsageError);
    assert.throws(() => parseVcamArgs(['--from', 'x', 'extra']), UsageError);
  });
});
