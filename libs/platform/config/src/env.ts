// Environment configuration: one declared variable list per app, each with a description,
// a default and a sensitive flag; validated once at start, reporting every bad variable at once.
export interface EnvVar<T> {
  description: string;
  default?: T;
  sensitive?: boolean;
  /** Returns the parsed value or throws an Error whose message says what was expected. */
  parse(raw: string): T;
}

export type EnvSpec = Record<string, EnvVar<unknown>>;
export type EnvValues<S extends EnvSpec> = { [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadEnv<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): EnvValues<S> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (variable.default === undefined) problems.push(`${name}: required (${variable.description})`);
      else values[name] = variable.default;
      continue;
    }
    try {
      values[name] = variable.parse(raw);
    } catch (error) {
      const shown = variable.sensitive ? '[redacted]' : JSON.stringify(raw);
      problems.push(`${name}=${shown}: ${(error as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return values as EnvValues<S>;
}

export const parsers = {
  string: (raw: string) => raw,
  port(raw: string): number {
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error('expected a port number 0-65535');
    return port;
  },
  positiveInt(raw: string): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error('expected a whole number of at least 1');
    return value;
  },
  /** A whole number from `min` to `max`, for settings where a value outside them is a mistake. */
  intBetween(min: number, max: number, why: string): (raw: string) => number {
    return (raw: string) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max)
        throw new Error(`expected a whole number from ${min} to ${max} (${why})`);
      return value;
    };
  },
  /** 1/true/yes or 0/false/no. */
  flag(raw: string): boolean {
    const value = raw.trim().toLowerCase();
    if (['1', 'true', 'yes'].includes(value)) return true;
    if (['0', 'false', 'no'].includes(value)) return false;
    throw new Error('expected 1 or 0 (true or false)');
  },
  redisUrl(raw: string): string {
    if (!/^rediss?:\/\//.test(raw)) throw new Error('expected redis://host:port or rediss://...');
    return raw;
  },
  /** host:port,host:port,… (IPv6 hosts in brackets: [::1]:7000). */
  redisNodes(raw: string): Array<{ host: string; port: number }> {
    const nodes = raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const match = /^(\[[^\]]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(part);
        const port = Number(match?.[2]);
        if (!match || port < 1 || port > 65535)
          throw new Error(`expected host:port,host:port,… ("${part}" is not host:port)`);
        return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
      });
    if (nodes.length === 0) throw new Error('expected host:port,host:port,…');
    return nodes;
  },
  logLevel(raw: string): string {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(raw)) throw new Error(`expected one of ${levels.join(', ')}`);
    return raw;
  },
};

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('expected an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http(s) URL');
  return raw;
}

function otlpProtocol(raw: string): string {
  // The bundled exporter sends OTLP/HTTP JSON; OTLP/HTTP receivers take JSON and protobuf alike.
  if (raw === 'http/json' || raw === 'http/protobuf') return raw;
  throw new Error(
    'expected http/json or http/protobuf (the bundled exporter speaks OTLP over HTTP, not gRPC)',
  );
}

function tracesExporter(raw: string): string {
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => name !== 'otlp' && name !== 'none');
  if (unknown.length) throw new Error(`expected otlp or none (no ${unknown.join(', ')} exporter is bundled)`);
  return raw;
}

function nonNegativeInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error('expected a whole number of at least 0');
  return value;
}

/**
 * The standard OpenTelemetry variables our trace export (libs/telemetry, trace-export.ts) and
 * the bundled SDK read. Traces are exported only when an endpoint is set; the SDK itself reads
 * them from the environment, so these entries validate and document them.
 */
export const otelEnv = {
  OTEL_SDK_DISABLED: {
    description: 'true: export nothing, whatever else is set',
    parse: (raw: string) => {
      if (!['true', 'false'].includes(raw.toLowerCase())) throw new Error('expected true or false');
      return raw.toLowerCase() === 'true';
    },
    default: false,
  },
  OTEL_TRACES_EXPORTER: {
    description: 'otlp (the default when an endpoint is set) or none',
    parse: tracesExporter,
    default: '',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    description:
      'OTLP/HTTP base URL; traces go to <url>/v1/traces. Unset (with no traces endpoint): no export',
    parse: httpUrl,
    default: '',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    description: 'OTLP/HTTP URL for traces, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT',
    parse: httpUrl,
    default: '',
  },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    description: 'http/json or http/protobuf; spans are sent as OTLP/HTTP JSON either way',
    parse: otlpProtocol,
    default: '',
  },
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {
    description: 'as OTEL_EXPORTER_OTLP_PROTOCOL, for traces only',
    parse: otlpProtocol,
    default: '',
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    description: 'key=value,... headers on every export request (e.g. an API key)',
    parse: parsers.string,
    default: '',
    sensitive: true,
  },
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: {
    description: 'as OTEL_EXPORTER_OTLP_HEADERS, for traces only',
    parse: parsers.string,
    default: '',
    sensitive: true,
  },
  OTEL_EXPORTER_OTLP_TIMEOUT: {
    description: 'milliseconds one export request may take (SDK default 10000)',
    parse: parsers.positiveInt,
    default: 10_000,
  },
  OTEL_SERVICE_NAME: {
    description: 'service.name of the spans (default: the app name, e.g. matcher)',
    parse: parsers.string,
    default: '',
  },
  OTEL_RESOURCE_ATTRIBUTES: {
    description: 'key=value,... resource attributes (deployment.environment, k8s.pod.name, ...)',
    parse: parsers.string,
    default: '',
  },
  OTEL_TRACES_SAMPLER: {
    description: 'SDK sampler (default parentbased_always_on)',
    parse: parsers.string,
    default: '',
  },
  OTEL_TRACES_SAMPLER_ARG: {
    description: 'sampler argument, e.g. the ratio of traceidratio samplers',
    parse: parsers.string,
    default: '',
  },
  OTEL_BSP_SCHEDULE_DELAY: {
    description: 'milliseconds between batch exports (SDK default 5000)',
    parse: nonNegativeInt,
    default: 5_000,
  },
  OTEL_BSP_MAX_QUEUE_SIZE: {
    description: 'spans buffered for export before new ones are dropped (SDK default 2048)',
    parse: parsers.positiveInt,
    default: 2_048,
  },
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: {
    description: 'spans per export request (SDK default 512)',
    parse: parsers.positiveInt,
    default: 512,
  },
  OTEL_BSP_EXPORT_TIMEOUT: {
    description: 'milliseconds a batch export may take (SDK default 30000)',
    parse: parsers.positiveInt,
    default: 30_000,
  },
} satisfies EnvSpec;

/** Variables every service reads. */
export const commonEnv = {
  REDIS_URL: {
    description: 'Redis for queues and state',
    parse: parsers.redisUrl,
    default: DEFAULT_REDIS_URL,
    sensitive: true,
  },
  REDIS_CLUSTER_NODES: {
    description:
      'Redis Cluster seed nodes, host:port,host:port,…: every connection is a cluster client (credentials and TLS from REDIS_URL; queues under <prefix>:{<queue>}); unset: the single Redis of REDIS_URL',
    parse: parsers.redisNodes,
    default: [] as Array<{ host: string; port: number }>,
  },
  REDIS_NAMESPACE: {
    description:
      'prefix for every Redis key we write; BullMQ queues sit under <namespace>:bull (empty: callintake keys, queues under bull)',
    parse: parsers.string,
    default: '',
  },
  INGEST_TENANTS: {
    description: 'path of the tenants file (YAML or JSON)',
    parse: parsers.string,
    default: '',
  },
  LOG_LEVEL: { description: 'pino log level', parse: parsers.logLevel, default: 'info' },
  WORKER_CONCURRENCY: {
    description: 'jobs each worker runs at once',
    parse: parsers.positiveInt,
    default: 4,
  },
  SHUTDOWN_DEADLINE_MS: {
    description:
      'on SIGTERM, how long active jobs may finish; the process exits at most 1 s later, leaving jobs still running to another worker',
    parse: parsers.positiveInt,
    default: 25_000,
  },
  JOB_ATTEMPTS: {
    description:
      'how many times a job is started before it fails for good; a start whose worker died or froze (a stall) counts as one',
    parse: parsers.intBetween(1, 25, 'the backoff doubles per attempt: the 25th waits months'),
    default: 8,
  },
  JOB_BACKOFF_MS: {
    description:
      'delay before the first retry of a failed job; each later retry waits twice as long as the one before (with jitter)',
    parse: parsers.intBetween(1, 600_000, 'at most 10 minutes'),
    default: 1_000,
  },
  JOB_LOCK_MS: {
    description:
      'how long a job stays claimed by a worker that stopped renewing it (killed, frozen, or stopped at the shutdown deadline) before another worker takes it over',
    parse: parsers.intBetween(1_000, 3_600_000, 'workers renew it every half of it; at most an hour'),
    default: 60_000,
  },
  REDIS_ALLOW_EVICTION: {
    description:
      '1: start even though Redis may evict keys (maxmemory-policy other than noeviction), with a warning; evicted jobs and state are lost silently',
    parse: parsers.flag,
    default: false,
  },
  HEALTH_PORT: {
    description: 'worker services serve /healthz (wedged detection) and /readyz (Redis) here; 0 turns it off',
    parse: parsers.port,
    default: 0,
  },
  ...otelEnv,
} satisfies EnvSpec;

export const statusApiEnv = {
  STATUS_PORT: { description: 'status API port', parse: parsers.port, default: 3000 },
  STATUS_HOST: { description: 'status API listen address', parse: parsers.string, default: '0.0.0.0' },
  STATUS_API_TOKENS: {
    description: 'comma-separated token:scope pairs; scope * or tenant ids joined by +',
    parse: parsers.string,
    default: '',
    sensitive: true,
  },
} satisfies EnvSpec;
