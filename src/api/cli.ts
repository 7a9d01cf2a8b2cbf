/**
 * `vidbus/cli`: the command line as a function, for programs that embed
 * it (and the examples): `await main(['demo', '--seconds', '5'])` returns
 * the exit code. Pass `{ signal }` to stop long-running commands yourself.
 *
 * @module
 */
export { main, usage, COMMANDS } from '../cli/main.js';
export type { MainOptions } from '../cli/main.js';
export type { Command, CommandContext, CliOption, CliOptions } from '../cli/command.js';
