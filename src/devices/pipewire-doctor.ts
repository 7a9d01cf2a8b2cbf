/**
 * `vidbus doctor`, the PipeWire half: what stands between this machine and
 * a PipeWire camera that browsers list. Browsers reach PipeWire cameras only
 * through the desktop portal's Camera interface, which the portal exports
 * only when a backend implementing org.freedesktop.impl.portal.Access runs
 * for the current desktop; the camera permission lives in the portal's
 * permission store; Chromium needs a feature switch, Firefox a preference;
 * and a node is listed only with media.role Camera, a description and a
 * format of fixed size. Read-only, like the rest of doctor.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isVidbusError } from '../errors.js';
import type { Finding } from './loopback-doctor.js';
import { listPipeWireNodes, pipewireHelperPath } from './pipewire-helper.js';

/** where the portal reads its backends (XDG_DESKTOP_PORTAL_DIR overrides it, as for the portal itself) */
const portalsDir = () => process.env.XDG_DESKTOP_PORTAL_DIR || '/usr/share/xdg-desktop-portal/portals';
const ACCESS = 'org.freedesktop.impl.portal.Access';
const INSTALL_PORTAL = 'sudo apt-get install xdg-desktop-portal xdg-desktop-portal-gtk (or your desktop\'s backend: -gnome, -kde)';
const PRESET = 'dbus-send --session --print-reply --dest=org.freedesktop.impl.portal.PermissionStore /org/freedesktop/impl/portal/PermissionStore org.freedesktop.impl.portal.PermissionStore.SetPermission string:devices boolean:true string:camera string: array:string:yes';

/** What doctor found about PipeWire. */
export interface PipeWireReport {
  /** PipeWire answered */
  running: boolean;
  /** the session manager (WirePlumber) is connected */
  sessionManager: string | undefined;
  /** the portal exports org.freedesktop.portal.Camera */
  portalCamera: boolean;
  /** portal backends that implement Access, by file */
  accessBackends: string[];
  /** the permission store's answer for the camera: 'yes', 'no', 'ask' or undefined (never set) */
  cameraPermission: string | undefined;
  /** camera nodes and whether browsers can list them */
  cameras: { name: string; description: string; listable: boolean; why?: string }[];
  findings: Finding[];
  /** true when `vidbus vcam --backend pipewire` would make a camera browsers can open */
  ready: boolean;
}

function dbusSend(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('dbus-send', ['--session', '--print-reply', ...args], { encoding: 'utf8', timeout: 5000 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.error ? String(r.error.message) : (r.stderr ?? '') };
}

interface DumpObject {
  type: string;
  info?: { props?: Record<string, unknown>; params?: { EnumFormat?: { size?: unknown }[] } };
}

function pwDump(): DumpObject[] | undefined {
  const r = spawnSync('pw-dump', [], { encoding: 'utf8', timeout: 10000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as DumpObject[];
  } catch {
    return undefined;
  }
}

/** Why a browser would not list this Video/Source node, or undefined when it would. */
export function whyNotListable(props: Record<string, unknown>, formats: { size?: unknown }[] | undefined): string | undefined {
  if (props['media.role'] !== 'Camera') return 'media.role is not Camera';
  if (!props['node.description']) return 'it has no node.description';
  if (formats !== undefined && !formats.some((f) => typeof f.size === 'object' && f.size !== null && 'width' in f.size)) return 'it offers only size ranges, no fixed size';
  return undefined;
}

/** Backends (by .portal file) implementing Access, and whether one is for the current desktop. */
function accessBackends(): { files: string[]; forDesktop: boolean } {
  const desktops = (process.env.XDG_CURRENT_DESKTOP ?? '').toLowerCase().split(':').filter(Boolean);
  const files: string[] = [];
  let forDesktop = false;
  const dir = portalsDir();
  for (const file of existsSync(dir) ? readdirSync(dir) : []) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (!text.includes(ACCESS)) continue;
    files.push(file);
    const useIn = /^UseIn=(.*)$/m.exec(text)?.[1]?.toLowerCase().split(';').filter(Boolean) ?? [];
    if (useIn.some((d) => desktops.includes(d))) forDesktop = true;
  }
  return { files, forDesktop };
}

/** Whether Chromium's profile turns on the PipeWire camera (chrome://flags writes it into Local State). */
function chromiumFlag(): boolean | undefined {
  const state = join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'chromium', 'Local State');
  if (!existsSync(state)) return undefined;
  return readFileSync(state, 'utf8').includes('enable-webrtc-pipewire-camera');
}

