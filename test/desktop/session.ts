/**
 * A private headless desktop session for tests, started and stopped by the
 * test itself: Xvfb, a session D-Bus, PipeWire, WirePlumber, and (when
 * asked) xdg-desktop-portal with the GTK backend, which implements the
 * Access interface the portal needs before it exports Camera. The bus is
 * configured with only those services activatable, so nothing else (the
 * document portal's FUSE mount, the accessibility bus) starts. Everything
 * runs with its own XDG_RUNTIME_DIR, HOME and XDG_DATA_HOME under one
 * temporary folder, so the permission store and PipeWire's sockets never
 * touch the user's. Every process carries VIDBUS_DESKTOP_SESSION=<folder>
 * in its environment: stop() kills whatever has it (services D-Bus
 * activated on its own too), then removes the folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayNumber } from '../screen/xvfb.js';

const PORTAL = '/usr/libexec/xdg-desktop-portal';
const PORTAL_GTK = '/usr/libexec/xdg-desktop-portal-gtk';
/** The test's stand-in for a compositor's ScreenCast backend (see the file). */
const FAKE_SCREENCAST = fileURLToPath(new URL('../../../test/desktop/fake-screencast.py', import.meta.url));
const PERMISSION_STORE_EXEC = '/usr/libexec/xdg-permission-store';
const PERMISSION_STORE = ['org.freedesktop.impl.portal.PermissionStore', '/org/freedesktop/impl/portal/PermissionStore'] as const;

