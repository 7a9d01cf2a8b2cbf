/**
 * The VM test lab: boots Debian's kernel under qemu (TCG: this machine's KVM
 * hangs that kernel at boot) with the host's root file system mounted
 * read-only over virtio-9p, runs one command as root inside, streams its
 * output and returns its exit status. Inside, real kernel modules load
 * (v4l2loopback, vivid), so the virtual camera and camera capture are tested
 * against the real drivers. Nothing is left behind: the temporary folder and
 * the qemu process go on success, failure, timeout and Ctrl-C alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInitramfs } from './initramfs.js';

export interface VmOptions {
  /** shell command to run as root in the guest */
  command: string;
  /** working directory in the guest (default: this process's cwd, visible read-only) */
  cwd?: string;
  /** extra environment for the command */
  env?: Record<string, string>;
  /** kill the VM after this long (default 600 s) */
  timeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  /** receives the guest console, chunk by chunk (default: process.stdout) */
  onOutput?: (chunk: Buffer) => void;
  /** a folder to copy the guest's results into (files the command wrote to $VIDBUS_VM_RESULTS) */
  collectInto?: string;
  signal?: AbortSignal;
}

export interface VmResult {
  /** the command's exit status; 124 on timeout, 125 when the guest never reported one */
  status: number;
  timedOut: boolean;
  bootMs: number;
  totalMs: number;
  /** files the command left in $VIDBUS_VM_RESULTS, name -> content */
  results: Record<string, Buffer>;
  /** the temporary folder this run used (removed by the time this returns) */
  workDir: string;
  /** qemu's pid (ended by the time this returns) */
  qemuPid: number | undefined;
}

export class LabUnavailableError extends Error {}

/** The newest installed Debian kernel that has its modules. */
export function guestKernel(): { release: string; vmlinuz: string } {
  const kernels = existsSync('/boot')
    ? readdirSync('/boot')
        .filter((f) => f.startsWith('vmlinuz-'))
        .map((f) => f.slice('vmlinuz-'.length))
        .filter((release) => existsSync(`/lib/modules/${release}/modules.dep`))
        .sort()
    : [];
  const release = kernels.pop();
  if (!release) throw new LabUnavailableError('no kernel in /boot with modules: apt-get install linux-image-amd64');
  return { release, vmlinuz: `/boot/vmlinuz-${release}` };
}

export function qemuBinary(): string {
  const path = '/usr/bin/qemu-system-x86_64';
  if (!existsSync(path)) throw new LabUnavailableError('qemu is not installed: apt-get install qemu-system-x86');
  return path;
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  try {
    qemuBinary();
    guestKernel();
    if (!existsSync('/bin/busybox')) return 'busybox-static is not installed';
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function guestScript(options: VmOptions, cwd: string): string {
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    VIDBUS_VM: '1',
    VIDBUS_VM_RESULTS: '/tmp/vm-results/out',
    ...options.env,
  };
  return [
    '#!/bin/sh',
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    'mkdir -p "$VIDBUS_VM_RESULTS"',
    'echo "vidbus-vm: guest up"',
    `cd ${shellQuote(cwd)} || { echo 127 > /tmp/vm-results/exit-status; exec /bin/busybox poweroff -f; }`,
    `/bin/sh -c ${shellQuote(options.command)} < /dev/null`,
    'status=$?',
    'echo "$status" > /tmp/vm-results/exit-status',
    'sync',
    'echo "vidbus-vm: command exited with $status"',
    // reboot(2) at once; the static busybox is visible through the host root.
    'exec /bin/busybox poweroff -f',
  ].join('\n');
}

function collect(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    try {
      out[name] = readFileSync(path);
    } catch {
      // a folder
    }
  }
  return out;
}

export async function runInVm(options: VmOptions): Promise<VmResult> {
  const qemu = qemuBinary();
  const { release, vmlinuz } = guestKernel();
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'vidbus-vm-'));
  const resultsDir = join(work, 'results');
  let qemuProcess: ChildProcess | undefined;
  const kill = () => qemuProcess?.kill('SIGKILL');
  process.on('exit', kill);
  const onSignal = (signal: NodeJS.Signals) => {
    kill();
    rmSync(work, { recursive: true, force: true });
    // Ctrl-C ends the run, as it would have without this handler.
    if (process.listenerCount(signal) === 0) process.exit(128 + (osConstants.signals[signal] ?? 0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { image } = buildInitramfs(release);
    writeFileSync(join(work, 'initramfs.gz'), image);
    mkdirSync(resultsDir);
    const cwd = options.cwd ?? process.cwd();
    writeFileSync(join(resultsDir, 'guest.sh'), guestScript(options, cwd), { mode: 0o755 });
    writeFileSync(join(resultsDir, 'cwd'), cwd);

    const args = [
      '-machine', 'pc', '-accel', 'tcg', '-cpu', 'max',
      '-m', String(options.memoryMb ?? 2048), '-smp', String(options.cpus ?? 2),
      '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
      // Two display cards for the DRM tests: the default std VGA (bochs-drm: framebuffers are dumb
      // buffers, read through their map) and virtio-gpu (exported as DMA-BUFs), the second output off.
      '-device', 'virtio-gpu-pci,max_outputs=2',
      '-kernel', vmlinuz, '-initrd', join(work, 'initramfs.gz'),
      '-append', 'console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init',
      '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
      '-virtfs', `local,path=${resultsDir},mount_tag=results,security_model=none`,
    ];
    const output = options.onOutput ?? ((chunk: Buffer) => process.stdout.write(chunk));
    let bootMs = 0;
    let tail = '';
    qemuProcess = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const child = qemuProcess;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!bootMs) {
        tail = (tail + chunk.toString('latin1')).slice(-256);
        if (tail.includes('vidbus-vm: guest up')) bootMs = Date.now() - started;
      }
      output(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => output(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600000);
    const abort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', abort);
    await new Promise<void>((resolve) => child.on('exit', () => resolve()));
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);

    const statusFile = join(resultsDir, 'exit-status');
    const status = timedOut ? 124 : existsSync(statusFile) ? Number(readFileSync(statusFile, 'utf8').trim()) : 125;
    const results = collect(join(resultsDir, 'out'));
    if (options.collectInto) {
      if (existsSync(join(resultsDir, 'out'))) cpSync(join(resultsDir, 'out'), options.collectInto, { recursive: true });
    }
    return { status: Number.isInteger(status) ? status : 125, timedOut, bootMs, totalMs: Date.now() - started, results, workDir: work, qemuPid: child.pid };
  } finally {
    kill();
    process.removeListener('exit', kill);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(work, { recursive: true, force: true });
  }
}