/** Whether some Firefox profile sets media.webrtc.camera.allow-pipewire. */
function firefoxPref(): boolean | undefined {
  const root = join(homedir(), '.mozilla', 'firefox');
  if (!existsSync(root)) return undefined;
  return readdirSync(root).some((p) => {
    const prefs = join(root, p, 'prefs.js');
    return existsSync(prefs) && /user_pref\("media\.webrtc\.camera\.allow-pipewire",\s*true\)/.test(readFileSync(prefs, 'utf8'));
  });
}

export async function diagnosePipeWire(): Promise<PipeWireReport> {
  const findings: Finding[] = [];
  const report: PipeWireReport = { running: false, sessionManager: undefined, portalCamera: false, accessBackends: [], cameraPermission: undefined, cameras: [], findings, ready: false };
  try {
    pipewireHelperPath();
  } catch (e) {
    findings.push({ level: 'problem', id: 'pipewire-bridge-missing', message: 'The PipeWire bridge (vidbus-pipewire) is not built.', fix: isVidbusError(e) ? e.message : String(e) });
    return report;
  }
  try {
    await listPipeWireNodes();
    report.running = true;
    findings.push({ level: 'ok', id: 'pipewire-running', message: 'PipeWire is running.' });
  } catch (e) {
    findings.push({
      level: 'problem',
      id: 'pipewire-not-running',
      message: `PipeWire does not answer: ${(e as Error).message}`,
      fix: 'systemctl --user start pipewire wireplumber (Debian: sudo apt-get install pipewire wireplumber)',
    });
    return report;
  }
  const dump = pwDump();
  const clients = dump?.filter((o) => o.type.endsWith(':Client')).map((o) => String(o.info?.props?.['application.name'] ?? '')) ?? [];
  report.sessionManager = clients.find((n) => /wireplumber|media-session/i.test(n));
  if (dump === undefined) findings.push({ level: 'warning', id: 'pw-dump-missing', message: 'pw-dump is not installed, so the session manager and camera nodes were not checked.', fix: 'sudo apt-get install pipewire-bin' });
  else if (report.sessionManager) findings.push({ level: 'ok', id: 'session-manager', message: `The session manager is connected (${report.sessionManager}).` });
  else findings.push({ level: 'problem', id: 'no-session-manager', message: 'No session manager (WirePlumber) is connected: nothing links cameras to apps or grants access.', fix: 'systemctl --user start wireplumber (sudo apt-get install wireplumber)' });

  for (const node of dump?.filter((o) => o.type.endsWith(':Node') && o.info?.props?.['media.class'] === 'Video/Source') ?? []) {
    const props = node.info!.props!;
    const why = whyNotListable(props, node.info?.params?.EnumFormat);
    const camera = { name: String(props['node.name'] ?? ''), description: String(props['node.description'] ?? ''), listable: why === undefined, ...(why ? { why } : {}) };
    report.cameras.push(camera);
    if (why) findings.push({ level: 'warning', id: 'camera-not-listable', message: `Video source "${camera.name}" will not appear in browsers: ${why}.` });
  }

  const backends = accessBackends();
  report.accessBackends = backends.files;
  const introspect = dbusSend(['--dest=org.freedesktop.portal.Desktop', '/org/freedesktop/portal/desktop', 'org.freedesktop.DBus.Introspectable.Introspect']);
  report.portalCamera = introspect.ok && introspect.out.includes('org.freedesktop.portal.Camera');
  if (report.portalCamera) {
    findings.push({ level: 'ok', id: 'portal-camera', message: `The desktop portal exports the Camera interface${backends.files.length ? ` (Access from ${backends.files.join(', ')})` : ''}.` });
  } else if (!introspect.ok && /ENOENT|not found|spawn/i.test(introspect.err)) {
    findings.push({ level: 'problem', id: 'no-dbus-send', message: 'dbus-send is not installed, so the portal could not be checked.', fix: 'sudo apt-get install dbus-bin' });
  } else if (!introspect.ok) {
    findings.push({ level: 'problem', id: 'portal-missing', message: `The desktop portal does not answer on the session bus (${introspect.err.trim().split('\n')[0] || 'no reply'}): browsers cannot reach PipeWire cameras.`, fix: INSTALL_PORTAL });
  } else if (backends.files.length === 0) {
    findings.push({ level: 'problem', id: 'portal-no-access-backend', message: 'The portal runs but no backend implements org.freedesktop.impl.portal.Access, so it does not export Camera.', fix: INSTALL_PORTAL });
  } else {
    findings.push({
      level: 'problem',
      id: 'portal-no-access-backend',
      message: `The portal runs without the Camera interface: its Access backend (${backends.files.join(', ')}) is not running or not for this desktop (XDG_CURRENT_DESKTOP=${process.env.XDG_CURRENT_DESKTOP ?? 'unset'}).`,
      fix: `Start the backend (/usr/libexec/xdg-desktop-portal-gtk), or set XDG_CURRENT_DESKTOP to a desktop its UseIn= names${backends.forDesktop ? '' : ' (e.g. gnome for the gtk backend)'}, then restart xdg-desktop-portal.`,
    });
  }

  const lookup = dbusSend(['--dest=org.freedesktop.impl.portal.PermissionStore', '/org/freedesktop/impl/portal/PermissionStore', 'org.freedesktop.impl.portal.PermissionStore.Lookup', 'string:devices', 'string:camera']);
  if (lookup.ok) {
    // The reply's first dict holds app id -> ["yes"|"no"|"ask"]; the empty app id is "every app".
    const entry = /string ""\s*array \[\s*string "(\w+)"/.exec(lookup.out);
    report.cameraPermission = entry?.[1];
  }
  if (report.cameraPermission === 'yes') findings.push({ level: 'ok', id: 'camera-permission', message: 'The permission store lets apps use the camera without asking.' });
  else if (report.cameraPermission === 'no') findings.push({ level: 'problem', id: 'camera-permission-denied', message: 'The permission store denies the camera to apps.', fix: PRESET });
  else findings.push({ level: 'warning', id: 'camera-permission-unset', message: 'No camera permission is stored: each browser asks once with a dialog (a headless browser cannot answer it).', fix: PRESET });

  const chromium = chromiumFlag();
  findings.push(
    chromium
      ? { level: 'ok', id: 'chromium-flag', message: 'Chromium has the PipeWire camera switched on (chrome://flags).' }
      : { level: 'warning', id: 'chromium-flag', message: 'Chromium lists PipeWire cameras only with its PipeWire camera switch.', fix: 'chromium --enable-features=WebRtcPipeWireCamera (or chrome://flags/#enable-webrtc-pipewire-camera)' },
  );
  const firefox = firefoxPref();
  if (firefox !== undefined) {
    findings.push(
      firefox
        ? { level: 'ok', id: 'firefox-pref', message: 'Firefox has media.webrtc.camera.allow-pipewire on.' }
        : { level: 'warning', id: 'firefox-pref', message: 'Firefox uses PipeWire cameras only with media.webrtc.camera.allow-pipewire.', fix: 'about:config → media.webrtc.camera.allow-pipewire = true' },
    );
  }
  report.ready = report.running && report.sessionManager !== undefined && report.portalCamera && report.cameraPermission !== 'no';
  return report;
}
