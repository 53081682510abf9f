import type { Metrics } from '@modfleet/common';
import { Gauge } from 'prom-client';
import type { NodeQueues } from '../fleet/dispatch/node-queues.js';
import type { NodeRegistry } from '../nodes/node-registry.js';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/** Gauges read at scrape time: node job backlog per node and state, and nodes by status. */
export function registerFleetGauges(metrics: Metrics, nodes: NodeRegistry, queues: NodeQueues): void {
  new Gauge({
    name: 'modfleet_queue_depth',
    help: 'Jobs in each node queue by state',
    labelNames: ['node', 'state'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const uid of await nodes.uids()) {
        const counts = await queues.node(uid).getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ node: String(uid), state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'modfleet_nodes',
    help: 'Registered nodes by status',
    labelNames: ['status'],
    registers: [metrics.registry],
    async collect() {
      const all = await nodes.list();
      for (const status of ['active', 'down'] as const)
        this.set({ status }, all.filter(node => node.status === status).length);
    },
  });
}
