/**
 * `vidbus info`: what this machine offers for video: the kernel and its
 * video modules (v4l2loopback with its version, vivid, uvcvideo), devices
 * by role, the peers vidbus works with (ffmpeg, GStreamer, PipeWire) and
 * whether the current user may open each /dev/video node.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { videoNodePaths } from '../native/v4l2.js';
import { listDevices, type DeviceRole } from './discover.js';
import { loopbackVersion } from './loopback.js';
import { readText as read } from '../util/sysfs.js';

export interface SystemInfo {
  kernel: string;
  modules: { name: string; loaded: boolean; version?: string }[];
  devices: Partial<Record<DeviceRole, string[]>>;
  tools: { name: string; available: boolean; version?: string; running?: boolean }[];
  access: { path: string; group: string; mode: string; readWrite: boolean; inGroup: boolean }[];
}

const MODULES = ['videodev', 'v4l2loopback', 'vivid', 'uvcvideo'];


/** Where `cmd` is on PATH, if it is. */
function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = join(dir || '.', cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A tool is available when it is on PATH; its version is asked for, but a slow answer (GStreamer's first registry scan) does not make it missing. */
function tool(name: string, args: string[], running?: boolean): SystemInfo['tools'][number] {
  const path = onPath(name);
  if (!path) return { name, available: false, ...(running !== undefined ? { running } : {}) };
  const version = firstLine(path, args) ?? `${path} (did not report a version within 20 s)`;
  return { name, available: true, version, ...(running !== undefined ? { running } : {}) };
}

function firstLine(cmd: string, args: string[]): string | undefined {
  const run = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
  // (ffmpeg's first line ends in a long copyright notice)
  if (run.error || run.status !== 0) return undefined;
  return (run.stdout || run.stderr).split('\n').find((l) => l.trim() !== '')?.trim().replace(/ Copyright.*/, '');
}

function groupName(gid: number): string {
  const line = (read('/etc/group') ?? '').split('\n').find((l) => l.split(':')[2] === String(gid));
  return line?.split(':')[0] ?? String(gid);
}

export function systemInfo(): SystemInfo {
  const loaded = new Set((read('/proc/modules') ?? '').split('\n').map((l) => l.split(' ')[0]));
  const modules = MODULES.map((name) => {
    const version = name === 'v4l2loopback' ? loopbackVersion() : read(`/sys/module/${name}/version`);
    return { name, loaded: loaded.has(name), ...(version ? { version } : {}) };
  });
  const devices: SystemInfo['devices'] = {};
  for (const d of listDevices()) (devices[d.role] ??= []).push(d.path);
  const runtime = process.env.XDG_RUNTIME_DIR ?? `/run/user/${process.getuid?.() ?? 0}`;
  const tools = [tool('ffmpeg', ['-hide_banner', '-version']), tool('gst-launch-1.0', ['--version']), tool('pipewire', ['--version'], existsSync(`${runtime}/pipewire-0`))];
  const groups = new Set(process.getgroups?.() ?? []);
  const access = videoNodePaths().map((path) => {
    const st = statSync(path);
    let readWrite = true;
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch {
      readWrite = false;
    }
    return { path, group: groupName(st.gid), mode: (st.mode & 0o777).toString(8), readWrite, inGroup: groups.has(st.gid) };
  });
  return { kernel: release(), modules, devices, tools, access };
}

export function formatSystemInfo(info: SystemInfo): string {
  const out: string[] = [`kernel ${info.kernel}`, 'modules:'];
  for (const m of info.modules) out.push(`  ${m.name.padEnd(13)} ${m.loaded ? 'loaded' : 'not loaded'}${m.version ? ` (version ${m.version})` : ''}`);
  out.push('devices:');
  const roles = Object.entries(info.devices);
  if (roles.length === 0) out.push('  none');
  for (const [role, paths] of roles) out.push(`  ${role.padEnd(17)} ${paths!.join(', ')}`);
  out.push('tools:');
  for (const t of info.tools) out.push(`  ${t.name.padEnd(15)} ${t.available ? t.version : 'not installed'}${t.running === undefined ? '' : t.running ? ' (running)' : t.available ? ' (not running for this user)' : ''}`);
  out.push('access:');
  if (info.access.length === 0) out.push('  no /dev/video* nodes');
  for (const a of info.access) {
    const fix = a.readWrite ? '' : a.inGroup ? ' (log out and in again for the group to apply)' : ` (sudo usermod -aG ${a.group} $USER, then log in again)`;
    out.push(`  ${a.path} group ${a.group} mode ${a.mode}: ${a.readWrite ? 'you can open it' : 'you cannot open it'}${fix}`);
  }
  return `${out.join('\n')}\n`;
}
