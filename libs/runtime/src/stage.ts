// What a service is, to the runtime: a stage definition (which queues it consumes, its handlers,
// what it starts besides workers) that the stage's own lib exports. The runtime knows no stage:
// each app composes exactly one definition, so its bundle holds only what it runs, and `ingest
// up` composes them all. gen-k8s and check-k8s read the same definitions: the service → queue
// list exists once.
import type { EnvSpec } from '@callintake/config';
import type { Logger } from '@callintake/telemetry';
import {
  startWorker,
  type JobFailureHook,
  type QueueHandlers,
  type QueueName,
  type RunningWorker,
} from '@callintake/queues';
import type { Runtime } from './runtime';
import { DEFAULT_SHUTDOWN_DEADLINE_MS, settleBy, shutdownDeadline, type ShutdownDeadline } from './shutdown';

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

/** What every handler may use; each handler's own `*Deps` interface names the part it uses. */
export type StageDeps = Pick<Runtime, 'state' | 'producer' | 'tenant' | 'uploadArea' | 'archive'>;

/** Handlers for each consumed queue, typed by the queue's job names. */
export type StageHandlers<Q extends QueueName> = { [K in Q]: QueueHandlers<K> };

/** Something a stage starts beside its workers, stopped before them. */
export interface StageExtra {
  /** For an HTTP service: the address it listens on. */
  address?: string;
  stop(): void | Promise<void>;
}

export interface StageDefinition<Q extends QueueName = QueueName> {
  name: ServiceName;
  /** One line for `--help`, docs and manifests. */
  description: string;
  /** One worker each; an SRE scales the service on these queues' depth. */
  consumes: readonly Q[];
  /** Autoscaling bounds on queue depth (KEDA); an HTTP or singleton service keeps min = max. */
  replicas: { min: number; max: number };
  handlers(deps: StageDeps): StageHandlers<Q>;
  /** Records each failed attempt where people look (a file stage: the version's state). */
  onJobFailure?(deps: StageDeps): JobFailureHook;
  /**
   * Runs once the workers are up: schedules, watchers, an HTTP server. `env` is the process
   * environment (or the test's), for settings only this stage reads.
   */
  onStart?(runtime: Runtime, env: NodeJS.ProcessEnv): Promise<StageExtra | void>;
  /** The variables only this stage reads (in `onStart`), listed by its `--help` beside the common ones. */
  env?: EnvSpec;
}

/** Any one stage: a list of stages holds each with its own queues (handlers are not covariant). */
export type AnyStageDefinition = { [Q in QueueName]: StageDefinition<Q> }[QueueName] | StageDefinition<never>;

/** Checks a definition's handlers against its queues' job names. */
export function defineStage<Q extends QueueName>(definition: StageDefinition<Q>): StageDefinition<Q> {
  return definition;
}

export interface StopOptions {
  /**
   * Epoch ms until which active jobs may finish (default: SHUTDOWN_DEADLINE_MS from now). Stop
   * returns by then; jobs still running are left to stall recovery.
   */
  deadlineAt?: number;
}

export interface RunningService {
  name: ServiceName;
  /** For the status API: the address it listens on. */
  address?: string;
  workers: RunningWorker[];
  /** Stops what the stage started beside its workers, then the workers, all by the deadline. */
  stop(options?: StopOptions): Promise<void>;
}

export async function startStage(
  stage: AnyStageDefinition,
  runtime: Runtime,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<RunningService> {
  // defineStage checked each queue's handlers against its job names; the union of stages
  // cannot say that queue and handlers belong together, so one view serves them all here.
  const definition = stage as unknown as StageDefinition<QueueName>;
  const handlers = definition.handlers(runtime);
  const onFailure = definition.onJobFailure?.(runtime);
  const workers = definition.consumes.map((queue) =>
    startWorker({
      queue,
      handlers: handlers[queue] as QueueHandlers<typeof queue>,
      ...(onFailure ? { onFailure } : {}),
      connection: runtime.redis,
      prefix: runtime.queuePrefix(queue),
      logger: runtime.logger,
      concurrency: runtime.env.WORKER_CONCURRENCY,
      shutdownDeadlineMs: runtime.env.SHUTDOWN_DEADLINE_MS,
      lockDurationMs: runtime.env.JOB_LOCK_MS,
      attempts: runtime.env.JOB_ATTEMPTS,
    }),
  );
  let extra: StageExtra | void;
  try {
    extra = await definition.onStart?.(runtime, options.env ?? process.env);
  } catch (error) {
    await Promise.all(workers.map((running) => running.close()));
    throw error;
  }
  return {
    name: definition.name,
    ...(extra?.address ? { address: extra.address } : {}),
    workers,
    async stop(options = {}) {
      const deadlineAt = options.deadlineAt ?? Date.now() + runtime.env.SHUTDOWN_DEADLINE_MS;
      if (extra) {
        const stopped = await settleBy(
          Promise.resolve().then(() => extra.stop()),
          deadlineAt,
        );
        if (stopped.outcome === 'timeout')
          runtime.logger.warn({ service: definition.name }, 'did not stop by the shutdown deadline');
        else if (stopped.outcome === 'error')
          runtime.logger.warn({ service: definition.name, err: stopped.error }, 'error while stopping');
      }
      await Promise.all(workers.map((running) => running.close({ deadlineAt })));
    },
  };
}

/**
 * Stops services on SIGTERM/SIGINT, then closes the runtime; a second signal exits at once.
 * With `deadlineMs` (SHUTDOWN_DEADLINE_MS), `stop` gets the shutdown's deadlines and the process
 * exits by `exitBy` whatever is left, naming the jobs still running.
 */
export function stopOnSignals(
  stop: (deadline: ShutdownDeadline) => Promise<void>,
  logger: Logger,
  options: { deadlineMs?: number; activeJobs?: () => string[] } = {},
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    const deadline = shutdownDeadline(options.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS);
    logger.info({ signal, deadlineMs: options.deadlineMs }, 'stopping: letting active jobs finish');
    if (options.deadlineMs !== undefined) {
      // The last resort: whatever still hangs (a store, Redis, a trace export) is abandoned.
      setTimeout(
        () => {
          logger.error(
            { leftActive: options.activeJobs?.() ?? [] },
            'not stopped by the shutdown deadline: exiting now; jobs still running are left for another worker',
          );
          process.exit(1);
        },
        Math.max(0, deadline.exitBy - Date.now()),
      );
    }
    stop(deadline)
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
