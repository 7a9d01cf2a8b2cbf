/**
 * The shape of a `vidbus` command. Each command is one object in one file:
 * its name, a one-line summary, its synopsis, its options (with the help
 * text the usage shows) and `run`. main.ts builds the dispatch and the
 * usage text from the list of commands, so the usage can never disagree
 * with the options a command accepts.
 */
import { parseArgs } from './usage.js';

/** One command-line option. */
export interface CliOption {
  /** string options take a value; boolean ones do not */
  type: 'string' | 'boolean';
  /** a one-letter alias, e.g. 'o' for -o */
  short?: string;
  /** the value when the option is not given */
  default?: string | boolean;
  /** the value's placeholder in the usage, e.g. WxH (string options) */
  value?: string;
  /** one line for the usage; options without help are listed in the synopsis only */
  help?: string;
}

/** A command's options by name (without the leading --). */
export type CliOptions = Record<string, CliOption>;

/** What a running command gets besides its arguments. */
export interface CommandContext {
  /** aborted on SIGINT/SIGTERM (or by a test): long-running commands stop, clean up and return */
  signal: AbortSignal;
}

/** One `vidbus` command. */
export interface Command {
  /** what follows `vidbus` */
  name: string;
  /** one line in the command list */
  summary: string;
  /** how to call it, after `vidbus <name>`; one line per form */
  synopsis: string[];
  /** every option it takes, with the usage's help */
  options: CliOptions;
  /** examples for the usage's Examples section, without the leading `vidbus ` */
  examples?: string[];
  /** the exit code (0 when it returns nothing) */
  run(argv: string[], context: CommandContext): Promise<number | void>;
}

/** The parsed values of a command line, by option name. */
export type ParsedValues = Record<string, string | boolean | undefined>;

/** Parses `argv` against `options` (strict, with "did you mean" for typos). */
export function parseOptions(options: CliOptions, argv: string[], allowPositionals = false): { values: ParsedValues; positionals: string[] } {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) }]),
  );
  const parsed = parseArgs({ args: argv, options: config, strict: true, allowPositionals });
  return { values: parsed.values as ParsedValues, positionals: parsed.positionals };
}

/** The help lines of a command's options that have help text. */
export function optionHelp(options: CliOptions): string[] {
  const rows = Object.entries(options)
    .filter(([, o]) => o.help)
    .map(([name, o]) => [`${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`, o.help!] as const);
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`);
}

/** The usage text of all commands: the list, each command's forms and options, examples. */
export function usageText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  const details = commands.flatMap((c) => [...c.synopsis.map((s) => `vidbus ${c.name}${s ? ` ${s}` : ''}`), ...optionHelp(c.options)]);
  const examples = commands.flatMap((c) => (c.examples ?? []).map((e) => `  vidbus ${e}`));
  return ['Usage: vidbus <command> [options]', '', 'Commands:', ...list, '', ...details, '', 'Examples:', ...examples, ''].join('\n');
}

/** The usage of one command (`vidbus <name> --help`). */
export function commandUsage(command: Command): string {
  return [`${command.summary}`, '', ...command.synopsis.map((s) => `vidbus ${command.name}${s ? ` ${s}` : ''}`), ...optionHelp(command.options), ''].join('\n');
}
