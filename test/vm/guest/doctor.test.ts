/**
 * In the lab VM: `vidbus doctor` against each failure it can reproduce for
 * real: module not loaded, loaded without exclusive_caps, a device busy
 * (and by whom), and the "works once" state a write()-only ffmpeg leaves
 * behind on v4l2loopback 0.12.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { DoctorReport } from '../../../src/devices/loopback-doctor.js';
import { listLoopbackDevices } from '../../../src/api/vcam.js';
import { background, inVm, modprobe, rmmod, waitFor } from './kernel.js';
import { stopProcess } from '../../helpers.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const DEVICE = '/dev/video80';

async function doctor(): Promise<{ report: DoctorReport; code: number; text: string }> {
  const json = await run(process.execPath, [cli, 'doctor', '--json']).then(
    (r) => ({ out: r.stdout, code: 0 }),
    (e: { stdout: string; code: number }) => ({ out: e.stdout, code: e.code }),
  );
  const text = await run(process.execPath, [cli, 'doctor']).then(
    (r) => r.stdout,
    (e: { stdout: string }) => e.stdout,
  );
  return { report: JSON.parse(json.out) as DoctorReport, code: json.code, text };
}

const ids = (r: DoctorReport) => r.findings.map((f) => f.id);

describe('vidbus doctor', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  after(() => {
    try {
      rmmod('v4l2loopback');
    } catch {
      // already unloaded
    }
  });

  it('says the module is not loaded, with the modprobe line', async () => {
    const { report, code, text } = await doctor();
    assert.equal(code, 1);
    assert.ok(ids(report).includes('module-not-loaded'), JSON.stringify(report.findings));
    assert.match(text, /fix: sudo modprobe v4l2loopback devices=1 exclusive_caps=1/);
  });

  it('warns that Chrome will not list a device without exclusive_caps', async () => {
    modprobe('v4l2loopback', ['devices=1', 'video_nr=80', 'card_label="doctor"', 'exclusive_caps=0']);
    try {
      const { report } = await doctor();
      assert.ok(ids(report).includes('no-exclusive-caps'), JSON.stringify(report.findings));
      assert.equal(report.module.loaded, true);
      assert.match(report.module.version ?? '', /^0\.12\.\d+$/);
      assert.ok(ids(report).includes('static-devices'));
    } finally {
      rmmod('v4l2loopback');
    }
  });

  it('names the process that keeps a device busy, then explains the works-once state it leaves', async () => {
    modprobe('v4l2loopback', ['devices=1', 'video_nr=80', 'card_label="doctor"', 'exclusive_caps=1']);
    assert.equal((await doctor()).report.ready, true);
    const ffmpeg = background('ffmpeg', ['-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'color=c=red:s=320x240:r=15', '-pix_fmt', 'yuyv422', '-f', 'v4l2', DEVICE]);
    await waitFor('ffmpeg to attach', () => listLoopbackDevices().find((d) => d.path === DEVICE && d.canCapture), 120000);
    const busy = await doctor();
    const finding = busy.report.findings.find((f) => f.id === 'device-busy');
    assert.ok(finding, JSON.stringify(busy.report.findings));
    assert.match(finding.message, /ffmpeg \(pid \d+\)/);
    assert.equal(busy.code, 1);
    await stopProcess(ffmpeg);
    // ffmpeg writes with write() and never STREAMON: 0.12 leaves the device offering neither side.
    const stuck = await doctor();
    assert.ok(ids(stuck.report).includes('device-stuck'), JSON.stringify(stuck.report.findings));
    assert.match(stuck.text, /works once/);
    rmmod('v4l2loopback');
    modprobe('v4l2loopback', ['devices=1', 'video_nr=80', 'card_label="doctor"', 'exclusive_caps=1']);
    const fixed = await doctor();
    assert.equal(fixed.code, 0);
    assert.ok(ids(fixed.report).includes('device-free'));
  });
});
