// Each service is a queue consumer (or the HTTP API) wired to its handlers. Apps start one;
// `ingest up` starts them all in one process.
import { parseApiTokens } from '@callintake/config';
import { handleIngestCrmBatch } from '@callintake/crm-ingester';
import { handleScanSource, requestScan, scheduleScans, watchLocalSources } from '@callintake/intake-watcher';
import { handleMatchMetadata, handleMatchRecording } from '@callintake/matcher';
import { handleProbeRecording } from '@callintake/media-prober';
import { handleParseMetadata } from '@callintake/metadata-parser';
import {
  jobId,
  JobProducer,
  startWorker,
  type QueueHandlers,
  type QueueName,
  type RunningWorker,
} from '@callintake/queues';
import { handleSweepTenant } from '@callintake/retention';
import { StateStore } from '@callintake/state';
import { buildStatusApi } from '@callintake/status-api';
import { ConfigError, loadEnv, statusApiEnv } from '@callintake/config';
import { startTraceExport } from '@callintake/telemetry';
import { startHealthServer } from './health';
import { RedisUnavailableError } from './redis-bootstrap';
import { Runtime } from './runtime';

export const SERVICE_NAMES = [
  'intake-watcher',
  'media-prober',
  'metadata-parser',
  'crm-ingester',
  'matcher',
  'retention',
  'status-api',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface RunningService {
  name: ServiceName;
  /** For the status API: the address it listens on. */
  address?: string;
  workers: RunningWorker[];
  stop(): Promise<void>;
}

const RETENTION_SWEEP_MS = 60 * 60_000;

function worker<Q extends QueueName>(runtime: Runtime, queue: Q, handlers: QueueHandlers<Q>): RunningWorker {
  return startWorker({
    queue,
    handlers,
    connection: runtime.redis,
    prefix: runtime.prefix,
    logger: runtime.logger,
    concurrency: runtime.env.WORKER_CONCURRENCY,
    shutdownDeadlineMs: runtime.env.SHUTDOWN_DEADLINE_MS,
  });
}

function workerService(name: ServiceName, workers: RunningWorker[], extraStop?: () => void): RunningService {
  return {
    name,
    workers,
    async stop() {
      extraStop?.();
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

export async function startService(
  name: ServiceName,
  runtime: Runtime,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<RunningService> {
  const deps = {
    state: runtime.state,
    producer: runtime.producer,
    tenant: runtime.tenant,
    uploadArea: runtime.uploadArea,
    archive: runtime.archive,
  };
  const tenants = [...runtime.tenants.values()];
  switch (name) {
    case 'intake-watcher': {
      const running = worker(runtime, 'intake-scan', {
        'scan-source': async (payload, context) => {
          await handleScanSource(deps, payload, context);
        },
      });
      await scheduleScans(runtime.producer, tenants);
      for (const tenant of tenants) await requestScan(runtime.producer, tenant, 0, runtime.state.clock.now());
      const unwatch = watchLocalSources(tenants, runtime.producer, runtime.state.clock, runtime.logger);
      return workerService(name, [running], unwatch);
    }
    case 'media-prober':
      return workerService(name, [
        worker(runtime, 'media-probe', {
          'probe-recording': (payload, context) => handleProbeRecording(deps, payload, context),
        }),
      ]);
    case 'metadata-parser':
      return workerService(name, [
        worker(runtime, 'metadata-parse', {
          'parse-metadata': (payload, context) => handleParseMetadata(deps, payload, context),
        }),
      ]);
    case 'crm-ingester':
      return workerService(name, [
        worker(runtime, 'crm-ingest', {
          'ingest-crm-batch': (payload, context) => handleIngestCrmBatch(deps, payload, context),
        }),
      ]);
    case 'matcher':
      return workerService(name, [
        worker(runtime, 'call-match', {
          'match-recording': (payload, context) => handleMatchRecording(deps, payload, context),
          'match-metadata': (payload, context) => handleMatchMetadata(deps, payload, context),
        }),
      ]);
    case 'retention': {
      const running = worker(runtime, 'retention', {
        'sweep-tenant': async (payload, context) => {
          await handleSweepTenant(deps, payload, context);
        },
      });
      for (const tenant of tenants) {
        await runtime.producer.schedule(
          jobId('sweep', tenant.id),
          'sweep-tenant',
          { tenantId: tenant.id },
          RETENTION_SWEEP_MS,
        );
      }
      return workerService(name, [running]);
    }
    case 'status-api': {
      const env = loadEnv(statusApiEnv, options.env ?? process.env);
      if (!env.STATUS_API_TOKENS)
        runtime.logger.warn('STATUS_API_TOKENS is empty: every /v1 request will be refused with 401');
      // Request paths fail fast while Redis is away instead of hanging.
      const producer = new JobProducer(runtime.producerRedis, runtime.prefix);
      const app = buildStatusApi({
        state: new StateStore(runtime.producerRedis, runtime.state.keys.namespace, runtime.state.clock),
        producer,
        tokens: parseApiTokens(env.STATUS_API_TOKENS),
        tenants: runtime.tenants,
      });
      const address = await app.listen({ port: env.STATUS_PORT, host: env.STATUS_HOST });
      return {
        name,
        address,
        workers: [],
        async stop() {
          await app.close();
          await producer.close();
        },
      };
    }
  }
}

/** Stops services on SIGTERM/SIGINT, then closes the runtime; a second signal exits at once. */
export function stopOnSignals(stop: () => Promise<void>, logger: Runtime['logger']): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping: letting active jobs finish');
    stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** An app's whole main(): configuration, one service, graceful stop. */
export async function runServiceMain(name: ServiceName): Promise<void> {
  try {
    const runtime = await Runtime.create({ service: name });
    const traces = await startTraceExport({ serviceName: name, logger: runtime.logger });
    const service = await startService(name, runtime);
    const health =
      runtime.env.HEALTH_PORT && service.workers.length
        ? await startHealthServer(runtime, service.workers, { port: runtime.env.HEALTH_PORT })
        : undefined;
    runtime.logger.info({ tenants: [...runtime.tenants.keys()], address: service.address }, 'started');
    stopOnSignals(async () => {
      const deadline = Date.now() + runtime.env.SHUTDOWN_DEADLINE_MS;
      health?.close();
      await service.stop();
      await runtime.close();
      // Last, so the spans of the jobs that just finished go out too.
      await traces.shutdown(flushBudgetMs(deadline));
    }, runtime.logger);
  } catch (error) {
    exitOnStartupError(name, error);
  }
}

/**
 * What is left of the shutdown deadline for the last trace export, but at least a moment: the
 * pod's grace period (40 s) leaves room beyond the job deadline (25 s).
 */
export function flushBudgetMs(deadline: number): number {
  return Math.max(deadline - Date.now(), 2_000);
}

/** Configuration mistakes and a missing Redis print as what to do, not as a stack trace. */
export function exitOnStartupError(name: string, error: unknown): never {
  if (error instanceof ConfigError || error instanceof RedisUnavailableError)
    console.error(`${name}: ${error.message}`);
  else console.error(`${name}: failed to start:`, error);
  process.exit(1);
}
