#!/usr/bin/env node
/**
 * The vidbus command line. Each command is one `Command` object in its own
 * file (name, summary, synopsis, options with their help, run); this file
 * lists them, builds the dispatch and the usage from that list, prints
 * errors in one line and maps them to exit codes: 0 ok, 2 usage error,
 * 3 stream or device error, 1 anything else.
 */
import { isVidbusError, type VidbusErrorCode } from '../errors.js';
import { StopSignal } from '../util/signals.js';
import { commandUsage, usageText, type Command } from './command.js';
import { UsageError } from './usage.js';
import { demoCommand } from './demo.js';
import { devicesCommand, infoCommand } from './devices.js';
import { encodeCommand } from './encode.js';
import { fxCommand } from './fx.js';
import { listCommand } from './list.js';
import { publishCommand } from './publish.js';
import { receiveCommand } from './receive.js';
import { convertCommand, recordCommand } from './record.js';
import { streamCommand } from './stream.js';
import { doctorCommand, vcamCommand } from './vcam.js';
import { viewCommand } from './view.js';

/** Every command, in the order the usage lists them. */
export const COMMANDS: readonly Command[] = [
  vcamCommand,
  doctorCommand,
  demoCommand,
  streamCommand,
  devicesCommand,
  infoCommand,
  fxCommand,
  encodeCommand,
  viewCommand,
  listCommand,
  receiveCommand,
  recordCommand,
  publishCommand,
  convertCommand,
];

/** Errors about a stream or a device: exit code 3. */
const DEVICE_CODES: VidbusErrorCode[] = [
  'ERR_NOT_A_CAMERA',
  'ERR_FORMAT_UNSUPPORTED',
  'ERR_DEVICE_GONE',
  'ERR_NO_LOOPBACK_DEVICE',
  'ERR_NOT_A_LOOPBACK_DEVICE',
  'ERR_PIPEWIRE_UNAVAILABLE',
  'ERR_DEVICE_NOT_FOUND',
  'ERR_DEVICE_BUSY',
  'ERR_FORMAT_REJECTED',
  'ERR_PERMISSION',
  'ERR_NOT_A_V4L2_DEVICE',
  'ERR_STREAM_NOT_FOUND',
  'ERR_MODEL_LOAD',
];

export { UsageError };
export { parseVcamArgs, type VcamArgs } from './vcam.js';

/** The full usage text (what `vidbus --help` prints). */
export function usage(): string {
  return usageText(COMMANDS);
}

/** Options of main(). */
export interface MainOptions {
  /** stops long-running commands; default: the first SIGINT or SIGTERM */
  signal?: AbortSignal;
}

/** Runs one command line and returns the exit code. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(usage());
      return name === undefined ? 2 : 0;
    }
    if (!command) throw new UsageError(`unknown command "${name}"`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(commandUsage(command));
      return 0;
    }
    using stop = options.signal ? undefined : new StopSignal();
    return (await command.run(rest, { signal: options.signal ?? stop!.signal })) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vidbus: ${e.message}\n\n${command ? commandUsage(command) : usage()}`);
      return 2;
    }
    if (isVidbusError(e)) {
      process.stderr.write(`vidbus: ${e.message}\n`);
      if (process.argv.includes('--verbose')) process.stderr.write(`${e.stack}\n`);
      // A bad option value, or a file given as an option that cannot be used, is a usage error.
      return DEVICE_CODES.includes(e.code) ? 3 : e.code === 'ERR_INVALID_OPTION' || e.code === 'ERR_BAD_IMAGE' ? 2 : 1;
    }
    throw e;
  }
}

// Run when executed, not when imported by tests.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
