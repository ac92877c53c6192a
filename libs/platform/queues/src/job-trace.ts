// Trace context beside the job data, in BullMQ's own job option for it: `opts.telemetry.metadata`
// (a string BullMQ persists with the job and gives back as `job.opts.telemetry.metadata`). We
// store the JSON of a W3C carrier, so a consumer in any language can continue the trace:
// `propagation.extract(context.active(), JSON.parse(job.opts.telemetry.metadata))`.
import type { Job, JobsOptions } from 'bullmq';
import { currentTraceCarrier, type TraceCarrier } from '@callintake/telemetry';
import type { LegacyEnvelope } from './registry';

/** The job option carrying the active trace; none while no SDK records spans (nothing to carry). */
export function traceJobOptions(): Pick<JobsOptions, 'telemetry'> {
  const carrier = currentTraceCarrier();
  return Object.keys(carrier).length ? { telemetry: { metadata: JSON.stringify(carrier) } } : {};
}

/** The W3C carrier the enqueuer left on a job; undefined when there is none or it is unreadable. */
export function traceCarrierOf(job: Pick<Job, 'opts'>): TraceCarrier | undefined {
  const metadata = job.opts?.telemetry?.metadata;
  if (!metadata) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined; // someone else's format: a trace we cannot continue is not a failed job
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const carrier: TraceCarrier = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') carrier[key] = value;
  return carrier;
}

/** Job data in the layout used before the payload became the data itself. */
export function isLegacyEnvelope(data: unknown): data is LegacyEnvelope {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const keys = Object.keys(data);
  return keys.includes('payload') && keys.every((key) => key === 'payload' || key === 'trace');
}
