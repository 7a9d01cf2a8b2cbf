/**
 * Command-line options of the benchmarks: `--name value`. A number option
 * that is missing takes its default; one that is given but not a positive
 * number stops the benchmark with a message (a NaN frame count would
 * otherwise reach gst-launch or a loop bound).
 */
export function option(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  return value;
}

export function numberOption(flag: string, fallback: number): number {
  const value = Number(option(flag, String(fallback)));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
  return value;
}
