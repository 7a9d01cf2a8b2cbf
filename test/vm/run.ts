/**
 * npm run test:vm [-- COMMAND]: boots the lab VM and runs COMMAND as root
 * inside it (default: the guest test suite), streaming its output, and exits
 * with its status.
 *   node dist/test/vm/run.js [--timeout SECONDS] [--keep-output DIR] [COMMAND...]
 */
import { labUnavailableReason, runInVm } from './lab.js';

const args = process.argv.slice(2);
let timeoutMs = 600000;
let collectInto: string | undefined;
while (args[0]?.startsWith('--')) {
  const flag = args.shift()!;
  if (flag === '--timeout') timeoutMs = Number(args.shift()) * 1000;
  else if (flag === '--keep-output') collectInto = args.shift();
  else if (flag === '--') break;
  else {
    console.error(`unknown option ${flag}`);
    process.exit(2);
  }
}
const command = args.length > 0 ? args.join(' ') : 'node scripts/run-tests.mjs --guest';
const reason = labUnavailableReason();
if (reason) {
  console.error(`vidbus VM lab unavailable: ${reason}. Run scripts/setup.sh (it installs the lab's packages).`);
  process.exit(3);
}
const result = await runInVm({ command, timeoutMs, ...(collectInto ? { collectInto } : {}) });
console.error(`vidbus-vm: status ${result.status}${result.timedOut ? ' (timed out)' : ''}, booted in ${(result.bootMs / 1000).toFixed(1)} s, total ${(result.totalMs / 1000).toFixed(1)} s`);
process.exitCode = result.status;
