// JSON logs (pino). Secrets never reach a log line: values under secret-bearing keys are
// redacted at any depth (in the logged object, in child bindings and in serialized errors),
// and credentials inside URLs (`redis://:pw@host`, `https://user:pw@…`) are masked wherever a
// string carries one, error messages and stacks included. Names of where a secret lives
// (`passwordEnv`, `privateKeyFile`, `secretAccessKeyEnv`) are not secrets and stay readable.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACTED = '[redacted]';

/**
 * Keys whose values are secrets: exact names, or names ending in one (`sftpPassword`,
 * `clientSecret`, `accessToken`, `STATUS_API_TOKENS`). Compared case-insensitively.
 */
const SECRET_KEY =
  /(password|passphrase|privatekey|secretaccesskey|accesskeyid|sessiontoken|secret|token|tokens|authorization|cookie|apikey|api_key|credentials)$/i;
/** `scheme://user:password@` → the password part. */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):([^\s/@]*)@/gi;
const MAX_DEPTH = 10;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function scrubString(value: string): string {
  return value.includes('://') ? value.replace(URL_CREDENTIALS, `$1:${REDACTED}@`) : value;
}

/** A copy of `value` without secrets. Errors stay errors, so pino's error serializer still applies. */
export function scrubSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error || Buffer.isBuffer(value) || value instanceof Date) return value;
  if (seen.has(value) || depth >= MAX_DEPTH) return '[omitted]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1, seen));
  if (value instanceof Map)
    return Object.fromEntries(
      [...value].map(([key, item]) => [
        String(key),
        isSecretKey(String(key)) ? REDACTED : scrubSecrets(item, depth + 1, seen),
      ]),
    );
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    copy[key] = isSecretKey(key) ? REDACTED : scrubSecrets(item, depth + 1, seen);
  return copy;
}

function scrubError(error: unknown): unknown {
  return scrubSecrets(pino.stdSerializers.err(error as Error));
}

export function loggerOptions(options: { service?: string; level?: string } = {}): pino.LoggerOptions {
  return {
    ...(options.service ? { name: options.service, base: { service: options.service } } : {}),
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: scrubError, error: scrubError },
    // Messages too: `logger.info(\`connected to ${url}\`)` must not print a password.
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubString(arg) : arg));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    formatters: {
      log: (object) => scrubSecrets(object) as Record<string, unknown>,
      bindings: (bindings) => scrubSecrets(bindings) as Record<string, unknown>,
    },
  };
}

export function createLogger(
  options: { service: string; level?: string },
  destination?: DestinationStream,
): Logger {
  const logger = destination ? pino(loggerOptions(options), destination) : pino(loggerOptions(options));
  return scrubChildBindings(logger);
}

/**
 * Pino applies `formatters.bindings` to the root's bindings only, not to a child's; children
 * inherit this `child` through their prototype, so bindings are scrubbed at every level.
 */
function scrubChildBindings(logger: Logger): Logger {
  const protoChild = (Object.getPrototypeOf(logger) as Logger).child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return protoChild.call(this, scrubSecrets(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
