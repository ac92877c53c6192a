// The `ingest` commands' arguments, declared once: main.ts parses with these, and `--help` and
// the top-level usage are generated from them (CONTRACT.md "Set-up and commands").
import { usageLine, type CommandSpec } from '@callintake/runtime';
import type { RetryableState } from './retry';

// retry.ts's RETRYABLE_STATES, repeated so `--help` loads no Redis or state code; the type keeps
// the two in step.
const RETRYABLE_STATES = ['failed', 'rejected'] as const satisfies readonly RetryableState[];

const TENANTS_NOTE = 'INGEST_TENANTS names the tenants file when --tenants is not given.';
const REDIS_NOTE =
  'Redis: REDIS_URL (default redis://127.0.0.1:6379); when it is unset and nothing answers there, a private redis-server from PATH is started and stopped at exit.';

export const COMMANDS = {
  up: {
    name: 'ingest up',
    summary: 'Runs every service in one process, for one machine, until SIGTERM or SIGINT.',
    options: {
      tenants: { type: 'string', value: 'FILE', description: 'the tenants file (YAML or JSON)' },
    },
    notes: [TENANTS_NOTE, REDIS_NOTE],
  },
  demo: {
    name: 'ingest demo',
    summary:
      'Makes a sample tenant (recordings, metadata, CRM CSVs, a junk file), runs every service, waits until every call is ready and prints a summary and the status API address.',
    options: {
      exit: {
        type: 'boolean',
        description: 'end once done: exit 0 when every expected call is ready, else 1',
      },
    },
    notes: ['Demo files go to ./.demo (DEMO_DIR changes that).', REDIS_NOTE],
  },
  validate: {
    name: 'ingest validate',
    summary:
      'Offline check of a folder of files as our intake would judge them, with the predicted pairing of metadata and recordings; exit 1 if any file would be rejected.',
    positionals: [
      {
        name: 'DIR',
        description: 'the folder to judge: an upload area (a folder holding data/) or its data/ folder',
      },
    ],
    options: {
      tenants: { type: 'string', value: 'FILE', description: 'the tenants file whose mapping to judge with' },
      tenant: {
        type: 'string',
        value: 'ID',
        description: 'which tenant of FILE (needed when it has several)',
      },
      json: { type: 'boolean', description: 'the report as JSON on stdout' },
    },
    notes: [
      "Without --tenants (or INGEST_TENANTS), metadata is judged with the integration guide's example mapping: datetime -> callTime (ISO 8601), email -> userId, filename -> recordingFile, direction -> direction; every other field passes through under its own name.",
      'No Redis is needed and nothing is moved.',
    ],
  },
  retry: {
    name: 'ingest retry',
    summary:
      'Another go for failed or rejected files after a fix (new job ids); idempotent. Needs the Redis the services use.',
    options: {
      tenant: { type: 'string', value: 'T', required: true, description: 'the tenant' },
      file: { type: 'string', value: 'NAME', description: 'only this file' },
      state: { type: 'string', choices: RETRYABLE_STATES, description: 'only files in this state' },
      reason: {
        type: 'string',
        value: 'CODE',
        description: 'only files rejected or failed with this reason code',
      },
      'dry-run': { type: 'boolean', description: 'list what would be retried, change nothing' },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** `ingest --help`: every command's usage line and summary. */
export function topLevelUsage(): string {
  const lines = ['usage: ingest <command> [options]   (ingest <command> --help for its options)', ''];
  for (const spec of Object.values(COMMANDS)) lines.push(`  ${usageLine(spec)}`, `      ${spec.summary}`);
  return lines.join('\n');
}
