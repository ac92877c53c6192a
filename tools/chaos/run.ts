// `npm run chaos [-- --pairs N] [--seed S] [--drop-seconds S] [--drain-timeout S] [--kills N]
// [--sigterms N] [--fsync always|everysec] [--redis single|cluster] [--json FILE]`: the chaos suite (engine in
// e2e/support/chaos.ts). Prints progress on stderr, then the figures as a table and one JSON
// line on stdout; exits 1 unless nothing was lost, duplicated or left stuck. Ctrl-C stops the
// run and removes everything it started.
import { writeFile } from 'node:fs/promises';
import { chaosPassed, formatReport, reportJson, runChaos, type ChaosOptions } from '../../e2e/support/chaos';

const USAGE =
  'usage: npm run chaos -- [--pairs N] [--seed S] [--drop-seconds S] [--drain-timeout S] [--kills N] [--sigterms N] [--fsync always|everysec] [--redis single|cluster] [--json FILE]';

function parseArgs(argv: string[]): { options: ChaosOptions; jsonFile?: string } {
  const options: ChaosOptions = {};
  let jsonFile: string | undefined;
  const number = (flag: string, raw: string | undefined): number => {
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < 0) {
      console.error(`${flag} needs a number\n${USAGE}`);
      process.exit(2);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    i += 1;
    switch (flag) {
      case '--pairs':
        options.pairs = number(flag, value);
        break;
      case '--seed':
        options.seed = number(flag, value);
        break;
      case '--drop-seconds':
        options.dropMs = number(flag, value) * 1000;
        break;
      case '--drain-timeout':
        options.drainTimeoutMs = number(flag, value) * 1000;
        break;
      case '--kills':
        options.kills = number(flag, value);
        break;
      case '--sigterms':
        options.sigterms = number(flag, value);
        break;
      case '--fsync':
        if (value !== 'always' && value !== 'everysec') {
          console.error(`--fsync is always or everysec\n${USAGE}`);
          process.exit(2);
        }
        options.appendfsync = value;
        break;
      case '--redis':
        if (value !== 'single' && value !== 'cluster') {
          console.error(`--redis is single or cluster\n${USAGE}`);
          process.exit(2);
        }
        options.redis = value;
        break;
      case '--json':
        jsonFile = value;
        break;
      default:
        console.error(`unknown argument ${flag}\n${USAGE}`);
        process.exit(2);
    }
  }
  return { options, ...(jsonFile ? { jsonFile } : {}) };
}

const { options, jsonFile } = parseArgs(process.argv.slice(2));
const abort = new AbortController();
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) {
    console.error(`chaos: ${signal} again, exiting now (the exit hook kills what is left)`);
    process.exit(130);
  }
  interrupted = true;
  console.error(`chaos: ${signal}: stopping and cleaning up (again to exit at once)`);
  abort.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  const report = await runChaos({
    ...options,
    signal: abort.signal,
    log: (line) => console.error(line),
  });
  console.log(formatReport(report));
  const json = reportJson(report);
  console.log(json);
  if (jsonFile) await writeFile(jsonFile, `${json}\n`);
  process.exit(chaosPassed(report) ? 0 : 1);
} catch (error) {
  if (interrupted) {
    console.error('chaos: interrupted; everything it started is stopped and removed');
    process.exit(130);
  }
  console.error('chaos: the run could not complete:', error);
  process.exit(1);
}
