// The `ingest` command line: `up`, `demo`, `validate`, `retry` (CONTRACT.md "Set-up and commands").
import { parseArgs } from 'node:util';
import { exitOnStartupError } from '@callintake/runtime';
import { demo } from './demo';
import { retry, RETRYABLE_STATES, type RetryableState } from './retry';
import { up } from './up';
import { validate } from './validate';

const USAGE = `usage:
  ingest up [--tenants FILE]                         every service in one process
  ingest demo [--exit]                               sample tenant end to end
  ingest validate DIR [--tenants FILE --tenant ID] [--json]
                                                     offline check of files as intake would judge them
  ingest retry --tenant T [--file NAME] [--state failed|rejected] [--reason CODE] [--dry-run]
                                                     another go for failed or rejected files (new job ids)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const { values } = parseArgs({ args: rest, options: { tenants: { type: 'string' } } });
      await up({ ...(values.tenants ? { tenantsPath: values.tenants } : {}) });
      return -1;
    }
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { exit: { type: 'boolean', default: false } } });
      return demo({ exit: values.exit ?? false });
    }
    case 'validate': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          tenants: { type: 'string' },
          tenant: { type: 'string' },
          json: { type: 'boolean', default: false },
        },
      });
      if (positionals.length !== 1) {
        console.error(USAGE);
        return 2;
      }
      return validate({
        dir: positionals[0] as string,
        json: values.json ?? false,
        ...(values.tenants ? { tenantsPath: values.tenants } : {}),
        ...(values.tenant ? { tenantId: values.tenant } : {}),
      });
    }
    case 'retry': {
      const { values } = parseArgs({
        args: rest,
        options: {
          tenant: { type: 'string' },
          file: { type: 'string' },
          state: { type: 'string' },
          reason: { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
        },
      });
      if (!values.tenant) return usageError('retry needs --tenant');
      if (values.state !== undefined && !(RETRYABLE_STATES as readonly string[]).includes(values.state))
        return usageError(`--state ${values.state}: expected ${RETRYABLE_STATES.join(' or ')}`);
      return retry({
        tenant: values.tenant,
        dryRun: values['dry-run'] ?? false,
        ...(values.file ? { file: values.file } : {}),
        ...(values.state ? { state: values.state as RetryableState } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
    }
    case undefined:
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

function usageError(message: string): number {
  console.error(`ingest: ${message}\n${USAGE}`);
  return 2;
}

/** A mistyped flag is the caller's mistake: one line and the usage, never a stack trace. */
function isArgumentError(error: unknown): boolean {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS_');
}

try {
  const code = await main(process.argv.slice(2)).catch((error: unknown) => {
    if (isArgumentError(error)) return usageError((error as Error).message);
    throw error;
  });
  // -1: long-running; signals end the process.
  if (code >= 0) process.exit(code);
} catch (error) {
  exitOnStartupError('ingest', error);
}
