// OpenTelemetry through the API only: spans are no-ops until a process registers an SDK
// (trace-export.ts, from the OTEL_* variables), so libraries can always trace. Trace context
// crosses queues in each job's options (opts.telemetry.metadata), so one file can be followed
// from scan to calls-ready across services.
import { context, propagation, trace, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';

export const tracer = trace.getTracer('callintake');

/** W3C carrier (traceparent/tracestate), stored as JSON in a job's opts.telemetry.metadata. */
export type TraceCarrier = Record<string, string>;

export function currentTraceCarrier(): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export interface SpanOptions {
  /**
   * Start a trace of its own, linked to the active span instead of a child of it. One scan
   * takes many files; each file's trace (scan to calls-ready) should be that file's alone.
   */
  newTrace?: boolean;
}

export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  parent?: TraceCarrier,
  options: SpanOptions = {},
): Promise<T> {
  const parentContext = parent ? propagation.extract(context.active(), parent) : context.active();
  const enclosing = trace.getSpanContext(parentContext);
  const spanOptions = options.newTrace
    ? { attributes, root: true, ...(enclosing ? { links: [{ context: enclosing }] } : {}) }
    : { attributes };
  return tracer.startActiveSpan(name, spanOptions, parentContext, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
