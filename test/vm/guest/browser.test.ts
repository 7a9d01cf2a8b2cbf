/**
 * In the lab VM: headless Chromium (Debian's, driven with playwright-core)
 * lists the vidbus virtual camera by its label and sees the colour a bus
 * producer publishes through `vidbus vcam`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listLoopbackDevices } from '../../../src/api/vcam.js';
import { spawnChild, type Child } from '../../helpers.js';
import { inVm, modprobe, rmmod, waitFor } from './kernel.js';

const LABEL = 'vidbus browser cam';
const STREAM = 'vm-browser';
const COLOUR = [40, 160, 220];
const cli = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

// A page that opens the camera, draws a frame to a canvas and reports the
// camera labels and the mean colour of the frame's centre.
const PAGE = `<!doctype html><meta charset="utf-8"><body><script>
window.probe = async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  const labels = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput').map((d) => d.label);
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  await video.play();
  await new Promise((r) => (video.requestVideoFrameCallback ? video.requestVideoFrameCallback(() => r()) : setTimeout(r, 1000)));
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(video, 0, 0);
  const w = canvas.width, h = canvas.height;
  const data = ctx.getImageData(w / 4, h / 4, w / 2, h / 2).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) { sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2]; }
  const n = data.length / 4;
  stream.getTracks().forEach((t) => t.stop());
  return { labels, width: w, height: h, colour: sum.map((s) => s / n), track: stream.getVideoTracks()[0]?.label };
};
</script>`;

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
    const { chromium } = await import('playwright-core');
    writeFileSync('/tmp/camera.html', PAGE);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: 300000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
      ],
    });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(300000);
      await page.goto('file:///tmp/camera.html');
      const result = await page.evaluate(() => (globalThis as unknown as { probe: () => Promise<{ labels: string[]; width: number; height: number; colour: number[]; track: string }> }).probe());
      assert.ok(result.labels.some((l) => l.includes(LABEL)), `camera labels: ${JSON.stringify(result.labels)}`);
      assert.deepEqual([result.width, result.height], [640, 480]);
      result.colour.forEach((v, i) => assert.ok(Math.abs(v - COLOUR[i]!) <= 12, `channel ${i}: ${v.toFixed(1)} vs ${COLOUR[i]} (${JSON.stringify(result)})`));
    } finally {
      await browser.close();
    }
  });
});
