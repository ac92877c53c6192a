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
  redisUrl(raw: string): string {
    if (!/^rediss?:\/\//.test(raw)) throw new Error('expected redis://host:port or rediss://...');
    return raw;
  },
  logLevel(raw: string): string {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(raw)) throw new Error(`expected one of ${levels.join(', ')}`);
    return raw;
  },
};

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Variables every service reads. */
export const commonEnv = {
  REDIS_URL: {
    description: 'Redis for queues and state',
    parse: parsers.redisUrl,
    default: DEFAULT_REDIS_URL,
    sensitive: true,
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
    description: 'on SIGTERM, how long active jobs may finish before the worker is forced closed',
    parse: parsers.positiveInt,
    default: 25_000,
  },
  HEALTH_PORT: {
    description: 'worker services serve /healthz (wedged detection) and /readyz (Redis) here; 0 turns it off',
    parse: parsers.port,
    default: 0,
  },
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
