// Command-line arguments for our binaries (`ingest <command>`, each service's main). A command
// declares its arguments and options once; parsing, `--help`/`-h` and the usage text all come
// from that declaration, so they cannot drift apart. A mistake is one line and exit 2, never a
// stack trace.
import { parseArgs } from 'node:util';

export interface CommandOption {
  type: 'string' | 'boolean';
  /** A one-letter alias, without the dash. */
  short?: string;
  /** What a string option's value is, in the usage: `--tenants FILE`. */
  value?: string;
  /** Refused when absent. */
  required?: boolean;
  /** A string option's only accepted values. */
  choices?: readonly string[];
  description: string;
}

export interface CommandSpec {
  /** As typed, e.g. `ingest validate`. */
  name: string;
  /** What it does, in one line. */
  summary: string;
  /** Positional arguments, every one required, in order. */
  positionals?: ReadonlyArray<{ name: string; description: string }>;
  options: Readonly<Record<string, CommandOption>>;
  /** Lines after the options (environment, examples). */
  notes?: readonly string[];
}

export type OptionValues<O extends Readonly<Record<string, CommandOption>>> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string;
};

export type ParsedCommand<O extends Readonly<Record<string, CommandOption>>> =
  | { kind: 'run'; values: OptionValues<O>; positionals: string[] }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

/** Exit code for a command line we could not understand (as in most Unix tools). */
export const USAGE_EXIT_CODE = 2;

const HELP_FLAGS = new Set(['--help', '-h']);

/** True when `args` asks for help (before a `--` that ends the options). */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (HELP_FLAGS.has(arg)) return true;
  }
  return false;
}

/**
 * Reads `args` as `spec` declares them. `--help` or `-h` anywhere wins over every other
 * mistake, so a user who got the rest wrong still gets the usage.
 */
export function parseCommand<S extends CommandSpec>(
  spec: S,
  args: readonly string[],
): ParsedCommand<S['options']> {
  if (asksForHelp(args)) return { kind: 'help' };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: Object.fromEntries(
        Object.entries(spec.options).map(([name, option]) => [
          name,
          { type: option.type, ...(option.short ? { short: option.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    return { kind: 'usage-error', message: argumentErrorMessage(error) };
  }
  const expected = spec.positionals ?? [];
  if (parsed.positionals.length < expected.length) {
    const missing = expected.slice(parsed.positionals.length).map((p) => p.name);
    return { kind: 'usage-error', message: `missing ${missing.join(' ')}` };
  }
  if (parsed.positionals.length > expected.length) {
    const extra = parsed.positionals[expected.length] as string;
    return { kind: 'usage-error', message: `unexpected argument '${extra}'` };
  }
  for (const [name, option] of Object.entries(spec.options)) {
    const value = parsed.values[name];
    if (option.required && value === undefined)
      return { kind: 'usage-error', message: `--${name} is required` };
    if (option.choices && typeof value === 'string' && !option.choices.includes(value))
      return {
        kind: 'usage-error',
        message: `--${name} ${value}: expected ${option.choices.join(' or ')}`,
      };
  }
  // parseArgs's values have no prototype; callers get a plain object.
  return {
    kind: 'run',
    values: { ...parsed.values } as OptionValues<S['options']>,
    positionals: parsed.positionals,
  };
}

/** node:util's parseArgs errors, as one line; anything else is a bug and is thrown on. */
function argumentErrorMessage(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (!code.startsWith('ERR_PARSE_ARGS_')) throw error;
  const message = (error as Error).message;
  const quoted = /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted ?? message}'`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted ?? message}'`;
    default:
      // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: a value missing, or given to a flag.
      return message.split('\n')[0] as string;
  }
}

/** The usage line: `ingest validate DIR [--tenants FILE] [--json]`. */
export function usageLine(spec: CommandSpec): string {
  const parts = [spec.name, ...(spec.positionals ?? []).map((p) => p.name)];
  for (const [name, option] of Object.entries(spec.options)) {
    const flag = `--${name}${option.type === 'string' ? ` ${optionValue(option)}` : ''}`;
    parts.push(option.required ? flag : `[${flag}]`);
  }
  return parts.join(' ');
}

/** The whole `--help` text. */
export function commandUsage(spec: CommandSpec): string {
  const rows: Array<[string, string]> = [
    ...(spec.positionals ?? []).map((p): [string, string] => [p.name, p.description]),
    ...Object.entries(spec.options).map(([name, option]): [string, string] => [
      `${option.short ? `-${option.short}, ` : ''}--${name}${option.type === 'string' ? ` ${optionValue(option)}` : ''}`,
      option.description + (option.required ? ' (required)' : ''),
    ]),
    ['-h, --help', 'show this help and exit'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = [`usage: ${usageLine(spec)}`, '', spec.summary, ''];
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(width)}${right}`);
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n');
}

/** `--name VALUE`'s VALUE: declared, or the choices, or the option's name in capitals. */
function optionValue(option: CommandOption): string {
  return option.value ?? option.choices?.join('|') ?? 'VALUE';
}

/**
 * What a binary does before its work: prints the usage (exit 0) for `--help`/`-h`, or one line
 * naming the mistake (exit 2). Undefined when the command line is good; then `run` gets it.
 */
export function handleCommandLine<S extends CommandSpec>(
  spec: S,
  args: readonly string[],
  io: { out(text: string): void; err(text: string): void } = {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  },
): { exitCode: number } | Extract<ParsedCommand<S['options']>, { kind: 'run' }> {
  const parsed = parseCommand(spec, args);
  switch (parsed.kind) {
    case 'help':
      io.out(commandUsage(spec));
      return { exitCode: 0 };
    case 'usage-error':
      io.err(`${spec.name}: ${parsed.message} (${spec.name} --help for usage)`);
      return { exitCode: USAGE_EXIT_CODE };
    case 'run':
      return parsed;
  }
}
