// Trace export for one process, configured by the standard OTEL_* variables: a NodeTracerProvider
// with a BatchSpanProcessor and the OTLP/HTTP exporter, registered through @opentelemetry/api so
// every span our libs start (tracing.ts) is exported. Without an endpoint, or with
// OTEL_TRACES_EXPORTER=none, nothing is registered or even loaded, and spans stay no-ops.
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { Logger } from './logger';

export interface TraceExportOptions {
  /** service.name unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
  serviceName: string;
  /** Where export failures are reported (the SDK's diagnostics, warnings and errors only). */
  logger?: Logger;
}

export interface TraceExport {
  /** Where spans go, or undefined when nothing is exported. */
  readonly endpoint: string | undefined;
  /** Exports what is buffered and stops; gives up after timeoutMs so shutdown stays bounded. */
  shutdown(timeoutMs: number): Promise<void>;
}

const NOT_EXPORTING: TraceExport = { endpoint: undefined, shutdown: async () => undefined };

let started = false;

/**
 * Where the standard variables ask traces to go, or undefined for no export. Unlike the spec's
 * default (localhost:4318), an unset endpoint means no export: a service must not pay for, or
 * log failures of, an export nobody asked for.
 */
export function traceExportEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.includes('none') || (exporters.length > 0 && !exporters.includes('otlp'))) return undefined;
  const tracesEndpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (tracesEndpoint) return tracesEndpoint;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * Call once per process, at start. Apps (`runServiceMain`) and `ingest up`/`demo` do; a second
 * call in the same process exports nothing more (one provider per process).
 */
export async function startTraceExport(options: TraceExportOptions): Promise<TraceExport> {
  // The SDK reads the rest of the OTEL_* variables (headers, timeouts, batching, sampler,
  // resource attributes) from process.env itself, so the decision reads it too.
  const endpoint = traceExportEndpoint(process.env);
  if (!endpoint || started) return NOT_EXPORTING;
  started = true;

  // Loaded only when exporting, so a service that does not export never loads the SDK.
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, resources, { OTLPTraceExporter }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
  const logger = options.logger;
  if (logger) {
    diag.setLogger(
      {
        error: (message, ...args) => logger.warn({ args }, `OpenTelemetry: ${message}`),
        warn: (message, ...args) => logger.warn({ args }, `OpenTelemetry: ${message}`),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      DiagLogLevel.WARN,
    );
  }
  // Later merges win: our default name, then what the environment says (OTEL_RESOURCE_ATTRIBUTES,
  // then OTEL_SERVICE_NAME), over the SDK defaults, host and process.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': options.serviceName }))
    .merge(
      resources.detectResources({
        detectors: [resources.hostDetector, resources.processDetector, resources.envDetector],
      }),
    );
  // The exporter reads headers and timeout from the same variables; the URL is the one decided above.
  const exporter = new OTLPTraceExporter({ url: endpoint });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  logger?.info({ endpoint, serviceName: options.serviceName }, 'exporting traces');

  return {
    endpoint,
    async shutdown(timeoutMs: number) {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        provider.shutdown().then(
          () => 'done' as const,
          (error: unknown) => error,
        ),
        new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (outcome === 'deadline')
        logger?.warn({ timeoutMs }, 'trace export did not finish before the deadline');
      else if (outcome !== 'done') logger?.warn({ err: outcome }, 'trace export failed at shutdown');
    },
  };
}
