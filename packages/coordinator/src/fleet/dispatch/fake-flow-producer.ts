import type { FlowJob, FlowProducer, JobNode } from 'bullmq';

/** Keeps every flow it is given instead of writing it to BullMQ, for unit tests of what gets queued. */
export function createFakeFlowProducer(): Pick<FlowProducer, 'add'> & { added: FlowJob[] } {
  const added: FlowJob[] = [];
  return {
    added,
    add(flow) {
      added.push(structuredClone(flow));
      // Callers here never read the job tree BullMQ would answer with.
      return Promise.resolve({ job: { id: flow.opts?.jobId } } as unknown as JobNode);
    },
  };
}
