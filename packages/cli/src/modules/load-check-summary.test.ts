import type { ActionObject, LoadCheck, PendingOp } from '@modfleet/common/contract';
import { describe, expect, it } from 'vitest';
import { loadCheckSummary } from './load-check-summary.js';

const check = (status: LoadCheck['status'], reason: string): LoadCheck => ({
  status,
  reason,
  checked_at: '2026-12-02T05:00:00.000Z',
});

function action(ops: Record<string, Partial<PendingOp>>): ActionObject {
  const pending_ops = Object.fromEntries(
    Object.entries(ops).map(([node, op]): [string, PendingOp] => [
      node,
      { status: 'completed', progress: 100, attempts: 1, error: null, ...op },
    ]),
  );
  return { additional_info: { pending_ops } } as unknown as ActionObject;
}

describe('loadCheckSummary: each node’s module load check under a push’s table', () => {
  it('names the nodes that passed and every node that installed a module failing its check', () => {
    const text = loadCheckSummary(
      action({
        '2': { load_check: check('passed', 'loaded as ft 10200') },
        '1': { load_check: check('passed', 'loaded as ft 10200') },
        '3': { load_check: check('failed', 'does not load on this node: fake.so: file too short') },
        '4': { load_check: check('skipped', 'no redis-server on this node') },
      }),
    );

    expect(text).toBe(
      'Module load check passed on nodes 1, 2\n' +
        'Installed, but the module load check did not pass:\n' +
        '  node 3: failed: does not load on this node: fake.so: file too short\n' +
        '  node 4: skipped: no redis-server on this node\n',
    );
  });

  it('leaves out a node whose op failed on its check (its error says so) and actions without checks', () => {
    const refused = action({ '1': { status: 'failed', error: 'load check failed', load_check: check('failed', 'x') } });

    expect(loadCheckSummary(refused)).toBe('');
    expect(loadCheckSummary(action({ '1': {} }))).toBe('');
  });
});
