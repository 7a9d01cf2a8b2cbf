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

/** Parses a bit rate: 4M, 800k, 2.5M or plain bits per second. */
export function parseBitrate(option: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text);
  const scale = m?.[2]?.toLowerCase() === 'm' ? 1e6 : m?.[2]?.toLowerCase() === 'k' ? 1e3 : 1;
  const n = m ? Math.round(Number(m[1]) * scale) : NaN;
  if (!(n >= 10_000)) throw new UsageError(`--${option} must be a bit rate of at least 10k, like 4M or 800k; received ${text}`);
  return n;
}
