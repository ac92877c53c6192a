// Runs one benchmark module in this process, so its RSS is its own, and writes its result as
// JSON for run.ts (to BENCH_RESULT_FILE, or stdout when run by hand):
//   node --import tsx --expose-gc tools/bench/one.ts tools/bench/scan.bench.ts
// run.ts passes REDIS_URL, BENCH_NAMESPACE and BENCH_WORK_DIR, and cleans both up again after
// this process ends, so a crashed or killed benchmark leaves nothing behind either.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeNamespace, uniqueNamespace } from '@callintake/testing';
import { measure, type BenchContext, type Benchmark, type BenchResult } from './harness';

export interface OneResult {
  file: string;
  name: string;
  description: string;
  /** The whole benchmark, setup and cleanup included. */
  wallMs: number;
  /** The process's peak RSS (setup included), from the OS. */
  maxRssBytes: number;
  result: BenchResult;
}

function isBenchmark(value: unknown): value is Benchmark {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate['name'] === 'string' &&
    typeof candidate['description'] === 'string' &&
    typeof candidate['run'] === 'function'
  );
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx --expose-gc tools/bench/one.ts <file.bench.ts>');
  process.exit(2);
}
if (typeof globalThis.gc !== 'function')
  console.error('one.ts: run with --expose-gc, or measured parts will not start from a collected heap');

const redisUrl = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const namespace = process.env['BENCH_NAMESPACE'] || uniqueNamespace(`bench-${basename(file, '.bench.ts')}`);
const workDir = process.env['BENCH_WORK_DIR'] || (await mkdtemp(join(tmpdir(), 'callintake-bench-')));

const loaded = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
if (!isBenchmark(loaded.default)) {
  console.error(`${file}: the default export must be { name, description, run(ctx) }`);
  process.exit(2);
}
const bench = loaded.default;

let tempDirs = 0;
const ctx: BenchContext = {
  redisUrl,
  namespace,
  async tempDir(label) {
    tempDirs += 1;
    const path = join(workDir, `${label}-${tempDirs}`);
    await mkdir(path, { recursive: true });
    return path;
  },
  log(message) {
    process.stderr.write(`    · ${message}\n`);
  },
  measure,
};

const started = performance.now();
let exitCode = 0;
try {
  const result = await bench.run(ctx);
  const output: OneResult = {
    file: relative(process.cwd(), resolve(file)),
    name: bench.name,
    description: bench.description,
    wallMs: performance.now() - started,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    result,
  };
  const json = JSON.stringify(output);
  if (process.env['BENCH_RESULT_FILE']) await writeFile(process.env['BENCH_RESULT_FILE'], json);
  else console.log(json);
} catch (error) {
  console.error(`${bench.name}: failed:`, error);
  exitCode = 1;
} finally {
  await removeNamespace(namespace, redisUrl).catch((error: unknown) =>
    console.error(`${bench.name}: could not remove Redis namespace ${namespace}:`, error),
  );
  await rm(workDir, { recursive: true, force: true });
}
// A benchmark that left a handle open must not hang the whole run.
process.exit(exitCode);
