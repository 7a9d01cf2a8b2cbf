/** `vidbus devices [--formats] [--json]` and `vidbus info [--json]`. */
import { UsageError, parseArgs } from './usage.js';

function flags(argv: string[], names: string[]): Record<string, boolean> {
  try {
    const options = Object.fromEntries(names.map((n) => [n, { type: 'boolean' as const, default: false }]));
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, boolean>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function devices(argv: string[]): Promise<void> {
  const f = flags(argv, ['formats', 'json']);
  const { listDevices, formatDevices } = await import('../devices/discover.js');
  const list = listDevices({ formats: f.formats === true });
  process.stdout.write(f.json ? `${JSON.stringify(list, null, 2)}\n` : formatDevices(list));
}

export async function info(argv: string[]): Promise<void> {
  const f = flags(argv, ['json']);
  const { systemInfo, formatSystemInfo } = await import('../devices/system-info.js');
  const report = systemInfo();
  process.stdout.write(f.json ? `${JSON.stringify(report, null, 2)}\n` : formatSystemInfo(report));
}
