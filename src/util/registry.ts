/**
 * A registry of named extensions (source kinds, sink backends): add by
 * name, find by name with "did you mean" for typos, list in the order they
 * were added.
 */
import { VidbusError } from '../errors.js';
import { closestName } from './options.js';

export class Registry<T> {
  private readonly items = new Map<string, T>();

  /** `what` names the kind of entry in errors, e.g. 'sink backend'. */
  constructor(private readonly what: string) {}

  /** Adds an entry; throws ERR_INVALID_OPTION if the name is taken. */
  add(name: string, item: T): void {
    if (this.items.has(name)) throw new VidbusError('ERR_INVALID_OPTION', `A ${this.what} "${name}" is already registered`);
    this.items.set(name, item);
  }

  /** Removes an entry (tests that register toys clean up with this). */
  remove(name: string): void {
    this.items.delete(name);
  }

  /** Every entry, in the order added. */
  all(): T[] {
    return [...this.items.values()];
  }

  /** The entry of this name; ERR_INVALID_OPTION naming the known ones otherwise. */
  find(name: string): T {
    const found = this.items.get(name);
    if (found !== undefined) return found;
    const known = [...this.items.keys()];
    const guess = closestName(name, known);
    throw new VidbusError('ERR_INVALID_OPTION', `No ${this.what} "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}. Known: ${known.join(', ')}`);
  }
}
