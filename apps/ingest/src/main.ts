// The `ingest` command line: `up`, `demo`, `validate`, `retry` (CONTRACT.md "Set-up and commands").
// Each command's arguments are declared in cli.ts; a command's code is loaded only when it runs,
// so `--help` and `validate` never load the services.
import { exitOnStartupError, handleCommandLine, USAGE_EXIT_CODE } from '@callintake/runtime';
import { COMMANDS, isCommandName, topLevelUsage } from './cli';
import type { RetryableState } from './retry';

/** Exit code, or -1 for a long-running command that signals end. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const about = rest[0];
    if (command === 'help' && about !== undefined && isCommandName(about)) return main([about, '--help']);
    console.log(topLevelUsage());
    return 0;
  }
  if (!isCommandName(command)) {
    const known = Object.keys(COMMANDS).join(', ');
    console.error(
      command.startsWith('-')
        ? `ingest: unknown option '${command}' before a command (commands: ${known}; ingest --help for usage)`
        : `ingest: unknown command '${command}' (commands: ${known}; ingest --help for usage)`,
    );
    return USAGE_EXIT_CODE;
  }
  switch (command) {
    case 'up': {
      const args = handleCommandLine(COMMANDS.up, rest);
      if ('exitCode' in args) return args.exitCode;
      const { up } = await import('./up');
      await up({ ...(args.values.tenants ? { tenantsPath: args.values.tenants } : {}) });
      return -1;
    }
    case 'demo': {
      const args = handleCommandLine(COMMANDS.demo, rest);
      if ('exitCode' in args) return args.exitCode;
      const { demo } = await import('./demo');
      return demo({ exit: args.values.exit ?? false });
    }
    case 'validate': {
      const args = handleCommandLine(COMMANDS.validate, rest);
      if ('exitCode' in args) return args.exitCode;
      const { validate } = await import('./validate');
      return validate({
        dir: args.positionals[0] as string,
        json: args.values.json ?? false,
        ...(args.values.tenants ? { tenantsPath: args.values.tenants } : {}),
        ...(args.values.tenant ? { tenantId: args.values.tenant } : {}),
      });
    }
    case 'retry': {
      const args = handleCommandLine(COMMANDS.retry, rest);
      if ('exitCode' in args) return args.exitCode;
      const { retry } = await import('./retry');
      const { tenant, file, state, reason } = args.values;
      return retry({
        tenant: tenant as string, // required: checked by handleCommandLine
        dryRun: args.values['dry-run'] ?? false,
        ...(file ? { file } : {}),
        ...(state ? { state: state as RetryableState } : {}),
        ...(reason ? { reason } : {}),
      });
    }
  }
}

try {
  const code = await main(process.argv.slice(2));
  // -1: long-running; signals end the process.
  if (code >= 0) process.exit(code);
} catch (error) {
  exitOnStartupError('ingest', error);
}
