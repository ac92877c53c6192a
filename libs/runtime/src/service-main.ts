// An app's whole main(): configuration, its one stage, health endpoints, graceful stop.
import { ConfigError } from '@callintake/config';
import { startTraceExport } from '@callintake/telemetry';
import { startHealthServer } from './health';
import { RedisUnavailableError } from './redis-bootstrap';
import { Runtime } from './runtime';
import { startStage, stopOnSignals, type AnyStageDefinition } from './stage';

/** An app's whole main(): configuration, one service, graceful stop. */
export async function runServiceMain(definition: AnyStageDefinition): Promise<void> {
  const name = definition.name;
  try {
    const runtime = await Runtime.create({ service: name });
    const traces = await startTraceExport({ serviceName: name, logger: runtime.logger });
    const service = await startStage(definition, runtime);
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
