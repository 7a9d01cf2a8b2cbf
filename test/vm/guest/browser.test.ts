/**
 * In the lab VM: headless Chromium (Debian's, driven with playwright-core)
 * lists the vidbus virtual camera by its label and sees the colour a bus
 * producer publishes through `vidbus vcam`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listLoopbackDevices } from '../../../src/api/vcam.js';
import { spawnChild, type Child } from '../../helpers.js';
import { CHROMIUM, launchChromium, openProbePage, type CameraProbe } from '../../browser-probe.js';
import { inVm, modprobe, rmmod, waitFor } from './kernel.js';

const LABEL = 'vidbus browser cam';
const STREAM = 'vm-browser';
const COLOUR = [40, 160, 220];
const cli = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));


describe('Chromium sees the virtual camera', { skip: !inVm ? 'runs inside the VM lab only (npm run test:vm)' : !existsSync(CHROMIUM) ? 'chromium is not installed' : false }, () => {
  let producer: Child | undefined;
  let vcam: ChildProcess | undefined;

  before(async () => {
    modprobe('v4l2loopback', ['devices=1', 'video_nr=70', `card_label="${LABEL}"`, 'exclusive_caps=1']);
    producer = spawnChild('solid-producer', STREAM, 640, 480, 'RGBA', COLOUR[0]!, COLOUR[1]!, COLOUR[2]!, 15);
    await producer.waitFor('ready', 60000);
    vcam = spawn(process.execPath, [cli, 'vcam', '--from', STREAM, '--device', LABEL, '--size', '640x480', '--fps', '15'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor('the daemon to attach', () => listLoopbackDevices().find((d) => d.card === LABEL && d.canCapture), 60000);
  });

  after(async () => {
    vcam?.kill('SIGTERM');
    if (vcam && vcam.exitCode === null) await new Promise((r) => vcam!.once('exit', r));
    await producer?.kill();
    rmmod('v4l2loopback');
  });

  it('lists the camera by its label and shows the published colour', { timeout: 600000 }, async () => {
    const browser = await launchChromium();
    try {
      const page = await openProbePage(browser, '/tmp/camera.html');
      const result = await page.evaluate(() => (globalThis as unknown as { probe: () => Promise<CameraProbe> }).probe());
      assert.ok(result.labels.some((l) => l.includes(LABEL)), `camera labels: ${JSON.stringify(result.labels)}`);
      assert.deepEqual([result.width, result.height], [640, 480]);
      result.colour.forEach((v, i) => assert.ok(Math.abs(v - COLOUR[i]!) <= 12, `channel ${i}: ${v.toFixed(1)} vs ${COLOUR[i]} (${JSON.stringify(result)})`));
    } finally {
      await browser.close();
    }
  });
});
