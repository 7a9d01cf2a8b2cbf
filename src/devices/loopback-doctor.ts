/**
 * `vidbus doctor`: looks at the machine the way a support engineer would
 * and explains every known v4l2loopback failure in plain words, with the
 * fix. Read-only: it never loads modules or changes devices.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { queryCapabilities, videoNodePaths } from '../native/v4l2.js';
import { exclusiveCapsFlags, LOOPBACK_DRIVER, loopbackVersion, MODPROBE_LINE as MODPROBE } from './loopback.js';
import { readText as read } from '../util/sysfs.js';

export type FindingLevel = 'ok' | 'warning' | 'problem';

export interface Finding {
  level: FindingLevel;
  /** stable id, for scripts and tests */
  id: string;
  message: string;
  /** what to do, when something is wrong */
  fix?: string;
}

export interface LoopbackDeviceReport {
  path: string;
  label: string;
  state: 'free' | 'busy' | 'stuck';
  exclusiveCaps: boolean | undefined;
  /** processes that have the device open */
  users: { pid: number; command: string }[];
  writable: boolean;
}

export interface DoctorReport {
  kernel: string;
  module: { loaded: boolean; installed: boolean; version?: string; dynamicDevices: boolean };
  devices: LoopbackDeviceReport[];
  findings: Finding[];
  /** true when a loopback device can be fed right now */
  ready: boolean;
}

function moduleFileInstalled(kernel: string): boolean {
  const root = `/lib/modules/${kernel}`;
  const dep = read(`${root}/modules.dep`);
  if (dep !== undefined) return /(^|\/)v4l2loopback\.ko(\.[a-z]+)?:/m.test(dep);
  return false;
}

/** Processes that hold `device` open, from /proc/<pid>/fd. */
export function deviceUsers(device: string): { pid: number; command: string }[] {
  const users: { pid: number; command: string }[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return users;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target === device) {
        users.push({ pid: Number(pid), command: read(`/proc/${pid}/comm`) ?? '?' });
        break;
      }
    }
  }
  return users;
}

function secureBootEnabled(): boolean | undefined {
  try {
    const entry = readdirSync('/sys/firmware/efi/efivars').find((f) => f.startsWith('SecureBoot-'));
    if (!entry) return undefined;
    const bytes = readFileSync(`/sys/firmware/efi/efivars/${entry}`);
    return bytes[bytes.length - 1] === 1;
  } catch {
    return undefined;
  }
}

