/** Reading the small text files the kernel exposes (sysfs, /proc, /etc). */
import { readFileSync } from 'node:fs';

/** A small system file (sysfs, /proc) as trimmed text, or undefined when it cannot be read. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
