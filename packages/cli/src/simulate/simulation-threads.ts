import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { SimulationSlice, SliceMessage } from './simulate-thread.js';

/** Splits `nodes` into `threads` consecutive slices, the first ones one node larger when it does not divide. */
export function sliceNodes(nodes: number, threads: number): { first: number; count: number }[] {
  const slices: { first: number; count: number }[] = [];
  const used = Math.min(nodes, threads);
  for (let i = 0, first = 0; i < used; i += 1) {
    const count = Math.floor(nodes / used) + (i < nodes % used ? 1 : 0);
    slices.push({ first, count });
    first += count;
  }
  return slices;
}

export interface SimulationThread {
  registered: Promise<number[]>;
  stop(deadlineMs: number): Promise<void>;
}

/** One worker thread running a slice of the simulated nodes (its own event loop, so a second core helps). */
export function startSimulationThread(slice: SimulationSlice): SimulationThread {
  const worker = new Worker(new URL('./simulate-thread.js', import.meta.url), { workerData: slice });
  const registered = new Promise<number[]>((resolve, reject) => {
    worker.on('message', (message: SliceMessage) => {
      if ('registered' in message) resolve(message.registered);
      if ('failed' in message) reject(new Error(message.failed));
    });
    worker.once('error', reject);
    worker.once('exit', code => reject(new Error(`simulation thread exited with ${code}`)));
  });
  return {
    registered,
    async stop(deadlineMs) {
      const exited = once(worker, 'exit');
      worker.postMessage({ stop: deadlineMs });
      const forced = setTimeout(() => void worker.terminate(), deadlineMs + 5_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
