// Every command line we ship answers `--help`/`-h` with its usage (exit 0) and a mistake with one
// line on stderr (exit 2), never a stack trace: `ingest` and its commands, and each service's
// own binary (apps/*/src/main.ts through runServiceMain).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WORKSPACE_ROOT } from '@callintake/testing';

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[]): Promise<Outcome> {
  return new Promise((resolveRun, reject) => {
    // No Redis and no tenants: a command that started its work would fail differently.
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' };
    delete env.INGEST_TENANTS;
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: WORKSPACE_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}

const INGEST = join(WORKSPACE_ROOT, 'apps/ingest/src/main.ts');
const ingest = (...args: string[]) => run(INGEST, args);
const COMMANDS = ['up', 'demo', 'validate', 'retry'];
const SERVICES = readdirSync(join(WORKSPACE_ROOT, 'apps')).filter((app) => app !== 'ingest');

/** One line on stderr, naming the problem and where the usage is; no stack trace. */
function assertUsageError(outcome: Outcome, pattern: RegExp): void {
  assert.equal(outcome.status, 2, outcome.stdout + outcome.stderr);
  assert.equal(outcome.stdout, '');
  const lines = outcome.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, outcome.stderr);
  assert.match(lines[0] as string, pattern);
  assert.doesNotMatch(outcome.stderr, /\n\s+at |ERR_PARSE_ARGS/);
}

describe('ingest command line', () => {
  it('--help, -h, help and no command print every command and exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const outcome = await ingest(...args);
      assert.equal(outcome.status, 0, outcome.stderr);
      for (const command of COMMANDS)
        assert.match(outcome.stdout, new RegExp(`^  ingest ${command}\\b`, 'm'));
      assert.equal(outcome.stderr, '');
    }
  });

  it('each command answers --help and -h with its usage and exits 0, doing nothing else', async () => {
    const outcomes = await Promise.all(
      COMMANDS.flatMap((command) => [
        ingest(command, '--help').then((o) => ({ command, o })),
        ingest(command, '-h').then((o) => ({ command, o })),
        // Help wins over other arguments, right or wrong.
        ingest(command, '--no-such-flag', '--help').then((o) => ({ command, o })),
      ]),
    );
    for (const { command, o } of outcomes) {
      assert.equal(o.status, 0, `${command}: ${o.stdout}${o.stderr}`);
      assert.match(o.stdout, new RegExp(`^usage: ingest ${command}\\b`));
      assert.match(o.stdout, /-h, --help +show this help and exit/);
      assert.equal(o.stderr, '');
    }
    const validate = outcomes.find((x) => x.command === 'validate')?.o.stdout ?? '';
    assert.match(validate, /usage: ingest validate DIR \[--tenants FILE\] \[--tenant ID\] \[--json\]/);
    assert.match(validate, /--tenants FILE +the tenants file/);
    const retry = outcomes.find((x) => x.command === 'retry')?.o.stdout ?? '';
    assert.match(retry, /--state failed\|rejected/);
  });

  it('an unknown flag, command or argument is one line on stderr and exit 2', async () => {
    const [flag, command, topFlag, missing, extra, required, choice, value] = await Promise.all([
      ingest('up', '--bogus'),
      ingest('frobnicate'),
      ingest('--bogus'),
      ingest('validate'),
      ingest('validate', 'a', 'b'),
      ingest('retry'),
      ingest('retry', '--tenant', 'acme', '--state', 'pending'),
      ingest('validate', 'dir', '--tenants'),
    ]);
    assertUsageError(flag, /^ingest up: unknown option '--bogus' \(ingest up --help for usage\)$/);
    assertUsageError(command, /^ingest: unknown command 'frobnicate' \(commands: up, demo, validate, retry;/);
    assertUsageError(topFlag, /^ingest: unknown option '--bogus'/);
    assertUsageError(missing, /^ingest validate: missing DIR/);
    assertUsageError(extra, /^ingest validate: unexpected argument 'b'/);
    assertUsageError(required, /^ingest retry: --tenant is required/);
    assertUsageError(choice, /^ingest retry: --state pending: expected failed or rejected/);
    assertUsageError(value, /^ingest validate: .*--tenants/);
  });
});

describe('service binaries', () => {
  it('there is a binary for each service', () => {
    assert.deepEqual([...SERVICES].sort(), [
      'crm-ingester',
      'intake-watcher',
      'matcher',
      'media-prober',
      'metadata-parser',
      'retention',
      'status-api',
    ]);
  });

  for (const service of SERVICES) {
    it(`${service}: --help and -h print its usage and exit 0; an unknown flag exits 2`, async () => {
      const script = join(WORKSPACE_ROOT, 'apps', service, 'src', 'main.ts');
      const [help, short, bogus] = await Promise.all([
        run(script, ['--help']),
        run(script, ['-h']),
        run(script, ['--bogus']),
      ]);
      for (const outcome of [help, short]) {
        assert.equal(outcome.status, 0, outcome.stdout + outcome.stderr);
        assert.match(outcome.stdout, new RegExp(`^usage: ${service}\\n`));
        assert.match(outcome.stdout, /^ {2}REDIS_URL +Redis for queues and state/m);
        // Its own variables too: the status API's port and tokens.
        if (service === 'status-api')
          assert.match(outcome.stdout, /^ {2}STATUS_API_TOKENS +comma-separated/m);
        else assert.doesNotMatch(outcome.stdout, /STATUS_PORT/);
        assert.equal(outcome.stderr, '');
      }
      assertUsageError(
        bogus,
        new RegExp(`^${service}: unknown option '--bogus' \\(${service} --help for usage\\)$`),
      );
    });
  }
});
