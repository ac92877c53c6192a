// The `ingest` command line: `up`, `demo`, `validate` (CONTRACT.md "Set-up and commands").
import { parseArgs } from 'node:util';
import { exitOnStartupError } from '@callintake/runtime';
import { demo } from './demo';
import { up } from './up';
import { validate } from './validate';

const USAGE = `usage:
  ingest up [--tenants FILE]                         every service in one process
  ingest demo [--exit]                               sample tenant end to end
  ingest validate DIR [--tenants FILE --tenant ID] [--json]
                                                     offline check of files as intake would judge them`;

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
    case undefined:
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

try {
  const code = await main(process.argv.slice(2));
  // -1: long-running; signals end the process.
  if (code >= 0) process.exit(code);
} catch (error) {
  exitOnStartupError('ingest', error);
}
