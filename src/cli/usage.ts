import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '../util/options.js';

/** A wrong command line: main() prints the message and the usage, and exits with 2. */
export class UsageError extends Error {}

/** Parses WIDTHxHEIGHT. */
export function parseSize(option: string, text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--${option} must look like 1280x720; received ${text}`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Parses a positive number (integer unless `fraction`). */
export function parsePositive(option: string, text: string, fraction = false): number {
  const n = Number(text);
  if (!(n > 0) || (!fraction && !Number.isInteger(n))) throw new UsageError(`--${option} must be a positive ${fraction ? 'number' : 'integer'}; received ${text}`);
  return n;
}

/**
 * node:util's parseArgs, with "did you mean" for a mistyped option:
 * `--wath` gets "Unknown option '--wath'. Did you mean --watch?".
 */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  try {
    return nodeParseArgs(config);
  } catch (e) {
    const message = (e as Error).message;
    const unknown = /Unknown option '--?([^']+)'/.exec(message)?.[1];
    const suggestion = unknown !== undefined ? closestName(unknown, Object.keys(config.options ?? {})) : undefined;
    throw new UsageError(suggestion ? `${message.split('\n')[0]!.replace(/\.$/, '')}. Did you mean --${suggestion}?` : message);
  }
}
