// The command-line helper every binary uses: parsing, help and one-line mistakes from one
// declaration per command.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandUsage, handleCommandLine, parseCommand, usageLine, type CommandSpec } from './command-line';
import { serviceCommand } from './service-main';

const spec = {
  name: 'tool check',
  summary: 'Checks a folder.',
  positionals: [{ name: 'DIR', description: 'the folder' }],
  options: {
    tenants: { type: 'string', value: 'FILE', description: 'the tenants file' },
    mode: { type: 'string', choices: ['fast', 'slow'], required: true, description: 'how' },
    json: { type: 'boolean', short: 'j', description: 'JSON out' },
  },
  notes: ['A note.'],
} as const satisfies CommandSpec;

function captured(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const result = handleCommandLine(spec, args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { result, out: out.join('\n'), err: err.join('\n') };
}

describe('command line', () => {
  it('parses what the spec declares', () => {
    const parsed = parseCommand(spec, ['here', '--mode', 'fast', '-j', '--tenants=t.yaml']);
    assert.deepEqual(parsed, {
      kind: 'run',
      values: { mode: 'fast', json: true, tenants: 't.yaml' },
      positionals: ['here'],
    });
  });

  it('--help or -h anywhere before -- asks for help, even beside mistakes', () => {
    for (const args of [['--help'], ['-h'], ['--bogus', '-h'], ['x', 'y', '--help']])
      assert.deepEqual(parseCommand(spec, args), { kind: 'help' });
    // After `--`, `-h` is an argument: here, the folder.
    assert.deepEqual(parseCommand(spec, ['--mode', 'fast', '--', '-h']), {
      kind: 'run',
      values: { mode: 'fast' },
      positionals: ['-h'],
    });
  });

  it('names each mistake in one line', () => {
    const message = (args: string[]) => {
      const parsed = parseCommand(spec, args);
      assert.equal(parsed.kind, 'usage-error', JSON.stringify(parsed));
      return (parsed as { message: string }).message;
    };
    assert.equal(message(['d', '--mode', 'fast', '--bogus']), "unknown option '--bogus'");
    assert.equal(message(['d', '--mode', 'fast', '-x']), "unknown option '-x'");
    assert.equal(message(['--mode', 'fast']), 'missing DIR');
    assert.equal(message(['d', 'e', '--mode', 'fast']), "unexpected argument 'e'");
    assert.equal(message(['d']), '--mode is required');
    assert.equal(message(['d', '--mode', 'medium']), '--mode medium: expected fast or slow');
    assert.match(message(['d', '--mode']), /--mode/);
    for (const args of [
      ['d', '--mode'],
      ['d', '--json=yes', '--mode', 'fast'],
    ])
      assert.doesNotMatch(message(args), /\n/);
  });

  it('generates the usage from the declaration', () => {
    assert.equal(usageLine(spec), 'tool check DIR [--tenants FILE] --mode fast|slow [--json]');
    const usage = commandUsage(spec);
    assert.match(
      usage,
      /^usage: tool check DIR \[--tenants FILE\] --mode fast\|slow \[--json\]\n\nChecks a folder\.\n/,
    );
    assert.match(usage, /^ {2}--tenants FILE +the tenants file$/m);
    assert.match(usage, /^ {2}--mode fast\|slow +how \(required\)$/m);
    assert.match(usage, /^ {2}-j, --json +JSON out$/m);
    assert.match(usage, /^ {2}-h, --help +show this help and exit$/m);
    assert.match(usage, /\n\nA note\.$/);
  });

  it('prints help to stdout (exit 0) and a mistake as one stderr line (exit 2)', () => {
    const help = captured(['-h']);
    assert.deepEqual(help.result, { exitCode: 0 });
    assert.match(help.out, /^usage: tool check/);
    assert.equal(help.err, '');
    const wrong = captured(['--what']);
    assert.deepEqual(wrong.result, { exitCode: 2 });
    assert.equal(wrong.out, '');
    assert.equal(wrong.err, "tool check: unknown option '--what' (tool check --help for usage)");
    assert.equal(captured(['d', '--mode', 'slow']).result.hasOwnProperty('exitCode'), false);
  });

  it('a service takes no arguments and lists its environment in --help', () => {
    const service = serviceCommand({ name: 'matcher', description: 'pairs recordings with metadata' });
    assert.match(
      commandUsage(service),
      /^usage: matcher\n\npairs recordings with metadata\. Takes no arguments/,
    );
    assert.match(commandUsage(service), /^ {2}REDIS_URL +Redis for queues and state/m);
    assert.match(commandUsage(service), /^ {2}INGEST_TENANTS +path of the tenants file/m);
    assert.deepEqual(parseCommand(service, []), { kind: 'run', values: {}, positionals: [] });
    assert.equal(parseCommand(service, ['--tenants', 'x']).kind, 'usage-error');
    assert.equal(parseCommand(service, ['extra']).kind, 'usage-error');
  });
});
