// The status API process's own health for /metrics, under the names Prometheus's Node.js client
// uses (process_*, nodejs_*) so stock dashboards read them: event-loop lag, heap, RSS, CPU and
// garbage collection. Hand-rolled from perf_hooks and process, so no metrics library is needed.
// `ingest up` runs every stage in one process: there these describe that whole process.
import {
  constants,
  monitorEventLoopDelay,
  PerformanceObserver,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Family } from '../metrics';

/** Upper bounds (seconds) of the GC pause buckets (prom-client's); +Inf is implied. */
export const GC_BUCKETS_SECONDS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

interface GcHistogram {
  buckets: number[];
  sumSeconds: number;
  count: number;
}

export class ProcessMetrics {
  private readonly lag = monitorEventLoopDelay({ resolution: 10 });
  private readonly gc = new Map<string, GcHistogram>();
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.recordGc(entry);
  });
  private started = false;

  start(): void {
    if (this.started) return;
    this.started = true;
    this.lag.enable();
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.lag.disable();
    this.observer.disconnect();
  }

  private recordGc(entry: PerformanceEntry): void {
    // Node 16+ puts the GC kind in `detail`, which @types/node's PerformanceEntry lacks.
    const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
    const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other';
    const seconds = entry.duration / 1000;
    let histogram = this.gc.get(kind);
    if (!histogram) {
      histogram = { buckets: GC_BUCKETS_SECONDS.map(() => 0), sumSeconds: 0, count: 0 };
      this.gc.set(kind, histogram);
    }
    GC_BUCKETS_SECONDS.forEach((bound, index) => {
      if (seconds <= bound) (histogram.buckets[index] as number) += 1;
    });
    histogram.sumSeconds += seconds;
    histogram.count += 1;
  }

  /** The families as Prometheus text lines; the event-loop lag covers the time since the last call. */
  families(): Family[] {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const heap = getHeapStatistics();
    const gauge = (name: string, help: string, value: number) => {
      const family = new Family(name, 'gauge', help);
      family.sample(name, {}, value);
      return family;
    };
    const counter = (name: string, help: string, value: number) => {
      const family = new Family(name, 'counter', help);
      family.sample(name, {}, value);
      return family;
    };
    // The histogram's figures are nanoseconds; without a sample yet they are NaN or huge.
    const lagSeconds = (nanoseconds: number) =>
      this.lag.count > 0 && Number.isFinite(nanoseconds) ? Number((nanoseconds / 1e9).toFixed(6)) : 0;
    const families = [
      gauge(
        'process_start_time_seconds',
        'When the process started (Unix time).',
        Math.round(Date.now() / 1000 - process.uptime()),
      ),
      counter(
        'process_cpu_user_seconds_total',
        'CPU time spent in user code.',
        Number((cpu.user / 1e6).toFixed(6)),
      ),
      counter(
        'process_cpu_system_seconds_total',
        'CPU time spent in the kernel.',
        Number((cpu.system / 1e6).toFixed(6)),
      ),
      gauge('process_resident_memory_bytes', 'Resident set size (RSS).', memory.rss),
      gauge('nodejs_heap_size_used_bytes', 'V8 heap in use.', memory.heapUsed),
      gauge('nodejs_heap_size_total_bytes', 'V8 heap allocated.', memory.heapTotal),
      gauge(
        'nodejs_heap_size_limit_bytes',
        'The most heap V8 will allocate before failing.',
        heap.heap_size_limit,
      ),
      gauge(
        'nodejs_external_memory_bytes',
        'Memory of C++ objects bound to JavaScript objects (buffers).',
        memory.external,
      ),
      gauge(
        'nodejs_eventloop_lag_mean_seconds',
        'Mean event-loop delay since the previous scrape.',
        lagSeconds(this.lag.mean),
      ),
      gauge(
        'nodejs_eventloop_lag_p99_seconds',
        '99th percentile of the event-loop delay since the previous scrape.',
        lagSeconds(this.lag.percentile(99)),
      ),
      gauge(
        'nodejs_eventloop_lag_max_seconds',
        'Longest event-loop delay since the previous scrape.',
        lagSeconds(this.lag.max),
      ),
    ];
    this.lag.reset();

    const name = 'nodejs_gc_duration_seconds';
    const gc = new Family(
      name,
      'histogram',
      'Garbage collection pauses by kind (minor, major, incremental, weakcb).',
    );
    for (const [kind, histogram] of [...this.gc].sort(([a], [b]) => a.localeCompare(b))) {
      GC_BUCKETS_SECONDS.forEach((bound, index) =>
        gc.sample(`${name}_bucket`, { kind, le: String(bound) }, histogram.buckets[index] ?? 0),
      );
      gc.sample(`${name}_bucket`, { kind, le: '+Inf' }, histogram.count);
      gc.sample(`${name}_sum`, { kind }, Number(histogram.sumSeconds.toFixed(6)));
      gc.sample(`${name}_count`, { kind }, histogram.count);
    }
    return [...families, gc];
  }
}
