// What a benchmark module exports and what the harness gives it: `run.ts` discovers
// `tools/bench/*.bench.ts`, runs each in its own process through `one.ts`, and prints the tables
// each returns. Figures are only printed, never asserted: every table carries its baseline,
// measured in the same run on the same machine.

/** How a figure prints: 'ms', 'bytes', 'count', or any other label (files/s) after a plain number. */
export type Unit = string;

export interface BenchRow {
  metric: string;
  unit: Unit;
  ours: number | null;
  /** One figure per baseline the table names; null where it does not apply. */
  baselines: Array<number | null>;
}

export interface BenchTable {
  /** What "ours" is in this table. */
  title: string;
  /** Short labels of the baselines, in the order of each row's `baselines`. */
  baselines: string[];
  rows: BenchRow[];
}

export interface BenchResult {
  tables: BenchTable[];
  /** Setup facts and caveats worth reading next to the figures. */
  notes?: string[];
  /**
   * The headline figures under stable names, for `--json`: run.ts writes each as
   * `<benchmark>.<name>` in results.json's `figures` (README "Benchmarks" lists them). Null
   * where a run could not measure it.
   */
  figures?: Record<string, number | null>;
}

export interface Measured<T> {
  value: T;
  ms: number;
  /** Highest `process.memoryUsage().rss` sampled every 10 ms while it ran. */
  peakRssBytes: number;
  /**
   * Highest JS memory in use (heap plus Buffers and other external memory) while it ran, minus
   * what was in use when it began, after a GC. RSS seldom shrinks once grown, so in a process
   * that measures several parts this is the figure that says what each part itself held.
   */
  memoryGrowthBytes: number;
}

export interface BenchContext {
  redisUrl: string;
  /** This benchmark's own REDIS_NAMESPACE; the harness removes its keys afterwards. */
  namespace: string;
  /** A fresh folder the harness removes afterwards. */
  tempDir(label: string): Promise<string>;
  /** Progress lines (setup steps), printed while the benchmark runs. */
  log(message: string): void;
  /** Times `work`, sampling RSS every 10 ms; collects garbage first so parts start alike. */
  measure<T>(work: () => Promise<T>): Promise<Measured<T>>;
}

export interface Benchmark {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

const RSS_SAMPLE_MS = 10;

export async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  globalThis.gc?.();
  const start = process.memoryUsage();
  let peakRssBytes = start.rss;
  const inUse = (usage: NodeJS.MemoryUsage) => usage.heapUsed + usage.external;
  let peakInUseBytes = inUse(start);
  const sample = () => {
    const usage = process.memoryUsage();
    if (usage.rss > peakRssBytes) peakRssBytes = usage.rss;
    if (inUse(usage) > peakInUseBytes) peakInUseBytes = inUse(usage);
  };
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  const started = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - started;
    sample();
    return { value, ms, peakRssBytes, memoryGrowthBytes: peakInUseBytes - inUse(start) };
  } finally {
    clearInterval(sampler);
  }
}

/** Nearest-rank percentile of numbers (need not be sorted); NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  });
  await Promise.all(runners);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- printing ----

export function formatValue(value: number | null, unit: Unit): string {
  if (value === null || Number.isNaN(value)) return '–';
  switch (unit) {
    case 'ms':
      if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
      if (value >= 100) return `${value.toFixed(0)} ms`;
      if (value >= 10) return `${value.toFixed(1)} ms`;
      return `${value.toFixed(2)} ms`;
    case 'bytes': {
      const units = ['B', 'KiB', 'MiB', 'GiB'];
      let scaled = value;
      let index = 0;
      while (scaled >= 1024 && index < units.length - 1) {
        scaled /= 1024;
        index++;
      }
      return index === 0 ? `${Math.round(scaled)} B` : `${scaled.toFixed(1)} ${units[index]}`;
    }
    case 'count':
      return formatNumber(value);
    default:
      return `${formatNumber(value)} ${unit}`;
  }
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** ours ÷ baseline: below 1 means ours is the smaller figure. */
export function formatRatio(ours: number | null, baseline: number | null): string {
  if (ours === null || baseline === null || !Number.isFinite(ours) || !Number.isFinite(baseline)) return '–';
  if (baseline === 0) return ours === 0 ? '1.00×' : '–';
  const ratio = ours / baseline;
  if (Math.abs(ratio) >= 100) return `${Math.round(ratio).toLocaleString('en-US')}×`;
  if (Math.abs(ratio) >= 10) return `${ratio.toFixed(1)}×`;
  if (Math.abs(ratio) >= 0.01 || ratio === 0) return `${ratio.toFixed(2)}×`;
  return `${ratio.toPrecision(2)}×`;
}

/** A table as aligned text: metric, ours, then each baseline and ours ÷ it. */
export function formatTable(table: BenchTable, indent = '  '): string[] {
  const header = ['metric', 'ours'];
  for (const label of table.baselines) header.push(label, 'ratio');
  const body = table.rows.map((row) => {
    const cells = [row.metric, formatValue(row.ours, row.unit)];
    table.baselines.forEach((_, index) => {
      const baseline = row.baselines[index] ?? null;
      cells.push(formatValue(baseline, row.unit), formatRatio(row.ours, baseline));
    });
    return cells;
  });
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...body.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('   ')
      .trimEnd();
  return [
    `${indent}${table.title}`,
    `${indent}  ${line(header)}`,
    ...body.map((cells) => `${indent}  ${line(cells)}`),
  ];
}
