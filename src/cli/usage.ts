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
