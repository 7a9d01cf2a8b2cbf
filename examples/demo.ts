/**
 * vidbus demo, as the README's main command runs it: the same as
 * `vidbus demo` (src/cli/demo.ts): a test-pattern stream, a consumer in
 * another process with live stats, a browser preview, and the virtual
 * camera where v4l2loopback is free. Ctrl-C leaves nothing behind.
 *   node dist/examples/demo.js [--size 1280x720] [--fps 30] [--seconds N] [--name demo]
 */
import { main } from '../src/api/cli.js';

process.exitCode = await main(['demo', ...process.argv.slice(2)]);