export function diagnoseLoopback(): DoctorReport {
  const kernel = release();
  const findings: Finding[] = [];
  const loaded = existsSync('/sys/module/v4l2loopback');
  const installed = loaded || moduleFileInstalled(kernel);
  const dynamicDevices = existsSync('/dev/v4l2loopback');
  const report: DoctorReport = { kernel, module: { loaded, installed, dynamicDevices }, devices: [], findings, ready: false };

  if (!installed) {
    findings.push({
      level: 'problem',
      id: 'module-not-installed',
      message: `The v4l2loopback module is not installed for kernel ${kernel}.`,
      fix: `sudo apt-get install v4l2loopback-dkms linux-headers-${kernel}   # then: ${MODPROBE}`,
    });
  } else if (!loaded) {
    findings.push({ level: 'problem', id: 'module-not-loaded', message: 'The v4l2loopback module is installed but not loaded.', fix: MODPROBE });
    if (secureBootEnabled()) {
      findings.push({
        level: 'warning',
        id: 'secure-boot',
        message: 'Secure Boot is on: the kernel refuses unsigned DKMS modules ("Key was rejected by service").',
        fix: 'Enroll the DKMS signing key (sudo mokutil --import /var/lib/dkms/mok.pub, then reboot and confirm), or turn Secure Boot off.',
      });
    }
  }

  const exclusive = exclusiveCapsFlags();
  for (const path of videoNodePaths()) {
    let caps;
    try {
      caps = queryCapabilities(path);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_PERMISSION') {
        const st = statSync(path);
        findings.push({
          level: 'problem',
          id: 'permission',
          message: `${path} is not accessible to you (owner uid ${st.uid}, gid ${st.gid}, mode ${(st.mode & 0o777).toString(8)}).`,
          fix: "sudo usermod -aG video $USER, then log out and in again (the 'video' group owns camera devices).",
        });
      }
      continue;
    }
    if (caps.driver !== LOOPBACK_DRIVER) continue;
    const index = report.devices.length;
    const users = deviceUsers(path);
    const state = caps.canOutput ? 'free' : caps.canCapture ? 'busy' : 'stuck';
    let writable = true;
    try {
      accessSync(path, constants.W_OK);
    } catch {
      writable = false;
    }
    const device: LoopbackDeviceReport = { path, label: caps.card, state, exclusiveCaps: exclusive[index], users, writable };
    report.devices.push(device);
    const who = users.length ? ` by ${users.map((u) => `${u.command} (pid ${u.pid})`).join(', ')}` : '';
    if (state === 'free') findings.push({ level: 'ok', id: 'device-free', message: `${path} "${caps.card}" is free for a producer.` });
    else if (state === 'busy') {
      findings.push({
        level: 'warning',
        id: 'device-busy',
        message: `${path} "${caps.card}" already has a writer${who}.`,
        fix: users.length ? `Stop it (kill ${users.map((u) => u.pid).join(' ')}), or use another device.` : 'Stop the program writing to it, or use another device.',
      });
    } else {
      findings.push({
        level: 'problem',
        id: 'device-stuck',
        message: `${path} "${caps.card}" announces neither capture nor output: a write()-only producer left it this way (the "works once" bug of v4l2loopback 0.12).`,
        fix: `Close every program using it${who ? ` (${who.slice(4)})` : ''}, then reload the module: sudo modprobe -r v4l2loopback && ${MODPROBE}. vidbus itself never causes this.`,
      });
    }
    if (device.exclusiveCaps === false) {
      findings.push({
        level: 'warning',
        id: 'no-exclusive-caps',
        message: `${path} was loaded without exclusive_caps=1: Chrome and Google Meet will not list it (they skip devices that announce capture and output together).`,
        fix: `sudo modprobe -r v4l2loopback && ${MODPROBE}`,
      });
    }
    if (!writable) {
      findings.push({ level: 'problem', id: 'permission', message: `${path} is not writable for you.`, fix: "sudo usermod -aG video $USER, then log out and in again." });
    }
  }
  if (loaded) {
    // 0.12 has no /sys/module/v4l2loopback/version and the V4L2 core puts
    // the kernel's version into VIDIOC_QUERYCAP, so ask DKMS which version it
    // built for this kernel.
    const version = loopbackVersion(kernel);
    if (version) report.module.version = version;
    findings.unshift(
      { level: 'ok', id: 'module-loaded', message: `v4l2loopback ${version ?? '(unknown version)'} is loaded.` },
      dynamicDevices
        ? { level: 'ok', id: 'dynamic-devices', message: 'This v4l2loopback (0.13 or later) can add and remove devices at run time (/dev/v4l2loopback).' }
        : { level: 'ok', id: 'static-devices', message: 'This v4l2loopback (before 0.13) has a fixed set of devices; changing them needs a module reload (devices=N at modprobe).' },
    );
  }
  if (loaded && report.devices.length === 0) {
    findings.push({ level: 'problem', id: 'no-devices', message: 'v4l2loopback is loaded but has no devices you can see.', fix: `sudo modprobe -r v4l2loopback && ${MODPROBE}` });
  }
  report.ready = report.devices.some((d) => d.state === 'free' && d.writable);
  return report;
}

/** Findings as lines: a mark, the message, and the fix under it. */
export function formatFindings(findings: Finding[]): string {
  const mark = { ok: '✓', warning: '!', problem: '✗' } as const;
  return findings.map((f) => `${mark[f.level]} ${f.message}\n${f.fix ? `    fix: ${f.fix}\n` : ''}`).join('');
}

export function formatReport(report: DoctorReport): string {
  const lines = [`vidbus doctor: kernel ${report.kernel}`];
  lines.push(formatFindings(report.findings).trimEnd());
  lines.push(report.ready ? 'Ready: a loopback device is free for `vidbus vcam`.' : 'Not ready: no free loopback device yet (see the fixes above).');
  return `${lines.join('\n')}\n`;
}
