import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '@modfleet/common';
import { startSimulatedFleet, type AgentConfig } from '@modfleet/agent';

/** What the simulate command sends a thread: its share of the nodes. */
export interface SimulationSlice {
  config: AgentConfig;
  first: number;
  count: number;
}

/** Messages a thread sends back. */
export type SliceMessage = { registered: number[] } | { failed: string } | { stopped: true };

const { config, first, count } = workerData as SimulationSlice;
const port = parentPort!;
const logger = createLogger({ name: 'simulate', level: config.logLevel });
try {
  const fleet = await startSimulatedFleet(config, count, logger, first);
  port.on('message', (message: { stop?: number }) => {
    if (message.stop === undefined) return;
    void fleet.stop(message.stop).finally(() => {
      port.postMessage({ stopped: true } satisfies SliceMessage);
      port.close();
    });
  });
  port.postMessage({ registered: await fleet.registered } satisfies SliceMessage);
} catch (err) {
  port.postMessage({ failed: err instanceof Error ? err.message : String(err) } satisfies SliceMessage);
  port.close();
}
