/**
 * Option validation with one message format:
 *   Expected <what> for <name> but received <value>
 * and with a hint for misspelt option names.
 */
import { VidbusError } from '../errors.js';

export function invalidOption(name: string, expected: string, actual: unknown): VidbusError {
  const shown = typeof actual === 'string' ? JSON.stringify(actual) : typeof actual === 'bigint' ? `${actual}n` : String(actual);
  return new VidbusError('ERR_INVALID_OPTION', `Expected ${expected} for ${name} but received ${shown}`);
}

/** Edit distance where swapping two neighbours counts as one edit (typos like "widht"). */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[x.length]![y.length]!;
}

/** The known name closest to `name`, if it is close enough to be a typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Throws on any key of `options` that is not in `known`, suggesting the likely intended one. */
export function rejectUnknownOptions(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = closestName(key, known);
    throw new VidbusError(
      'ERR_INVALID_OPTION',
      guess
        ? `Misspelled option "${key}" for ${what}: did you mean "${guess}"?`
        : `Unknown option "${key}" for ${what}. Known options: ${known.join(', ')}`,
    );
  }
}

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const guess = typeof value === 'string' ? closestName(value, allowed) : undefined;
    const err = invalidOption(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
    if (guess) err.message += ` (did you mean '${guess}'?)`;
    throw err;
  }
  return value as T;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidOption(name, 'a boolean', value);
  return value;
}
