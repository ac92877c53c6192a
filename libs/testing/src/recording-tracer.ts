// An in-memory OpenTelemetry tracer for tests, registered through @opentelemetry/api like any
// SDK: a tracer provider that keeps every ended span, an AsyncLocalStorage context manager and
// the W3C trace-context propagator. Our code only ever talks to the API, so what it records
// here is what an SDK would export, without an exporter or a receiver in the test.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type Link,
  type Span,
  type SpanAttributeValue,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

export interface RecordedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Attributes;
  links: SpanContext[];
  status?: SpanStatus;
}

class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    activeContext: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(activeContext, () => fn.call(thisArg, ...args));
  }
  bind<T>(activeContext: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]) =>
      this.with(activeContext, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** W3C `traceparent`, the format job options carry. */
class TraceContextPropagator implements TextMapPropagator {
  inject(activeContext: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(activeContext);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
    setter.set(carrier, 'traceparent', `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
  }
  extract(activeContext: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, 'traceparent');
    const match = TRACEPARENT.exec((Array.isArray(raw) ? raw[0] : raw) ?? '');
    if (!match) return activeContext;
    return trace.setSpanContext(activeContext, {
      traceId: match[1] as string,
      spanId: match[2] as string,
      traceFlags: parseInt(match[3] as string, 16),
      isRemote: true,
    });
  }
  fields(): string[] {
    return ['traceparent'];
  }
}

class RecordingSpanImpl implements Span {
  private ended = false;
  constructor(
    private readonly recorded: RecordedSpan,
    private readonly onEnd: (span: RecordedSpan) => void,
  ) {}
  spanContext(): SpanContext {
    return { traceId: this.recorded.traceId, spanId: this.recorded.spanId, traceFlags: 1 };
  }
  setAttribute(key: string, value: SpanAttributeValue): this {
    this.recorded.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.recorded.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(link: Link): this {
    this.recorded.links.push(link.context);
    return this;
  }
  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.recorded.status = status;
    return this;
  }
  updateName(name: string): this {
    this.recorded.name = name;
    return this;
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this.recorded);
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(): void {}
}

class RecordingTracerImpl implements Tracer {
  constructor(private readonly onEnd: (span: RecordedSpan) => void) {}

  startSpan(name: string, options: SpanOptions = {}, activeContext: Context = context.active()): Span {
    const parent = options.root ? undefined : trace.getSpanContext(activeContext);
    const valid = parent && isSpanContextValid(parent) ? parent : undefined;
    return new RecordingSpanImpl(
      {
        name,
        traceId: valid?.traceId ?? randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        ...(valid ? { parentSpanId: valid.spanId } : {}),
        attributes: { ...options.attributes },
        links: (options.links ?? []).map((link) => link.context),
      },
      this.onEnd,
    );
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : {}) as SpanOptions;
    const parentContext = (rest.length >= 3 ? rest[1] : context.active()) as Context;
    const span = this.startSpan(name, options, parentContext);
    return context.with(trace.setSpan(parentContext, span), () => fn(span)) as ReturnType<F>;
  }
}

export interface RecordingTracer {
  /** Every span ended so far, in the order they ended. */
  spans(): RecordedSpan[];
  /** Unregisters everything, so later tests see the API's no-op defaults again. */
  stop(): void;
}

/** Registers the recording tracer globally; call `stop()` when done. */
export function startRecordingTracer(): RecordingTracer {
  const ended: RecordedSpan[] = [];
  const tracer = new RecordingTracerImpl((span) => ended.push(span));
  const provider: TracerProvider = { getTracer: () => tracer };
  const contextManager = new AsyncLocalContextManager();
  if (!context.setGlobalContextManager(contextManager)) throw new Error('a context manager is already set');
  propagation.setGlobalPropagator(new TraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => [...ended],
    stop() {
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
