import { describe, expect, it } from 'vitest';
import { actionStatus, toActionObject } from './action-status.js';
import type { OpStatus } from '../contract/action-object.js';
import type { ActionMeta, OpRecord } from '../fleet/action-types.js';

const meta: ActionMeta = {
  action_uid: 'a1b2c3',
  name: 'install_module_artifact',
  creation_time: 1_700_000_000,
  description: 'Install Mod@1 on every node',
  object_type: 'module_artifact',
  object_uid: 'Mod@1',
  dedupe_key: 'install|Mod@1|abc|all',
};
/** The same action once its parent job has closed it. */
const closed: ActionMeta = { ...meta, finished_at: 1_700_000_100_000 };

let nextKey = 0;
function op(node_uid: number, status: OpStatus, overrides: Partial<OpRecord> = {}): OpRecord {
  nextKey += 1;
  return {
    key: `${node_uid}-${nextKey}`,
    node_uid,
    op: 'install',
    module_name: 'Mod',
    version: 1,
    sha256: 'a'.repeat(64),
    status,
    progress: status === 'completed' ? 100 : 0,
    attempts: status === 'queued' ? 0 : 1,
    error: null,
    ...overrides,
  };
}

const node = (status: OpStatus, progress = status === 'completed' ? 100 : 0) => ({ status, progress });

describe('actionStatus', () => {
  it('is completed at 100 when there is nothing to do', () => {
    const result = actionStatus([]);

    expect(result).toEqual({ status: 'completed', progress: 100 });
  });

  it('is queued at 0 while no node has started', () => {
    const result = actionStatus([node('queued'), node('queued'), node('queued')]);

    expect(result).toEqual({ status: 'queued', progress: 0 });
  });

  it('is running once one node runs, with the mean of the nodes as progress', () => {
    const result = actionStatus([node('running', 50), node('queued'), node('queued')]);

    expect(result).toEqual({ status: 'running', progress: 16.7 });
  });

  it('is running while some nodes are done and others still queued (a node that is down)', () => {
    const result = actionStatus([node('completed'), node('completed'), node('queued')]);

    expect(result).toEqual({ status: 'running', progress: 66.7 });
  });

  it('is completed only when every node completed', () => {
    const result = actionStatus([node('completed'), node('completed'), node('completed')]);

    expect(result).toEqual({ status: 'completed', progress: 100 });
  });

  it('counts a cancelled node (removed from the cluster) as done', () => {
    expect(actionStatus([node('completed'), node('cancelled')])).toEqual({ status: 'completed', progress: 100 });
    expect(actionStatus([node('cancelled')])).toEqual({ status: 'completed', progress: 100 });
  });

  it('is failed once every node is terminal and one failed', () => {
    const result = actionStatus([node('completed'), node('failed'), node('cancelled')]);

    expect(result).toEqual({ status: 'failed', progress: 100 });
  });

  it('is not failed yet while another node is still working', () => {
    expect(actionStatus([node('failed'), node('running', 20)]).status).toBe('running');
    expect(actionStatus([node('failed'), node('queued')]).status).toBe('running');
  });

  it('counts a terminal node as 100 whatever progress it last reported', () => {
    const result = actionStatus([node('failed', 10), node('running', 40)]);

    expect(result.progress).toBe(70);
  });

  it('keeps progress within 0-100', () => {
    for (const nodes of [[node('queued')], [node('running', 99.99)], [node('completed'), node('failed', 0)]]) {
      const { progress } = actionStatus(nodes);
      expect(progress).toBeGreaterThanOrEqual(0);
      expect(progress).toBeLessThanOrEqual(100);
    }
  });
});

