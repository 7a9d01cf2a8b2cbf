/**
 * The PipeWire bridge against real PipeWire, WirePlumber, the desktop
 * portal and headless Chromium, in a private session the suite starts and
 * stops (test/desktop/session.ts):
 * - `vidbus vcam --backend pipewire`: the node's properties and format as
 *   pw-dump shows them, the colour through GStreamer's pipewiresrc and
 *   through Chromium (WebRtcPipeWireCamera, via the portal), the
 *   placeholder after kill -9 of the producer, a new producer at another
 *   size without the page reopening anything, and nothing left after
 *   kill -9 of vidbus itself;
 * - `vidbus stream --pipewire`: GStreamer's pipewiresink as the node,
 *   format, size and pixels on the bus; the node going away ends the
 *   stream, or with --follow pauses it until the node is back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openConsumer, convertFrame, frameLayout, VirtualCamera } from '../../src/index.js';
import { spawnChild, startCli, type Child, type RunningCli } from '../../test/helpers.js';
import { DesktopSession, desktopSessionMissing } from '../../test/desktop/session.js';
import { CHROMIUM, launchChromium, openProbePage, type CameraProbe } from '../../test/browser-probe.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const helper = fileURLToPath(new URL('../../../pipewire/build/vidbus-pipewire', import.meta.url));
const skip = !existsSync(helper) ? 'the bridge is not built (make -C pipewire)' : desktopSessionMissing({ portal: true }) ?? false;

let counter = 0;
const unique = (tag: string) => `t-pw-${tag}-${process.pid}-${++counter}`;
const shmOf = (name: string) => readdirSync('/dev/shm').filter((f) => f.includes(name));

/** Runs the vidbus CLI inside the session; resolves once its output matches `ready`. */
function vidbus(session: DesktopSession, args: string[], ready: RegExp): Promise<RunningCli> {
  return startCli(args, ready, session.env);
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** pw-dump's node with this node.name. */
async function dumpNode(session: DesktopSession, name: string): Promise<{ props: Record<string, unknown>; formats: Record<string, unknown>[] } | undefined> {
  const { stdout } = await run('pw-dump', [], { env: session.env, maxBuffer: 16 * 1024 * 1024 });
  const objects = JSON.parse(stdout) as { type: string; info?: { props?: Record<string, unknown>; params?: Record<string, Record<string, unknown>[]> } }[];
  const node = objects.find((o) => o.type.endsWith(':Node') && o.info?.props?.['node.name'] === name);
  return node ? { props: node.info!.props!, formats: node.info!.params?.EnumFormat ?? [] } : undefined;
}

/** One frame of a PipeWire node through GStreamer's pipewiresrc, as RGB: the mean of its centre. */
async function gstColour(session: DesktopSession, node: string): Promise<number[]> {
  const { stdout } = await run(
    'gst-launch-1.0',
    ['-q', 'pipewiresrc', `target-object=${node}`, 'num-buffers=3', '!', 'videoconvert', '!', 'videoscale', '!', 'video/x-raw,format=RGB,width=64,height=48', '!', 'fdsink', 'fd=1'],
    { env: session.env, encoding: 'buffer', timeout: 30000, maxBuffer: 1 << 24 },
  );
  const frame = stdout.subarray(stdout.length - 64 * 48 * 3);
  const sum = [0, 0, 0];
  for (let y = 12; y < 36; y++) for (let x = 16; x < 48; x++) for (let c = 0; c < 3; c++) sum[c]! += frame[(y * 64 + x) * 3 + c]!;
  return sum.map((s) => s / (24 * 32));
}

const near = (got: number[], want: number[], tolerance: number, what: string) =>
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tolerance, `${what}: channel ${i} is ${v.toFixed(1)}, expected ${want[i]} (${got.map((x) => x.toFixed(1)).join(', ')})`));

