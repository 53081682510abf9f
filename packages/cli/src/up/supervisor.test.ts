import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { superviseServices, type Restartable } from './supervisor.js';

let nextPid = 100;

/** Enough of a ChildProcess for the supervisor: exit state, pid, 'exit' events, kill. */
function fakeChild(): ChildProcess & { crash(signal?: NodeJS.Signals): void } {
  const child = new EventEmitter() as ChildProcess & { crash(signal?: NodeJS.Signals): void };
  Object.assign(child, { exitCode: null, signalCode: null, pid: nextPid++ });
  child.kill = (signal?: NodeJS.Signals | number) => {
    child.crash(typeof signal === 'string' ? signal : 'SIGTERM');
    return true;
  };
  child.crash = (signal = 'SIGKILL') => {
    Object.assign(child, { signalCode: signal });
    child.emit('exit', null, signal);
  };
  return child;
}

function fakeService(name: string, failures = 0): Restartable & { starts: number } {
  const service = {
    name,
    child: fakeChild(),
    starts: 0,
    async respawn() {
      await Promise.resolve();
      service.starts += 1;
      service.child = fakeChild();
      if (service.starts <= failures) {
        service.child.crash('SIGTERM');
        throw new Error(`${name} exited with code 1 while starting`);
      }
    },
  };
  return service;
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i += 1) await sleep(10);
  expect(check()).toBe(true);
};

describe('superviseServices', () => {
  const backoff = { initialMs: 10, maxMs: 40, resetAfterMs: 60_000 };

  it('restarts only the service that died, and says so', async () => {
    const lines: string[] = [];
    const crashed = fakeService('agent 1');
    const other = fakeService('agent 2');
    const supervisor = superviseServices([crashed, other], line => lines.push(line), backoff);

    crashed.child.kill('SIGKILL');
    await waitFor(() => lines.some(line => line.includes('running again')));

    expect(crashed.starts).toBe(1);
    expect(other.starts).toBe(0);
    expect(lines[0]).toBe('modfleet: agent 1 killed by SIGKILL; restarting in 10 ms');
    expect(lines[1]).toBe(`modfleet: agent 1 is running again (pid ${crashed.child.pid})`);
    await supervisor.stop();
  });

  it('doubles the delay after each failed start, up to the maximum, and keeps trying', async () => {
    const lines: string[] = [];
    const service = fakeService('coordinator', 3);
    const supervisor = superviseServices([service], line => lines.push(line), backoff);

    service.child.kill('SIGKILL');
    await waitFor(() => lines.some(line => line.includes('running again')));

    expect(service.starts).toBe(4);
    expect(
      lines.filter(line => line.includes('did not come back')).map(line => /again in (\d+ ms)/.exec(line)?.[1]),
    ).toEqual(['20 ms', '40 ms', '40 ms']);
    await supervisor.stop();
  });

  it('restarts nothing once stopped, even a service that exits right after', async () => {
    const lines: string[] = [];
    const service = fakeService('agent 1');
    const supervisor = superviseServices([service], line => lines.push(line), backoff);

    await supervisor.stop();
    service.child.kill('SIGTERM');
    await sleep(400);

    expect(service.starts).toBe(0);
    expect(lines).toEqual([]);
  });
});
