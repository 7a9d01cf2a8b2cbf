/**
 * `vidbus vcam --install-service`: a systemd user unit that starts the
 * virtual camera at login and restarts it if it ever stops, plus the lines
 * that create the loopback device at boot.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Options of installUnit(). */
export interface UnitOptions {
  /** the stream the camera shows; names the unit */
  from: string;
  /** the vcam arguments to run with (without --install-service) */
  args: string[];
  /** the node binary to start */
  node: string;
  /** the vidbus CLI script (dist/src/cli/main.js) */
  cli: string;
  /** where systemd user units live (default ~/.config/systemd/user) */
  unitDir?: string;
}

const quote = (s: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `"${s.replace(/(["\\\\$`])/g, '\\\\$1')}"`);

export function unitName(from: string): string {
  return `vidbus-vcam-${from}.service`;
}

export function renderUnit(options: UnitOptions): string {
  return [
    '[Unit]',
    `Description=vidbus virtual camera fed from stream "${options.from}"`,
    '',
    '[Service]',
    `ExecStart=${[options.node, options.cli, 'vcam', ...options.args].map(quote).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** Lines that load v4l2loopback with a Chrome-visible device at every boot. */
export const PERSISTENT_DEVICE_CONFIG = {
  '/etc/modules-load.d/v4l2loopback.conf': 'v4l2loopback\n',
  '/etc/modprobe.d/v4l2loopback.conf': 'options v4l2loopback devices=1 exclusive_caps=1 card_label="vidbus camera"\n',
};

/** What installUnit() wrote and what to run next. */
export interface InstalledUnit {
  /** the unit file */
  path: string;
  /** the commands to enable it, and to create the device at every boot */
  next: string[];
}

/** Writes the unit; returns its path and what to run next. */
export function installUnit(options: UnitOptions): InstalledUnit {
  const dir = options.unitDir ?? join(homedir(), '.config', 'systemd', 'user');
  mkdirSync(dir, { recursive: true });
  const name = unitName(options.from);
  const path = join(dir, name);
  writeFileSync(path, renderUnit(options));
  return {
    path,
    next: [
      `systemctl --user daemon-reload && systemctl --user enable --now ${name}`,
      ...Object.entries(PERSISTENT_DEVICE_CONFIG).map(([file, text]) => `echo '${text.trim()}' | sudo tee ${file}   # the device at every boot`),
    ],
  };
}
