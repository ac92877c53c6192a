// JSON logs (pino). Secrets never reach a log line: known secret-bearing keys are redacted
// wherever they appear, and config objects are logged only through `describeSafe`.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_KEYS = [
  'password',
  'passphrase',
  'privateKey',
  'secretAccessKey',
  'accessKeyId',
  'token',
  'authorization',
];

export function createLogger(options: { service: string; level?: string }): Logger {
  return pino({
    name: options.service,
    level: options.level ?? 'info',
    base: { service: options.service },
    redact: redactOptions(),
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export function redactOptions() {
  return {
    paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((key) => `*.${key}`), 'req.headers.authorization'],
    censor: '[redacted]',
  };
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