/** What the session needs on this machine; undefined when all is there. */
export function desktopSessionMissing(options: { portal?: boolean; screencast?: boolean } = {}): string | undefined {
  const tools = ['dbus-daemon', 'dbus-send', 'Xvfb', 'pipewire', 'wireplumber', 'pw-cli'];
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (options.portal) missing.push(...[PORTAL, PORTAL_GTK, PERMISSION_STORE_EXEC].filter((p) => !existsSync(p)));
  if (options.screencast) {
    missing.push(...[PORTAL, PERMISSION_STORE_EXEC].filter((p) => !existsSync(p)));
    if (spawnSync('/usr/bin/python3', ['-c', 'import gi']).status !== 0) missing.push('python3-gi');
  }
  return missing.length ? `not installed: ${missing.join(', ')} (scripts/setup.sh --tests installs them)` : undefined;
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Options of DesktopSession.start(). */
export interface DesktopSessionOptions {
  /** start xdg-desktop-portal (+ gtk backend) and preset the camera permission (default true) */
  portal?: boolean;
  /** preset the camera permission in the permission store (default true with the portal) */
  cameraPermission?: boolean;
  /** start WirePlumber (default true) */
  wireplumber?: boolean;
  /** let the portal know its GTK backend, which implements Access (default true; false: a portal with no backend, hence no Camera) */
  accessBackend?: boolean;
  /**
   * The portal with ScreenCast: the real xdg-desktop-portal with
   * test/desktop/fake-screencast.py as its only backend, which grants the
   * PipeWire node named `node` as "the screen" and logs every call to
   * `log`. Replaces the camera setup.
   */
  screencast?: { node: string; log: string };
}

/** A running private session; `env` is what a program in it needs. */
export class DesktopSession {
  /** the environment of the session: pass it to every program that should be inside */
  readonly env: NodeJS.ProcessEnv;
  private readonly children: ChildProcess[] = [];
  private stopped = false;

  private constructor(readonly dir: string) {
    const run = join(dir, 'run');
    mkdirSync(run, { mode: 0o700 });
    mkdirSync(join(dir, 'home'));
    this.env = {
      ...process.env,
      VIDBUS_DESKTOP_SESSION: dir,
      XDG_RUNTIME_DIR: run,
      HOME: join(dir, 'home'),
      XDG_DATA_HOME: join(dir, 'home', '.local', 'share'),
      XDG_CONFIG_HOME: join(dir, 'home', '.config'),
      XDG_CURRENT_DESKTOP: 'gnome', // the gtk portal backend declares UseIn=gnome
      PIPEWIRE_REMOTE: '',
      NO_AT_BRIDGE: '1',
    };
    delete this.env.PIPEWIRE_REMOTE;
    delete this.env.WAYLAND_DISPLAY;
  }

  /** Starts the session; on any failure everything started so far is stopped again. */
  static async start(options: DesktopSessionOptions = {}): Promise<DesktopSession> {
    const s = new DesktopSession(mkdtempSync(join(tmpdir(), 'vidbus-desktop-')));
    try {
      await s.startAll(options);
      return s;
    } catch (e) {
      await s.stop();
      throw e;
    }
  }

  private launch(command: string, args: string[], stdio: ('ignore' | 'pipe')[] = ['ignore', 'ignore', 'pipe']): ChildProcess {
    const child = spawn(command, args, { env: this.env, stdio, detached: true });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (process.env.VIDBUS_DESKTOP_DEBUG) process.stderr.write(`[${command}] ${d}`);
    });
    this.children.push(child);
    return child;
  }

  private async startAll(options: DesktopSessionOptions): Promise<void> {
    // Xvfb first: the portal's GTK backend, which D-Bus starts, needs DISPLAY in the bus's environment.
    const xvfb = this.launch('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x720x24'], ['ignore', 'ignore', 'pipe', 'pipe']);
    const display = await displayNumber(xvfb);
    this.env.DISPLAY = `:${display}`;
    // A session bus of our own whose only activatable services are the ones this session wants: the
    // portal, its GTK backend and the permission store (no document portal FUSE mount, no a11y bus).
    const bus = join(this.dir, 'bus');
    const services = join(this.dir, 'services');
    mkdirSync(services);
    const service = (name: string, exec: string) => writeFileSync(join(services, `${name}.service`), `[D-BUS Service]\nName=${name}\nExec=${exec}\n`);
    service('org.freedesktop.impl.portal.PermissionStore', PERMISSION_STORE_EXEC);
    if (options.screencast) {
      // The frontend finds backends in .portal files and picks by XDG_CURRENT_DESKTOP.
      const portals = join(this.dir, 'portals');
      mkdirSync(portals);
      writeFileSync(join(portals, 'vidbus-test.portal'), '[portal]\nDBusName=org.vidbus.test.ScreenCast\nInterfaces=org.freedesktop.impl.portal.ScreenCast;\nUseIn=vidbus-test\n');
      Object.assign(this.env, { XDG_DESKTOP_PORTAL_DIR: portals, XDG_CURRENT_DESKTOP: 'vidbus-test', VIDBUS_FAKE_SCREENCAST_NODE: options.screencast.node, VIDBUS_FAKE_SCREENCAST_LOG: options.screencast.log });
      service('org.freedesktop.portal.Desktop', PORTAL);
      service('org.vidbus.test.ScreenCast', `/usr/bin/python3 ${FAKE_SCREENCAST}`);
    } else if (options.portal !== false) {
      service('org.freedesktop.portal.Desktop', PORTAL);
      service('org.freedesktop.impl.portal.desktop.gtk', PORTAL_GTK);
    }
    if (options.accessBackend === false) {
      // The portal reads which backends exist from .portal files: give it a folder with none.
      mkdirSync(join(this.dir, 'portals'));
      this.env.XDG_DESKTOP_PORTAL_DIR = join(this.dir, 'portals');
    }
    writeFileSync(
      join(this.dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><keep_umask/><listen>unix:path=${bus}</listen><servicedir>${services}</servicedir>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n`,
    );
    this.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${bus}`;
    this.launch('dbus-daemon', ['--nofork', '--nopidfile', `--config-file=${join(this.dir, 'bus.conf')}`]);
    await waitUntil('dbus-daemon', () => existsSync(bus), 10000);
    await this.startPipeWire(options.wireplumber !== false);
    if (options.screencast) {
      await waitUntil('the ScreenCast portal', () => this.portalInterfaces().includes('org.freedesktop.portal.ScreenCast'), 30000);
    } else if (options.portal !== false) {
      // The first call starts the portal through D-Bus; it exports Camera once its Access backend answers.
      if (options.accessBackend !== false) await waitUntil('the desktop portal', () => this.portalInterfaces().includes('org.freedesktop.portal.Camera'), 30000);
      else await waitUntil('the desktop portal', () => this.portalInterfaces().length > 0, 30000);
      if (options.cameraPermission !== false) this.setCameraPermission(true);
    }
  }

  private pipewire: ChildProcess[] = [];

  private async startPipeWire(wireplumber: boolean): Promise<void> {
    this.pipewire = [this.launch('pipewire', [])];
    await waitUntil('the PipeWire socket', () => existsSync(join(this.env.XDG_RUNTIME_DIR!, 'pipewire-0')), 15000);
    if (wireplumber) {
      this.pipewire.push(this.launch('wireplumber', []));
      await waitUntil('WirePlumber', () => /wireplumber/i.test(spawnSync('pw-cli', ['ls', 'Client'], { env: this.env, encoding: 'utf8' }).stdout ?? ''), 20000);
    }
  }

  /** Stops PipeWire and WirePlumber and starts them again, as a crash or an update would. */
  async restartPipeWire(): Promise<void> {
    for (const child of [...this.pipewire].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(join(this.env.XDG_RUNTIME_DIR!, 'pipewire-0'), { force: true });
    rmSync(join(this.env.XDG_RUNTIME_DIR!, 'pipewire-0.lock'), { force: true });
    await this.startPipeWire(this.pipewire.length > 1);
  }

  /** The interfaces org.freedesktop.portal.Desktop exports now ([] when it is not running). */
  portalInterfaces(): string[] {
    const r = spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.portal.Desktop', '/org/freedesktop/portal/desktop', 'org.freedesktop.DBus.Introspectable.Introspect'], {
      env: this.env,
      encoding: 'utf8',
      timeout: 5000,
    });
    return [...(r.stdout ?? '').matchAll(/interface name="([^"]+)"/g)].map((m) => m[1]!);
  }

  /** Presets (or takes back) "any app may use the camera" in the permission store, so no dialog asks. */
  setCameraPermission(allowed: boolean): void {
    const args = allowed
      ? [`${PERMISSION_STORE[0]}.SetPermission`, 'string:devices', 'boolean:true', 'string:camera', 'string:', 'array:string:yes']
      : [`${PERMISSION_STORE[0]}.Delete`, 'string:devices', 'string:camera'];
    const r = spawnSync('dbus-send', ['--session', '--print-reply', `--dest=${PERMISSION_STORE[0]}`, PERMISSION_STORE[1], ...args], { env: this.env, encoding: 'utf8', timeout: 10000 });
    if (r.status !== 0) throw new Error(`permission store: ${r.stderr}`);
  }

  /** Processes of this session still alive (by the marker in their environment). */
  processes(): number[] {
    const marker = `VIDBUS_DESKTOP_SESSION=${this.dir}\0`;
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry));
      } catch {
        // gone, or not ours to read
      }
    }
    return pids;
  }

  /** Stops every process of the session and removes its folder. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The portal and WirePlumber before PipeWire, PipeWire before D-Bus: each exits cleanly when asked in this order.
    for (const child of [...this.children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
      }
    }
    for (let round = 0; round < 20; round++) {
      const left = this.processes();
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, round < 5 ? 'SIGTERM' : 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
