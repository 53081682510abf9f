import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics both services expose; each service adds its own gauges to `registry`. */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  artifactBytesReceived: Counter<'source'>;
  artifactBytesServed: Counter;
  jobDuration: Histogram<'op' | 'outcome'>;
}

export function createMetrics(service: 'coordinator' | 'agent'): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'modfleet_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    artifactBytesReceived: new Counter({
      name: 'modfleet_artifact_bytes_received_total',
      help: 'Artifact bytes received: uploads through the API, pushes fetched from a URL, downloads from the coordinator',
      labelNames: ['source'],
      registers: [registry],
    }),
    artifactBytesServed: new Counter({
      name: 'modfleet_artifact_bytes_served_total',
      help: 'Artifact bytes the coordinator streamed to agents',
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'modfleet_job_duration_seconds',
      help: 'Fleet op (node job) duration by op and outcome',
      labelNames: ['op', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
