/**
 * Headless Chromium (Debian's, driven by playwright-core) opening a camera
 * the way a video-call page does: shared by the v4l2loopback test in the
 * VM lab and the PipeWire camera test.
 */
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** What the probe page saw. */
export interface CameraProbe {
  /** every videoinput label enumerateDevices() gave */
  labels: string[];
  /** the frame's size */
  width: number;
  height: number;
  /** mean RGB of the frame's centre half */
  colour: number[];
  /** the track's label */
  track: string;
}

// A page that opens a camera (by label when given), draws a frame to a canvas
// and reports the labels and the mean colour of the frame's centre. It keeps the
// track open between calls of sample(), as a call page does. enumerateDevices()
// is retried: Chromium's first PipeWire enumeration can finish before WirePlumber
// has granted access and come back empty.
export const PROBE_PAGE = `<!doctype html><meta charset="utf-8"><body><script>
let stream, video;
async function labels() {
  for (let i = 0; i < 40; i++) {
    const found = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput' && d.label);
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
  return [];
}
window.open_camera = async (label) => {
  // Permission first (labels stay empty without it); the first try can find no camera yet.
  for (let i = 0; i < 40; i++) {
    try { (await navigator.mediaDevices.getUserMedia({ video: true })).getTracks().forEach((t) => t.stop()); break; }
    catch (e) { if (i === 39) throw e; await new Promise((r) => setTimeout(r, 250)); }
  }
  const devices = await labels();
  const device = label ? devices.find((d) => d.label.includes(label)) : devices[0];
  stream = await navigator.mediaDevices.getUserMedia({ video: device ? { deviceId: { exact: device.deviceId } } : true });
  video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  await video.play();
  return devices.map((d) => d.label);
};
window.sample = async () => {
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
  return { width: w, height: h, colour: sum.map((s) => s / n), track: stream.getVideoTracks()[0].label, live: stream.getVideoTracks()[0].readyState };
};
window.probe = async (label) => {
  const labels = await window.open_camera(label);
  const s = await window.sample();
  stream.getTracks().forEach((t) => t.stop());
  return { labels, ...s };
};
</script>`;

/** Launches headless Chromium with the flags this machine needs, plus `extraArgs`, in `env`. */
export async function launchChromium(extraArgs: string[] = [], env?: NodeJS.ProcessEnv): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 300000,
    ...(env ? { env: env as Record<string, string> } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      ...extraArgs,
    ],
  });
}

/** Opens the probe page (from a file: getUserMedia needs a secure context, which file:// is). */
export async function openProbePage(browser: Browser, file: string): Promise<Page> {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, PROBE_PAGE);
  const page = await browser.newPage();
  page.setDefaultTimeout(300000);
  await page.goto(`file://${file}`);
  return page;
}
