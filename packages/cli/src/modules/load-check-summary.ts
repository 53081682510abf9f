import type { ActionObject } from '@modfleet/common/contract';
import { plainColors, type Colors } from '../client/output.js';

/**
 * The lines under an action's node table about each node's module load check: which nodes
 * passed, and every node that installed the artifact although its check failed or was skipped
 * (`module_load_check: warn` or `off`). A node whose op failed on its check already says so in
 * its error. Empty for an action without load checks (a delete).
 */
export function loadCheckSummary(action: ActionObject, c: Colors = plainColors): string {
  const ops = Object.entries(action.additional_info.pending_ops).sort(([a], [b]) => Number(a) - Number(b));
  const passed = ops.filter(([, op]) => op.load_check?.status === 'passed').map(([node]) => node);
  const notPassed = ops.filter(
    ([, op]) => op.status === 'completed' && op.load_check && op.load_check.status !== 'passed',
  );
  let text = '';
  if (passed.length > 0) {
    text += `Module load check passed on node${passed.length === 1 ? '' : 's'} ${passed.join(', ')}\n`;
  }
  if (notPassed.length > 0) {
    text += `Installed, but the module load check did not pass:\n`;
    for (const [node, op] of notPassed) {
      const status = op.load_check!.status === 'failed' ? c.red('failed') : op.load_check!.status;
      text += `  node ${node}: ${status}: ${op.load_check!.reason}\n`;
    }
  }
  return text;
}
