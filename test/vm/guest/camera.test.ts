/**
 * In the lab VM: capturing from vivid (a real V4L2 camera driver) onto the
 * bus. Two formats and sizes, USERPTR (the driver writes into bus slots)
 * and MMAP, a consumer in another process, vivid's colour bars in the
 * frames, bad requests, and the camera unplugged mid-stream (the driver
 * unbound through sysfs) with and without follow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { createCameraSource, type CameraSource } from '../../../src/sources/camera.js';
import { openConsumer } from '../../../src/index.js';
import { spawnChild, uniqueName } from '../../helpers.js';
import { inVm, modprobe, rmmod, videoDevices, waitFor } from './kernel.js';

/** vivid's default picture: 75% colour bars, left to right. */
const BARS = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
  [0, 0, 0],
];

const VIVID_DRIVER = '/sys/bus/platform/drivers/vivid';
/** What each open fd of this process points at (pipes and sockets are the test runner's and its children's, left out). */
const openFds = () =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '(closed while listing)';
      }
    })
    .filter((target) => target !== '(closed while listing)' && !target.startsWith('pipe:') && !target.startsWith('socket:'))
    .sort();

describe('camera capture from vivid', { skip: inVm ? false : 'runs inside the VM lab only (npm run test:vm)' }, () => {
  let camera: string;
  let output: string;

  before(async () => {
    // one vivid instance with a capture node and an output node
    modprobe('vivid', ['n_devs=1', 'node_types=0x101']);
    camera = (await waitFor('vivid capture', () => videoDevices().find((d) => d.driver === 'vivid' && d.canCapture))).path;
    output = (await waitFor('vivid output', () => videoDevices().find((d) => d.driver === 'vivid' && d.canOutput && !d.canCapture))).path;
  });
  after(() => {
    rmmod('vivid');
    rmmod('v4l2loopback');
  });

  for (const [format, width, height, io] of [
    ['YUYV', 640, 480, 'auto'],
    ['NV12', 1280, 720, 'mmap'],
    ['I420', 320, 180, 'auto'],
  ] as const) {
    it(`captures ${format} ${width}x${height} (${io}) for a consumer in another process`, async () => {
      const name = uniqueName('cam');
      const source = await createCameraSource({ device: camera, name, format, width, height, io });
      try {
        assert.equal(source.negotiated.format, format);
        assert.equal(source.negotiated.width, width);
        assert.equal(source.negotiated.height, height);
        assert.equal(source.negotiated.io, io === 'auto' ? 'userptr' : 'mmap', 'vivid supports USERPTR: the driver writes into bus slots');
        const consumer = spawnChild('camera-consumer', name, 12);
        const done = await consumer.waitFor('done', 120000);
        assert.equal(done.format, format);
        assert.equal(done.size, `${width}x${height}`);
        const seqs = done.seqs as number[];
        const stamps = (done.timestamps as string[]).map(BigInt);
        assert.equal(seqs.length, 12);
        for (let i = 1; i < seqs.length; i++) {
          assert.ok(seqs[i]! > seqs[i - 1]!, 'sequence numbers increase');
          assert.ok(stamps[i]! > stamps[i - 1]!, 'driver timestamps increase');
        }
        assert.equal(done.zeroCopy, true, 'the consumer reads frames in place');
        const bars = done.bars as number[][];
        bars.forEach((got, i) => got.forEach((v, c) => assert.ok(Math.abs(v - BARS[i]![c]!) <= 40, `bar ${i}: got ${got}, want ${BARS[i]}`)));
        const stats = source.stats();
        assert.ok(stats.published >= 12 && stats.errorFrames === 0, JSON.stringify(stats));
      } finally {
        await source.close();
      }
      assert.ok(!existsSync(`/dev/shm/vidbus-${name}`), 'the stream is removed on close');
    });
  }

  it('explains what it cannot do, and leaves the device usable', async () => {
    const name = uniqueName('cam-bad');
    await assert.rejects(createCameraSource({ device: '/dev/null', name }), { code: 'ERR_NOT_A_V4L2_DEVICE' });
    await assert.rejects(createCameraSource({ device: '/dev/video-missing', name }), { code: 'ERR_DEVICE_NOT_FOUND' });
    await assert.rejects(createCameraSource({ device: output, name }), { code: 'ERR_NOT_A_CAMERA', message: /does not capture/ });
    await assert.rejects(createCameraSource({ device: camera, name, format: 'MJPEG' }), { code: 'ERR_FORMAT_UNSUPPORTED', message: /offers: YUYV/ });
    await assert.rejects(createCameraSource({ device: camera, name, width: 124, height: 46 }), { code: 'ERR_FORMAT_UNSUPPORTED', message: /640x480/ });
    await assert.rejects(createCameraSource({ device: camera, name, width: 640, height: 480, fps: 1000 }), { code: 'ERR_FORMAT_UNSUPPORTED', message: /fps/ });
    const first = await createCameraSource({ device: camera, name });
    try {
      await assert.rejects(createCameraSource({ device: camera, name: uniqueName('cam-second') }), { code: 'ERR_DEVICE_BUSY' });
    } finally {
      await first.close();
    }
    // nothing half-configured was left behind: the device captures again
    const again = await createCameraSource({ device: camera, name });
    await again.close();
  });

  it('captures an MJPEG camera as is, and decoded (a v4l2loopback device fed MJPEG by ffmpeg)', async () => {
    modprobe('v4l2loopback', ['devices=1', 'video_nr=50', 'exclusive_caps=1', 'card_label="mjpeg camera"']);
    const feeder = spawn('ffmpeg', ['-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'color=c=0x2080c0:size=640x480:rate=15', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'v4l2', '/dev/video50'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      await waitFor('the MJPEG feed', () => videoDevices().some((d) => d.path === '/dev/video50' && d.canCapture), 60000);
      const name = uniqueName('cam-mjpeg');
      const asIs = await createCameraSource({ device: '/dev/video50', name, format: 'MJPEG' });
      try {
        assert.equal(asIs.negotiated.published, 'MJPEG');
        const consumer = await openConsumer(name, { policy: 'latest' });
        const frame = (await consumer.next({ timeoutMs: 60000 }))!;
        assert.equal(frame.format, 'MJPEG');
        assert.ok(frame.size > 100 && frame.size < frame.layout.frameBytes, `an encoded frame of ${frame.size} bytes`);
        assert.deepEqual([frame.data[0], frame.data[1]], [0xff, 0xd8], 'starts with a JPEG SOI marker');
        frame.release();
        consumer.close();
      } finally {
        await asIs.close();
      }
      const decoded = await createCameraSource({ device: '/dev/video50', name, format: 'MJPEG', decode: 'RGBA' });
      try {
        assert.equal(decoded.negotiated.published, 'RGBA');
        const consumer = await openConsumer(name, { policy: 'latest' });
        const frame = (await consumer.next({ timeoutMs: 60000 }))!;
        assert.equal(frame.format, 'RGBA');
        const o = (240 * 640 + 320) * 4;
        const got = [frame.data[o]!, frame.data[o + 1]!, frame.data[o + 2]!];
        [0x20, 0x80, 0xc0].forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 12, `decoded colour ${got}`));
        frame.release();
        consumer.close();
      } finally {
        await decoded.close();
      }
    } finally {
      feeder.kill('SIGTERM');
      await new Promise((r) => feeder.once('exit', r));
    }
  });

  it('ends the stream with ERR_DEVICE_GONE when the camera is unplugged, leaking no fds', async () => {
    const name = uniqueName('cam-unplug');
    const before = openFds();
    const source = await createCameraSource({ device: camera, name, format: 'YUYV', width: 640, height: 480 });
    const consumer = await openConsumer(name, { policy: 'latest' });
    await consumer.next({ timeoutMs: 60000 });
    consumer.close();
    writeFileSync(`${VIVID_DRIVER}/unbind`, 'vivid.0');
    try {
      await assert.rejects(source.done, { code: 'ERR_DEVICE_GONE' });
      assert.equal(source.stats().state, 'closed');
      assert.ok(!existsSync(`/dev/shm/vidbus-${name}`), 'the stream ended cleanly');
      assert.deepEqual(openFds(), before, 'every fd the source opened is closed');
    } finally {
      writeFileSync(`${VIVID_DRIVER}/bind`, 'vivid.0');
      await waitFor('vivid back', () => existsSync(camera) && videoDevices().some((d) => d.path === camera && d.canCapture));
    }
  });

  it('with follow, waits for the camera to come back and resumes into the same stream', async () => {
    const name = uniqueName('cam-follow');
    const source: CameraSource = await createCameraSource({ device: camera, name, format: 'YUYV', width: 640, height: 480, follow: true });
    const events: string[] = [];
    source.on('device-lost', () => events.push('lost'));
    source.on('device-back', () => events.push('back'));
    const consumer = await openConsumer(name, { policy: 'latest' });
    try {
      (await consumer.next({ timeoutMs: 60000 }))?.release();
      writeFileSync(`${VIVID_DRIVER}/unbind`, 'vivid.0');
      await waitFor('the source to notice', () => source.stats().state === 'waiting-for-device');
      writeFileSync(`${VIVID_DRIVER}/bind`, 'vivid.0');
      await waitFor('the source to resume', () => source.stats().state === 'capturing', 60000);
      const seen = source.stats().published;
      const frame = await consumer.next({ timeoutMs: 60000 });
      assert.ok(frame, 'frames flow again through the same stream');
      frame.release();
      await waitFor('more frames', () => source.stats().published > seen, 60000);
      assert.deepEqual(events, ['lost', 'back']);
      assert.equal(source.stats().reconnects, 1);
    } finally {
      consumer.close();
      await source.close();
    }
  });
});
