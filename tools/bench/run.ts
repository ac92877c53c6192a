// `npm run bench [-- <substring>...] [--json]`: every tools/bench/*.bench.ts, one at a time, each
// in its own process (so peak RSS is per benchmark), each printed as small tables of ours next
// to a baseline measured in the same run. Figures are printed, never asserted.
// Redis: REDIS_URL, else 127.0.0.1:6379 when it answers, else a private redis-server from PATH.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, platform, arch, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { ensureRedis, type RedisEndpoint } from '@callintake/runtime';
import { removeNamespace, uniqueNamespace } from '@callintake/testing';
import { formatTable, formatValue } from './harness';
import type { OneResult } from './one';

const WORKSPACE_ROOT = join(import.meta.dirname, '..', '..');
const BENCH_DIR = import.meta.dirname;
const RESULTS_JSON = join(WORKSPACE_ROOT, 'dist', 'bench', 'results.json');
/** A safety net only: each benchmark bounds itself well below this. */
const BENCH_TIMEOUT_MS = Number(process.env['BENCH_TIMEOUT_MS'] ?? 6 * 60_000);

const USAGE = 'usage: npm run bench [-- <substring>...] [--json]';

interface Failed {
  file: string;
  error: string;
}

function parseArgs(argv: string[]): { filters: string[]; json: boolean } {
  const filters: string[] = [];
  let json = false;
  for (const arg of argv) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-')) {
      console.error(`unknown option ${arg}\n${USAGE}`);
      process.exit(2);
    } else filters.push(arg);
  }
  return { filters, json };
}

async function discover(filters: string[]): Promise<string[]> {
  const files = (await readdir(BENCH_DIR)).filter((name) => name.endsWith('.bench.ts')).sort();
  const chosen = files.filter(
    (name) => filters.length === 0 || filters.some((filter) => name.includes(filter)),
  );
  if (chosen.length === 0) {
    console.error(`no benchmark matches ${filters.join(', ')}; there are: ${files.join(', ')}`);
    process.exit(2);
  }
  return chosen.map((name) => join(BENCH_DIR, name));
}

async function redisVersion(url: string): Promise<string> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  } finally {
    client.disconnect();
  }
}

/** Where Redis came from, without ever printing a URL (it may hold a password). */
function redisOrigin(redis: RedisEndpoint): string {
  if (process.env['REDIS_URL']) return 'from REDIS_URL';
  if (redis.stop) return `private redis-server on port ${new URL(redis.url).port}`;
  return new URL(redis.url).host;
}

interface Environment {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  redis: string;
  date: string;
}

async function describeEnvironment(redis: RedisEndpoint): Promise<Environment> {
  const cores = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    redis: `redis ${await redisVersion(redis.url)} (${redisOrigin(redis)})`,
    date: new Date().toISOString(),
  };
}

/** The benchmark process running now, so Ctrl-C can stop it and still clean up after it. */
let running: ChildProcess | undefined;
let interrupted = false;

/** Runs one benchmark in its own process; its namespace and folder are removed whatever happens. */
async function runOne(file: string, redisUrl: string): Promise<OneResult | Failed> {
  const label = relative(WORKSPACE_ROOT, file);
  const base = file.slice(BENCH_DIR.length + 1, -'.bench.ts'.length);
  const namespace = uniqueNamespace(`bench-${base}`);
  const workDir = await mkdtemp(join(tmpdir(), `callintake-bench-${base}-`));
  const resultDir = await mkdtemp(join(tmpdir(), `callintake-bench-result-`));
  const resultFile = join(resultDir, 'result.json');
  try {
    const child = spawn(
      process.execPath,
      // The heap setting the services run with (docker/Dockerfile): ours and its baseline share it.
      ['--max-semi-space-size=32', '--import', 'tsx', '--expose-gc', join(BENCH_DIR, 'one.ts'), file],
      {
        cwd: WORKSPACE_ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          REDIS_URL: redisUrl,
          BENCH_NAMESPACE: namespace,
          BENCH_WORK_DIR: workDir,
          BENCH_RESULT_FILE: resultFile,
        },
      },
    );
    running = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, BENCH_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) =>
      child.on('exit', (exitCode) => resolve(exitCode)),
    );
    clearTimeout(timer);
    running = undefined;
    if (interrupted) return { file: label, error: 'interrupted' };
    if (timedOut) return { file: label, error: `killed after ${BENCH_TIMEOUT_MS / 1000} s` };
    if (code !== 0) return { file: label, error: `exited with code ${code}` };
    return JSON.parse(await readFile(resultFile, 'utf8')) as OneResult;
  } finally {
    await removeNamespace(namespace, redisUrl).catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
    await rm(resultDir, { recursive: true, force: true });
  }
}

function printResult(outcome: OneResult | Failed): void {
  if ('error' in outcome) {
    console.log(`  FAILED: ${outcome.error}`);
    return;
  }
  console.log(`  ${outcome.description}`);
  for (const table of outcome.result.tables) {
    console.log('');
    for (const line of formatTable(table)) console.log(line);
  }
  console.log('');
  for (const note of outcome.result.notes ?? []) console.log(`  note: ${note}`);
  console.log(
    `  whole benchmark: ${formatValue(outcome.wallMs, 'ms')} wall (setup included), process max RSS ${formatValue(outcome.maxRssBytes, 'bytes')}`,
  );
}

const { filters, json } = parseArgs(process.argv.slice(2));
const files = await discover(filters);
const redis = await ensureRedis();
// Ctrl-C: stop the running benchmark, let its cleanup and the private Redis's stop run, then end.
process.on('SIGINT', () => {
  interrupted = true;
  running?.kill('SIGTERM');
});

const outcomes: Array<OneResult | Failed> = [];
let environment: Environment;
try {
  environment = await describeEnvironment(redis);
  console.log(
    `bench: node ${environment.node} · ${environment.platform} · ${environment.cpus} cpus (${environment.cpuModel}) · ${formatValue(environment.memoryBytes, 'bytes')} RAM · ${environment.redis} · ${environment.date}`,
  );
  console.log('ratio = ours ÷ baseline (below 1: ours is the smaller figure)');
  for (const file of files) {
    if (interrupted) break;
    console.log(
      `\n── ${relative(WORKSPACE_ROOT, file)} ${'─'.repeat(Math.max(3, 60 - relative(WORKSPACE_ROOT, file).length))}`,
    );
    const outcome = await runOne(file, redis.url);
    outcomes.push(outcome);
    printResult(outcome);
  }
} finally {
  await redis.stop?.();
}

if (json) {
  await mkdir(dirname(RESULTS_JSON), { recursive: true });
  // The headline figures of every benchmark that ran, flat under stable keys (`e2e.burstRatio`).
  const figures: Record<string, number | null> = {};
  for (const outcome of outcomes) {
    if ('error' in outcome) continue;
    for (const [key, value] of Object.entries(outcome.result.figures ?? {}))
      figures[`${outcome.name}.${key}`] = value !== null && Number.isFinite(value) ? value : null;
  }
  await writeFile(RESULTS_JSON, `${JSON.stringify({ environment, figures, results: outcomes }, null, 2)}\n`);
  console.log(`\nwrote ${relative(WORKSPACE_ROOT, RESULTS_JSON)}`);
}
process.exit(interrupted ? 130 : outcomes.some((outcome) => 'error' in outcome) ? 1 : 0);
