/**
 * What vidbus knows about v4l2loopback as a kernel module: how to recognise
 * its devices, its parameters in sysfs, its version, the modprobe line that
 * gives a device browsers list, and how to pick a device to write to. Used
 * by the loopback sink, the doctor, device discovery and the demo.
 */
import { existsSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { VidbusError } from '../errors.js';
import { queryCapabilities, videoNodePaths, type DeviceCapabilities } from '../native/v4l2.js';
import { readText } from '../util/sysfs.js';

/** The driver name v4l2loopback reports in VIDIOC_QUERYCAP. */
export const LOOPBACK_DRIVER = 'v4l2 loopback';

/** The line that gives a device Chrome can see (exclusive_caps=1). */
export const MODPROBE_LINE = 'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="vidbus camera"';
const MODPROBE_HINT = `Load the module with a device Chrome can see: ${MODPROBE_LINE} (Debian: apt-get install v4l2loopback-dkms).`;

/** Every v4l2loopback node on the machine, with its capabilities now. */
export function listLoopbackDevices(): DeviceCapabilities[] {
  const out: DeviceCapabilities[] = [];
  for (const path of videoNodePaths()) {
    try {
      const caps = queryCapabilities(path);
      if (caps.driver === LOOPBACK_DRIVER) out.push(caps);
    } catch {
      // not ours to judge here: permission or another driver
    }
  }
  return out;
}

/**
 * exclusive_caps of each loopback device, in device order (the module
 * parameter is a comma-separated list of Y/N), or [] when not loaded.
 */
export function exclusiveCapsFlags(): boolean[] {
  const text = readText('/sys/module/v4l2loopback/parameters/exclusive_caps');
  return text === undefined ? [] : text.split(',').map((v) => v.trim() === 'Y' || v.trim() === '1');
}

/** The loaded module's version, else the one DKMS built for `kernel`. */
export function loopbackVersion(kernel = release()): string | undefined {
  return readText('/sys/module/v4l2loopback/version') ?? dkmsVersion(kernel);
}

/** The v4l2loopback version DKMS built for `kernel`, if DKMS built it. */
function dkmsVersion(kernel: string): string | undefined {
  const root = '/var/lib/dkms/v4l2loopback';
  try {
    return readdirSync(root).find((v) => /^\d+\.\d+/.test(v) && existsSync(`${root}/${v}/${kernel}`));
  } catch {
    return undefined;
  }
}

/** Picks the device: a path, a card label, or the first loopback device with OUTPUT free. */
export function resolveLoopbackDevice(device?: string): DeviceCapabilities {
  if (device !== undefined && device.startsWith('/')) {
    if (!existsSync(device)) throw new VidbusError('ERR_DEVICE_NOT_FOUND', `${device} does not exist. ${MODPROBE_HINT}`);
    const caps = queryCapabilities(device);
    if (caps.driver !== LOOPBACK_DRIVER) {
      throw new VidbusError('ERR_NOT_A_LOOPBACK_DEVICE', `${device} is a "${caps.driver}" device (${caps.card}), not v4l2loopback. Pick a loopback device: \`v4l2-ctl --list-devices\`.`);
    }
    return caps;
  }
  const all = listLoopbackDevices();
  if (all.length === 0) {
    throw new VidbusError('ERR_NO_LOOPBACK_DEVICE', `No v4l2loopback device found. ${MODPROBE_HINT}`);
  }
  const candidates = device === undefined ? all : all.filter((d) => d.card === device);
  if (candidates.length === 0) {
    throw new VidbusError('ERR_DEVICE_NOT_FOUND', `No v4l2loopback device labelled "${device}". Found: ${all.map((d) => `${d.path} "${d.card}"`).join(', ')}.`);
  }
  const free = candidates.find((d) => d.canOutput);
  if (!free) {
    throw new VidbusError(
      'ERR_DEVICE_BUSY',
      `Every matching loopback device already has a writer (${candidates.map((d) => d.path).join(', ')}): with exclusive_caps=1 a device offers OUTPUT only while nobody writes to it. Stop the other writer, or load more devices (devices=2).`,
    );
  }
  return free;
}