describe('PipeWire', { skip }, () => {
  let session: DesktopSession;
  before(async () => {
    session = await DesktopSession.start({ portal: true });
  });
  after(async () => {
    await session?.stop();
    assert.deepEqual(session ? session.processes() : [], [], 'no process of the session is left');
  });

  describe('vidbus vcam --backend pipewire', () => {
    const STREAM = unique('cam');
    const LABEL = 'vidbus pw test camera';
    const NODE = 'vidbus-pw-test-camera';
    const RED = [200, 40, 60];
    let producer: Child | undefined;
    let vcam: ChildProcess | undefined;

    before(async () => {
      producer = spawnChild('solid-producer', STREAM, 640, 480, 'RGBA', RED[0]!, RED[1]!, RED[2]!, 30);
      await producer.waitFor('ready', 60000);
      vcam = (await vidbus(session, ['vcam', '--from', STREAM, '--backend', 'pipewire', '--name', LABEL, '--size', '640x480', '--fps', '30'], /live/)).child;
    });
    after(async () => {
      await stop(vcam);
      await producer?.kill('SIGTERM');
    });

    it('is a camera node browsers can list: class, role, description, one fixed format', async () => {
      const node = await dumpNode(session, NODE);
      assert.ok(node, 'pw-dump lists the node');
      assert.equal(node.props['media.class'], 'Video/Source');
      assert.equal(node.props['media.role'], 'Camera');
      assert.equal(node.props['node.description'], LABEL);
      assert.equal(node.formats.length, 1);
      assert.deepEqual({ format: node.formats[0]!.format, size: node.formats[0]!.size }, { format: 'YUY2', size: { width: 640, height: 480 } });
      assert.deepEqual(node.formats[0]!.framerate, { num: 30, denom: 1 });
    });

    it('vidbus devices lists the node', () => {
      const r = spawnSync(process.execPath, [cli, 'devices'], { env: session.env, encoding: 'utf8', timeout: 30000 });
      assert.match(r.stdout, new RegExp(`PipeWire video nodes[^]*Video/Source +${NODE} "${LABEL}" \\(Camera\\)`));
    });

    it('GStreamer pipewiresrc reads the producer\'s colour', async () => {
      near(await gstColour(session, NODE), RED, 10, 'pipewiresrc');
    });

    it('Chromium lists it by name and sees the colour; placeholder after kill -9 of the producer; a new producer at another size without reopening', { skip: !existsSync(CHROMIUM) ? 'chromium is not installed' : false, timeout: 600000 }, async () => {
      const browser = await launchChromium(['--enable-features=WebRtcPipeWireCamera'], session.env);
      try {
        const page = await openProbePage(browser, join(session.dir, 'camera.html'));
        const labels = await page.evaluate((l) => (globalThis as unknown as { open_camera: (l: string) => Promise<string[]> }).open_camera(l), LABEL);
        assert.ok(labels.some((l) => l.includes(LABEL)), `camera labels: ${JSON.stringify(labels)}`);
        const sample = () => page.evaluate(() => (globalThis as unknown as { sample: () => Promise<CameraProbe & { live: string }> }).sample());
        const first = await sample();
        assert.deepEqual([first.width, first.height], [640, 480]);
        near(first.colour, RED, 14, 'Chromium, live');
        await producer!.kill('SIGKILL');
        // The placeholder is a dark card: far from red, and the track stays live.
        let later = await sample();
        for (let i = 0; i < 40 && Math.abs(later.colour[0]! - RED[0]!) < 60; i++) later = await sample();
        assert.equal(later.live, 'live');
        assert.ok(Math.abs(later.colour[0]! - RED[0]!) >= 60, `placeholder shown: ${later.colour}`);
        const GREEN = [30, 190, 80];
        producer = spawnChild('solid-producer', STREAM, 320, 240, 'NV12', GREEN[0]!, GREEN[1]!, GREEN[2]!, 30);
        await producer.waitFor('ready', 60000);
        let back = await sample();
        for (let i = 0; i < 60 && Math.abs(back.colour[1]! - GREEN[1]!) > 14; i++) back = await sample();
        assert.equal(back.live, 'live');
        assert.deepEqual([back.width, back.height], [640, 480], 'the camera keeps its size; the new producer is fitted to it');
        near(back.colour, GREEN, 14, 'Chromium, new producer');
      } finally {
        await browser.close();
      }
    });
  });

  it('the VirtualCamera API on the pipewire backend', { timeout: 60000 }, async () => {
    // The bridge inherits this process's environment: point it at the session's PipeWire for this test.
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = session.env.XDG_RUNTIME_DIR;
    let cam: VirtualCamera;
    try {
      cam = await VirtualCamera.open({ width: 160, height: 120, backend: 'pipewire', name: 'api camera' });
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
    const rgba = new Uint8Array(160 * 120 * 4);
    for (let i = 0; i < rgba.length; i += 4) rgba.set([20, 200, 120, 255], i);
    const timer = setInterval(() => cam.send(rgba), 33);
    try {
      assert.deepEqual([cam.backend, cam.device, cam.label], ['pipewire', 'api-camera', 'api camera']);
      near(await gstColour(session, 'api-camera'), [20, 200, 120], 12, 'VirtualCamera');
    } finally {
      clearInterval(timer);
      cam.close();
    }
  });

  it('the camera comes back by itself after PipeWire crashes and restarts', { timeout: 90000 }, async () => {
    const stream = unique('restart');
    const producer = spawnChild('solid-producer', stream, 160, 120, 'RGBA', 240, 200, 20, 30);
    let vcam: { child: ChildProcess; log: () => string } | undefined;
    try {
      await producer.waitFor('ready', 60000);
      vcam = await vidbus(session, ['vcam', '--from', stream, '--backend', 'pipewire', '--name', 'restart test', '--size', '160x120'], /live/);
      near(await gstColour(session, 'restart-test'), [240, 200, 20], 12, 'before');
      await session.restartPipeWire();
      for (let i = 0; i < 200 && !/node is back/.test(vcam.log()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(vcam.log(), /went away[^]*making it again[^]*node is back/);
      near(await gstColour(session, 'restart-test'), [240, 200, 20], 12, 'after the restart');
    } finally {
      await stop(vcam?.child);
      await producer.kill('SIGTERM');
    }
  });

  it('the bridge hands PipeWire the bus slots themselves (zero copy), and copies when told to', { timeout: 60000 }, async () => {
    for (const mode of ['zero copy', 'copy'] as const) {
      const stream = unique('zc');
      const producer = spawnChild('solid-producer', stream, 160, 120, 'YUYV', 90, 30, 200, 30);
      const node = `zc-${mode === 'copy' ? 'copy' : 'slots'}`;
      let bridge: ChildProcess | undefined;
      try {
        await producer.waitFor('ready', 60000);
        bridge = spawn(helper, ['camera', '--stream', stream, '--name', node, ...(mode === 'copy' ? ['--copy'] : [])], { env: session.env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        bridge.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        for (let i = 0; i < 100 && !out.includes('"ready"'); i++) await new Promise((r) => setTimeout(r, 100));
        assert.match(out, mode === 'copy' ? /"event":"buffers","zeroCopy":false/ : /"event":"buffers","zeroCopy":true/);
        near(await gstColour(session, node), [90, 30, 200], 12, mode);
      } finally {
        await stop(bridge);
        await producer.kill('SIGTERM');
      }
    }
  });

  it('the demo falls back to a PipeWire camera when no loopback device is free', { timeout: 60000 }, () => {
    const r = spawnSync(process.execPath, [cli, 'demo', '--seconds', '3', '--size', '320x240', '--name', unique('demo')], { env: session.env, encoding: 'utf8', timeout: 60000 });
    assert.match(r.stdout, /virtual camera: PipeWire camera "vidbus demo camera" shows this stream/);
    assert.match(r.stdout, /nothing left behind/);
  });

  it('several cameras at once, each its own node and colour', { timeout: 60000 }, async () => {
    const cams = [
      { stream: unique('multi'), name: 'multi one', node: 'multi-one', rgb: [220, 30, 30] },
      { stream: unique('multi'), name: 'multi two', node: 'multi-two', rgb: [30, 30, 220] },
    ];
    const producers = cams.map((c) => spawnChild('solid-producer', c.stream, 160, 120, 'RGBA', c.rgb[0]!, c.rgb[1]!, c.rgb[2]!, 30));
    const vcams: ChildProcess[] = [];
    try {
      for (const p of producers) await p.waitFor('ready', 60000);
      for (const c of cams) vcams.push((await vidbus(session, ['vcam', '--from', c.stream, '--backend', 'pipewire', '--name', c.name, '--size', '160x120'], /live/)).child);
      for (const c of cams) near(await gstColour(session, c.node), c.rgb, 12, c.name);
    } finally {
      for (const v of vcams) await stop(v);
      for (const p of producers) await p.kill('SIGTERM');
    }
  });

  it('kill -9 of vidbus vcam leaves no bridge, no node and nothing in /dev/shm', { timeout: 60000 }, async () => {
    const stream = unique('crash');
    const producer = spawnChild('solid-producer', stream, 320, 240, 'RGBA', 1, 2, 3, 30);
    try {
      await producer.waitFor('ready', 60000);
      const { child } = await vidbus(session, ['vcam', '--from', stream, '--backend', 'pipewire', '--name', 'crash test', '--size', '320x240'], /live/);
      assert.ok(await dumpNode(session, 'crash-test'));
      const bridges = () => spawnSync('pgrep', ['-f', `vidbus-pipewire camera --stream vcam-pipewire-${child.pid}-`]).stdout.toString().trim();
      assert.notEqual(bridges(), '');
      await stop(child, 'SIGKILL');
      for (let i = 0; i < 50 && (bridges() || (await dumpNode(session, 'crash-test')) || shmOf(`vcam-pipewire-${child.pid}-`).length); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(bridges(), '', 'the bridge died with vidbus');
      assert.equal(await dumpNode(session, 'crash-test'), undefined, 'the node is gone');
      assert.deepEqual(shmOf(`vcam-pipewire-${child.pid}-`), [], 'the private stream was removed');
    } finally {
      await producer.kill('SIGTERM');
    }
  });

  describe('vidbus stream --pipewire', () => {
    /** GStreamer as a PipeWire video source node of one colour (videotestsrc's solid-color is 0xAARRGGBB). */
    const gstNode = (name: string, rgb: number[], format: string, size: [number, number]) =>
      spawn(
        'gst-launch-1.0',
        [
          '-q', 'videotestsrc', 'is-live=true', 'pattern=solid-color', `foreground-color=${(0xff000000 | (rgb[0]! << 16) | (rgb[1]! << 8) | rgb[2]!) >>> 0}`,
          '!', `video/x-raw,format=${format},width=${size[0]},height=${size[1]},framerate=30/1`,
          '!', 'pipewiresink', 'mode=provide', `stream-properties=props,media.class=Video/Source,node.name=${name},node.description=${name}`,
        ],
        { env: session.env, stdio: 'ignore' },
      );
    const waitNode = async (name: string) => {
      for (let i = 0; i < 100 && !(await dumpNode(session, name)); i++) await new Promise((r) => setTimeout(r, 100));
    };

    it('publishes the node in the format it negotiates, with its pixels', { timeout: 60000 }, async () => {
      const node = unique('gstnode');
      const stream = unique('in');
      const BLUE = [30, 60, 200];
      const gst = gstNode(node, BLUE, 'I420', [320, 240]);
      let source: ChildProcess | undefined;
      try {
        await waitNode(node);
        source = (await vidbus(session, ['stream', '--pipewire', node, '--name', stream], /-> stream/)).child;
        const consumer = await openConsumer(stream, { policy: 'latest' });
        try {
          const frame = await consumer.next();
          assert.ok(frame);
          assert.equal(frame.layout.format, 'I420');
          assert.deepEqual([frame.layout.width, frame.layout.height], [320, 240]);
          const rgba = new Uint8Array(320 * 240 * 4);
          convertFrame(frame.data, frame.layout, rgba, frameLayout('RGBA', 320, 240));
          frame.release();
          near([rgba[0]!, rgba[1]!, rgba[2]!], BLUE, 6, 'the bus frame');
        } finally {
          consumer.close();
        }
        // The node goes away: without --follow the stream ends, with exit status 3 and ERR_DEVICE_GONE.
        const exited = new Promise<number | null>((r) => source!.once('exit', r));
        gst.kill('SIGTERM');
        assert.equal(await exited, 3);
        assert.deepEqual(shmOf(stream), []);
      } finally {
        gst.kill('SIGKILL');
        await stop(source);
      }
    });

    it('--follow keeps the stream through the node going away and coming back', { timeout: 90000 }, async () => {
      const node = unique('gstfollow');
      const stream = unique('follow');
      let gst = gstNode(node, [250, 250, 0], 'YUY2', [160, 120]);
      let source: ChildProcess | undefined;
      try {
        await waitNode(node);
        const started = await vidbus(session, ['stream', '--pipewire', node, '--name', stream, '--follow'], /-> stream/);
        source = started.child;
        const consumer = await openConsumer(stream, { policy: 'latest', follow: true });
        try {
          assert.ok(await consumer.next());
          gst.kill('SIGTERM');
          await new Promise((r) => setTimeout(r, 1500));
          assert.equal(source.exitCode, null, 'still running without the node');
          assert.equal(shmOf(stream).length, 2, 'the stream is still there');
          gst = gstNode(node, [0, 0, 250], 'YUY2', [160, 120]);
          const frame = await consumer.next({ timeoutMs: 20000 });
          assert.ok(frame, 'frames again once the node is back');
          frame.release();
        } finally {
          consumer.close();
        }
      } finally {
        gst.kill('SIGKILL');
        await stop(source);
      }
      assert.deepEqual(shmOf(stream), []);
    });

    it('an unknown node is a clear error', async () => {
      const r = spawnSync(process.execPath, [cli, 'stream', '--pipewire', 'no-such-node', '--name', unique('none')], { env: session.env, encoding: 'utf8' });
      assert.equal(r.status, 3);
      assert.match(r.stderr, /no video node "no-such-node"/);
    });
  });
});

/** `vidbus doctor --json`'s PipeWire half, run in `env`. */
function doctor(env: NodeJS.ProcessEnv): { ids: string[]; ready: boolean; text: string } {
  const json = spawnSync(process.execPath, [cli, 'doctor', '--json'], { env, encoding: 'utf8', timeout: 60000 });
  const report = JSON.parse(json.stdout) as { pipewire: { findings: { id: string }[]; ready: boolean } };
  const text = spawnSync(process.execPath, [cli, 'doctor'], { env, encoding: 'utf8', timeout: 60000 }).stdout;
  return { ids: report.pipewire.findings.map((f) => f.id), ready: report.pipewire.ready, text };
}

describe('vidbus doctor, the PipeWire half', { skip }, () => {
  it('a full session is ready; without the stored permission it says how to preset it', { timeout: 120000 }, async () => {
    const session = await DesktopSession.start({ portal: true });
    try {
      let d = doctor(session.env);
      for (const id of ['pipewire-running', 'session-manager', 'portal-camera', 'camera-permission']) assert.ok(d.ids.includes(id), `${id} in ${d.ids}`);
      assert.equal(d.ready, true);
      assert.match(d.text, /Ready: `vidbus vcam --backend pipewire`/);
      assert.match(d.text, /--enable-features=WebRtcPipeWireCamera/);
      session.setCameraPermission(false);
      d = doctor(session.env);
      assert.ok(d.ids.includes('camera-permission-unset'), String(d.ids));
      assert.match(d.text, /PermissionStore\.SetPermission string:devices boolean:true string:camera/);
    } finally {
      await session.stop();
    }
  });

  it('no portal, and a portal without an Access backend, each with its fix', { timeout: 120000 }, async () => {
    let session = await DesktopSession.start({ portal: false });
    try {
      const d = doctor(session.env);
      assert.ok(d.ids.includes('portal-missing'), String(d.ids));
      assert.equal(d.ready, false);
      assert.match(d.text, /apt-get install xdg-desktop-portal xdg-desktop-portal-gtk/);
    } finally {
      await session.stop();
    }
    session = await DesktopSession.start({ portal: true, accessBackend: false });
    try {
      const d = doctor(session.env);
      assert.ok(d.ids.includes('portal-no-access-backend'), String(d.ids));
      assert.equal(d.ready, false);
    } finally {
      await session.stop();
    }
  });

  it('PipeWire not running', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-nopw-'));
    try {
      const d = doctor({ ...process.env, XDG_RUNTIME_DIR: dir, DBUS_SESSION_BUS_ADDRESS: `unix:path=${dir}/none` });
      assert.ok(d.ids.includes('pipewire-not-running'), String(d.ids));
      assert.match(d.text, /fix: systemctl --user start pipewire wireplumber/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PipeWire missing', { skip: !existsSync(helper) ? 'the bridge is not built' : false }, () => {
  it('without the bridge built, the pipewire backend fails with ERR_TOOL_MISSING naming the package', async () => {
    const stream = unique('nobridge');
    const producer = spawnChild('solid-producer', stream, 64, 48, 'RGBA', 1, 2, 3, 10);
    try {
      await producer.waitFor('ready', 60000);
      const r = spawnSync(process.execPath, [cli, 'vcam', '--from', stream, '--backend', 'pipewire'], {
        env: { ...process.env, VIDBUS_PIPEWIRE_HELPER: '/nonexistent/vidbus-pipewire' },
        encoding: 'utf8',
        timeout: 30000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /vidbus-pipewire is not built/);
      assert.match(r.stderr, /apt-get install libpipewire-0\.3-dev/);
    } finally {
      await producer.kill('SIGTERM');
    }
  });

  it('the pipewire backend fails with ERR_PIPEWIRE_UNAVAILABLE and says how to start it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidbus-nopw-'));
    try {
      const stream = unique('nopw');
      const producer = spawnChild('solid-producer', stream, 64, 48, 'RGBA', 1, 2, 3, 10);
      try {
        await producer.waitFor('ready', 60000);
        const r = spawnSync(process.execPath, [cli, 'vcam', '--from', stream, '--backend', 'pipewire'], { env: { ...process.env, XDG_RUNTIME_DIR: dir }, encoding: 'utf8', timeout: 30000 });
        assert.equal(r.status, 3, r.stderr);
        assert.match(r.stderr, /ERR_PIPEWIRE_UNAVAILABLE|Could not connect to PipeWire/);
        assert.match(r.stderr, /systemctl --user start pipewire/);
      } finally {
        await producer.kill('SIGTERM');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
