/**
 * Builds the lab's initramfs: static busybox, the virtio and 9p modules of
 * the guest kernel, and an /init that mounts the host's root read-only over
 * virtio-9p, gives it writable tmpfs where programs expect to write, mounts
 * the results share and switch_roots into it. Written as a newc cpio archive
 * (gzip) by hand: no cpio tool needed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Modules in load order (dependencies first). Built-in ones are skipped. */
export const BOOT_MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  'netfs',
  'fscache',
  '9pnet',
  '9pnet_virtio',
  '9p',
];

interface Entry {
  name: string;
  mode: number;
  data?: Buffer;
}

function header(entry: Entry, ino: number): Buffer {
  const name = Buffer.from(`${entry.name}\0`);
  const size = entry.data?.length ?? 0;
  const fields = [ino, entry.mode, 0, 0, 1, 0, size, 0, 0, 0, 0, name.length, 0];
  const text = `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`;
  const head = Buffer.concat([Buffer.from(text), name]);
  return Buffer.concat([head, Buffer.alloc((4 - (head.length % 4)) % 4)]);
}

export function cpio(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    parts.push(header(entry, i + 1));
    if (entry.data) {
      parts.push(entry.data, Buffer.alloc((4 - (entry.data.length % 4)) % 4));
    }
  });
  parts.push(header({ name: 'TRAILER!!!', mode: 0 }, 0));
  return Buffer.concat(parts);
}

/** Finds each module's .ko under /lib/modules/<release>; returns [name, path][] in order. */
export function findModules(release: string, names: string[]): { found: [string, string][]; builtin: string[]; missing: string[] } {
  const root = `/lib/modules/${release}`;
  const byName = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ko')) byName.set(entry.name.slice(0, -3).replace(/-/g, '_'), path);
    }
  };
  walk(join(root, 'kernel'));
  const builtinText = existsSync(join(root, 'modules.builtin')) ? readFileSync(join(root, 'modules.builtin'), 'utf8') : '';
  const builtinNames = new Set(builtinText.split('\n').map((l) => l.split('/').pop()!.replace(/\.ko$/, '').replace(/-/g, '_')));
  const found: [string, string][] = [];
  const builtin: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const path = byName.get(name);
    if (path) found.push([name, path]);
    else if (builtinNames.has(name)) builtin.push(name);
    else missing.push(name);
  }
  return { found, builtin, missing };
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko 2>/dev/null || echo "vidbus-vm: insmod $m failed" > /dev/console; done
fail() { echo "vidbus-vm: $1"; poweroff -f; }
mkdir -p /newroot /vmres /keep
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 results /vmres || fail "cannot mount the results share"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 hostroot /newroot || fail "cannot mount the host root over 9p"
# The working directory may live where the guest puts fresh tmpfs (a
# checkout under /tmp, say): set it aside and put it back on top.
CWD="$(cat /vmres/cwd)"
KEEP=0
case "$CWD" in /tmp/*|/run/*|/root/*|/dev/shm/*) mount --bind "/newroot$CWD" /keep && KEEP=1 ;; esac
for d in tmp run root; do mount -t tmpfs -o mode=1777 tmpfs /newroot/$d; done
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/shm /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
if [ "$KEEP" = 1 ]; then mkdir -p "/newroot$CWD" && mount --move /keep "/newroot$CWD"; fi
mkdir -p /newroot/tmp/vm-results
mount --move /vmres /newroot/tmp/vm-results
exec switch_root /newroot /bin/sh /tmp/vm-results/guest.sh
`;

export function buildInitramfs(release: string): { image: Buffer; builtin: string[]; missing: string[] } {
  const busybox = '/bin/busybox';
  if (!existsSync(busybox) || statSync(busybox).size < 500000) {
    throw new Error('static busybox not found at /bin/busybox: apt-get install busybox-static');
  }
  const { found, builtin, missing } = findModules(release, BOOT_MODULES);
  const entries: Entry[] = [
    { name: 'bin', mode: 0o40755 },
    { name: 'dev', mode: 0o40755 },
    { name: 'proc', mode: 0o40755 },
    { name: 'sys', mode: 0o40755 },
    { name: 'modules', mode: 0o40755 },
    { name: 'bin/busybox', mode: 0o100755, data: readFileSync(busybox) },
    { name: 'init', mode: 0o100755, data: Buffer.from(INIT) },
    { name: 'modules/order', mode: 0o100644, data: Buffer.from(found.map(([n]) => n).join('\n')) },
    ...found.map(([name, path]) => ({ name: `modules/${name}.ko`, mode: 0o100644, data: readFileSync(path) })),
  ];
  return { image: gzipSync(cpio(entries), { level: 1 }), builtin, missing };
}