describe('toActionObject', () => {
  it('builds the RS v2 action object with one pending_ops line per node', () => {
    const ops = [
      op(1, 'completed', { attempts: 1 }),
      op(2, 'running', { progress: 40, attempts: 2, error: 'connection reset' }),
      op(3, 'queued'),
    ];

    const action = toActionObject(meta, ops);

    expect(action).toEqual({
      action_uid: 'a1b2c3',
      action_type: 'task',
      name: 'install_module_artifact',
      status: 'running',
      progress: 46.7,
      creation_time: 1_700_000_000,
      additional_info: {
        description: 'Install Mod@1 on every node',
        object_type: 'module_artifact',
        object_uid: 'Mod@1',
        pending_ops: {
          '1': { status: 'completed', progress: 100, attempts: 1, error: null },
          '2': { status: 'running', progress: 40, attempts: 2, error: 'connection reset' },
          '3': { status: 'queued', progress: 0, attempts: 0, error: null },
        },
      },
    });
  });

  it('never exposes internal fields of the record (dedupe key, finish time)', () => {
    const action = toActionObject({ ...meta, finished_at: 1_700_000_100_000 }, [op(1, 'completed')]);

    expect(JSON.stringify(action)).not.toMatch(/dedupe|finished_at/);
  });

  it('keys pending_ops by node uid in numeric order', () => {
    const action = toActionObject(meta, [op(10, 'completed'), op(2, 'completed'), op(1, 'completed')]);

    expect(Object.keys(action.additional_info.pending_ops)).toEqual(['1', '2', '10']);
  });

  it('is completed with no pending ops for an action without ops (a sync with nothing to do)', () => {
    const action = toActionObject(closed, []);

    expect(action.status).toBe('completed');
    expect(action.progress).toBe(100);
    expect(action.additional_info.pending_ops).toEqual({});
  });

  it('completes an action whose only unfinished node was cancelled', () => {
    const action = toActionObject(closed, [
      op(1, 'completed'),
      op(2, 'completed'),
      op(3, 'cancelled', { error: 'node removed from the cluster' }),
    ]);

    expect(action.status).toBe('completed');
    expect(action.additional_info.pending_ops['3']).toMatchObject({
      status: 'cancelled',
      error: 'node removed from the cluster',
    });
  });

  it('fails an action once every node is terminal and one failed, keeping the error', () => {
    const action = toActionObject(closed, [
      op(1, 'completed'),
      op(2, 'failed', { attempts: 5, error: 'drift: run sync to replace it' }),
    ]);

    expect(action.status).toBe('failed');
    expect(action.additional_info.pending_ops['2']).toEqual({
      status: 'failed',
      progress: 100,
      attempts: 5,
      error: 'drift: run sync to replace it',
    });
  });

  it('stays running while every op is done but the action is not closed yet, and keeps the ops as reported', () => {
    const done = [op(1, 'completed'), op(2, 'completed')];
    const failedOne = [op(1, 'completed'), op(2, 'failed', { error: 'disk full' })];

    const closing = toActionObject(meta, done);
    const failing = toActionObject(meta, failedOne);

    expect(closing).toMatchObject({ status: 'running', progress: 100 });
    expect(Object.values(closing.additional_info.pending_ops).map(node => node.status)).toEqual([
      'completed',
      'completed',
    ]);
    expect(failing.status).toBe('running');
    expect(toActionObject(closed, done).status).toBe('completed');
    expect(toActionObject(closed, failedOne).status).toBe('failed');
    expect(toActionObject(meta, []).status).toBe('running');
  });
  describe('a node with several ops (a sync)', () => {
    const fold = (...statuses: OpStatus[]) =>
      toActionObject(
        meta,
        statuses.map(status => op(1, status)),
      ).additional_info.pending_ops['1']!;

    it('is completed when all its ops completed', () => {
      expect(fold('completed', 'completed').status).toBe('completed');
    });

    it('is failed when all are terminal and one failed', () => {
      expect(fold('completed', 'failed').status).toBe('failed');
    });

    it('is cancelled only when every op was cancelled', () => {
      expect(fold('cancelled', 'cancelled').status).toBe('cancelled');
      expect(fold('cancelled', 'completed').status).toBe('completed');
    });

    it('is running while one op is done and another waits', () => {
      expect(fold('completed', 'queued').status).toBe('running');
      expect(fold('failed', 'queued').status).toBe('running');
      expect(fold('running', 'queued').status).toBe('running');
    });

    it('is queued while none started', () => {
      expect(fold('queued', 'queued').status).toBe('queued');
    });

    it('reports the mean progress, the most attempts and the first error', () => {
      const action = toActionObject(meta, [
        op(1, 'completed', { attempts: 1 }),
        op(1, 'running', { progress: 50, attempts: 3, error: 'timeout' }),
        op(1, 'queued', { attempts: 0 }),
      ]);

      expect(action.additional_info.pending_ops['1']).toEqual({
        status: 'running',
        progress: 50,
        attempts: 3,
        error: 'timeout',
      });
      expect(action.progress).toBe(50);
    });
  });
});
