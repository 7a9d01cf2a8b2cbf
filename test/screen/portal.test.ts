/**
 * Screens through the desktop's ScreenCast portal: the real
 * xdg-desktop-portal frontend and the real PipeWire of a private session,
 * with test/desktop/fake-screencast.py standing in for the compositor's
 * backend (no compositor with a working ScreenCast backend runs headless
 * here). "The screen" it grants is a GStreamer pipewiresink node painted a
 * known colour; the frontend opens a PipeWire remote restricted to it, as
 * it does for a real screen. What is not covered: a compositor's own
 * backend and its dialog.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isVidbusError, openConsumer } from '../../src/index.js';
import { createScreenSource } from '../../src/sources/screen-source.js';
import { restoreTokenPath } from '../../src/sources/portal-screen.js';
import { DesktopSession, desktopSessionMissing } from '../desktop/session.js';
import { shmEntries, uniqueName } from '../helpers.js';

const helper = fileURLToPath(new URL('../../../pipewire/build/vidbus-pipewire', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = !existsSync(helper) ? 'the bridge is not built (make -C pipewire)' : (desktopSessionMissing({ screencast: true }) ?? false);
const NODE = 'vidbus-fake-screen';

interface Logged {
  method: string;
  options?: Record<string, unknown>;
  answer?: string;
}

describe('screens through the ScreenCast portal', { skip }, () => {
  let session: DesktopSession;
  let screen: ChildProcess | undefined;
  let dir: string;
  let log: string;
  const calls = (): Logged[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Logged) : []);

  /** Runs `fn` with this process's environment pointed at the session (the bridge inherits it). */
  async function inSession<T>(fn: () => Promise<T>): Promise<T> {
    const saved = { ...process.env };
    Object.assign(process.env, session.env, { XDG_STATE_HOME: join(dir, 'state') });
    try {
      return await fn();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }

  /** "The screen": a PipeWire video source node painted `argb` (0xAARRGGBB). */
  async function paint(argb: string): Promise<void> {
    screen?.kill('SIGKILL');
    screen = spawn(
      'gst-launch-1.0',
      ['videotestsrc', 'is-live=true', 'pattern=solid-color', `foreground-color=${argb}`, '!', 'video/x-raw,format=BGRx,width=320,height=240,framerate=30/1', '!', 'pipewiresink', 'mode=provide', `stream-properties=props,node.name=${NODE},media.class=Video/Source`],
      { env: session.env, stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const dump = await new Promise<string>((resolve) => {
        const p = spawn('pw-dump', [], { env: session.env, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        p.once('exit', () => resolve(out));
      });
      if (dump.includes(`"node.name": "${NODE}"`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the fake screen node never appeared');
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vidbus-portal-'));
    log = join(dir, 'calls.jsonl');
    session = await DesktopSession.start({ screencast: { node: NODE, log } });
    await paint('0xffff0000');
  });
  after(async () => {
    screen?.kill('SIGKILL');
    await session?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the granted screen, keeps the restore token (0600) and offers it next time', { timeout: 60000 }, async () => {
    const name = uniqueName('portal');
    {
      await using source = await inSession(() => createScreenSource({ name, screen: 'portal' }));
      assert.equal(source.kind, 'screen');
      assert.match(source.description, /screen through the desktop portal 320x240 BGRA/);
      await using consumer = await openConsumer(name);
      const frame = await consumer.next({ timeoutMs: 5000 });
      assert.ok(frame, 'no frame');
      assert.deepEqual([...frame.data.subarray(0, 4)], [0, 0, 255, 255], 'not the red screen');
      frame.release();
    }
    const [create, select, start] = calls();
    assert.deepEqual([create?.method, select?.method, start?.method], ['CreateSession', 'SelectSources', 'Start']);
    assert.deepEqual(select!.options, { types: 1, multiple: false, cursor_mode: 1, persist_mode: 2 });
    const tokenFile = join(dir, 'state', 'vidbus', 'screencast-restore-token');
    assert.equal(restoreTokenPath({ XDG_STATE_HOME: join(dir, 'state') }), tokenFile);
    assert.match(readFileSync(tokenFile, 'utf8'), /^[\w-]+\n$/);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.deepEqual(shmEntries(name), []);

    // Next time the frontend turns the token back into the backend's restore data: no dialog on a real desktop.
    writeFileSync(log, '');
    {
      await using again = await inSession(() => createScreenSource({ name, screen: 'portal', cursor: true }));
      await using consumer = await openConsumer(again.stream, { policy: 'every' });
      for (let i = 0; i < 3; i++) (await consumer.next({ timeoutMs: 5000 }))!.release();
    }
    const reselect = calls().find((c) => c.method === 'SelectSources');
    assert.deepEqual(reselect?.options?.restore_data, ['vidbus-fake', 1, NODE]);
    assert.equal(reselect?.options?.cursor_mode, 2);
  });

  it('vidbus stream --screen portal, and the stream ends with ERR_DEVICE_GONE when the screen goes away', { timeout: 60000 }, async () => {
    // A fresh "screen" for this test. Not diagnosed: a third portal session in a row on one
    // pipewiresink node is linked and running but gets no buffers (direct captures of the
    // same node, without the portal, do not show it).
    await paint('0xffff0000');
    const name = uniqueName('portal-cli');
    const child = spawn(process.execPath, [cli, 'stream', '--screen', 'portal', '--name', name], { env: { ...session.env, XDG_STATE_HOME: join(dir, 'state') }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      let consumer;
      for (let i = 0; i < 200 && !consumer; i++) {
        consumer = await openConsumer(name).catch(() => undefined);
        if (!consumer) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(consumer, `the stream never appeared: ${stderr}`);
      const frame = await consumer.next({ timeoutMs: 5000 });
      assert.ok(frame, `no frame: ${stderr}`);
      assert.deepEqual([...frame.data.subarray(0, 4)], [0, 0, 255, 255]);
      frame.release();
      await consumer.close();
      // The shared screen disappears (the person stops sharing, the monitor is unplugged).
      screen!.kill('SIGKILL');
      assert.notEqual(await exited, 0);
      assert.match(stderr, /went away/);
      assert.deepEqual(shmEntries(name), []);
    } finally {
      child.kill('SIGKILL');
      await paint('0xffff0000');
    }
  });

  it('a declined dialog is ERR_PERMISSION, and no portal is ERR_DISPLAY_UNAVAILABLE', { timeout: 60000 }, async () => {
    const name = uniqueName('portal-no');
    writeFileSync(`${log}.deny`, '');
    try {
      await assert.rejects(
        inSession(() => createScreenSource({ name, screen: 'portal', remember: false })),
        (e: unknown) => isVidbusError(e, 'ERR_PERMISSION') && /declined/.test((e as Error).message),
      );
    } finally {
      rmSync(`${log}.deny`, { force: true });
    }
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(dir, 'no-bus')}`;
    try {
      await assert.rejects(createScreenSource({ name, screen: 'portal', remember: false }), (e: unknown) => isVidbusError(e, 'ERR_DISPLAY_UNAVAILABLE') && /D-Bus/.test((e as Error).message));
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
    assert.deepEqual(shmEntries(name), []);
  });
});
