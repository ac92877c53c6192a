// An app's whole main(): configuration, its one stage, health endpoints, graceful stop.
import { commonEnv, ConfigError, type EnvSpec } from '@callintake/config';
import { startTraceExport } from '@callintake/telemetry';
import { handleCommandLine, type CommandSpec } from './command-line';
import { startHealthServer } from './health';
import { RedisUnavailableError } from './redis-bootstrap';
import { Runtime } from './runtime';
import { startStage, stopOnSignals, type AnyStageDefinition } from './stage';
import { StartupCheckError } from './startup-checks';

/** An app's whole main(): configuration, one service, graceful stop. */
export async function runServiceMain(definition: AnyStageDefinition): Promise<void> {
  const name = definition.name;
  const commandLine = handleCommandLine(serviceCommand(definition), process.argv.slice(2));
  if ('exitCode' in commandLine) process.exit(commandLine.exitCode);
  try {
    const runtime = await Runtime.create({ service: name });
    const traces = await startTraceExport({ serviceName: name, logger: runtime.logger });
    const service = await startStage(definition, runtime);
    const health =
      runtime.env.HEALTH_PORT && service.workers.length
        ? await startHealthServer(runtime, service.workers, { port: runtime.env.HEALTH_PORT })
        : undefined;
    runtime.logger.info({ tenants: [...runtime.tenants.keys()], address: service.address }, 'started');
    stopOnSignals(
      async (deadline) => {
        health?.close();
        await service.stop({ deadlineAt: deadline.jobsBy });
        await runtime.close({ by: deadline.closeBy });
        // Last, so the spans of the jobs that just finished go out too.
        await traces.shutdown(flushBudgetMs(deadline.exitBy));
      },
      runtime.logger,
      {
        deadlineMs: runtime.env.SHUTDOWN_DEADLINE_MS,
        activeJobs: () => service.workers.flatMap((worker) => worker.activeJobs()),
      },
    );
  } catch (error) {
    exitOnStartupError(name, error);
  }
}

/**
 * A service binary's command line: no arguments, only `--help`; it is configured by the
 * environment (CONTRACT.md "Environment"), which the usage lists.
 */
export function serviceCommand(
  definition: Pick<AnyStageDefinition, 'name' | 'description'> & { env?: EnvSpec | undefined },
): CommandSpec {
  return {
    name: definition.name,
    summary: `${definition.description}. Takes no arguments; configured by the environment.`,
    options: {},
    notes: [
      'environment (README "Configuration" lists every variable):',
      ...environmentLines({ ...commonEnv, ...definition.env }),
    ],
  };
}

function environmentLines(spec: EnvSpec): string[] {
  const width = Math.max(...Object.keys(spec).map((name) => name.length)) + 2;
  return Object.entries(spec).map(([name, variable]) => {
    const shown =
      variable.default === undefined || variable.default === ''
        ? ''
        : ` (default ${String(variable.default)})`;
    return `  ${name.padEnd(width)}${variable.description}${shown}`;
  });
}

/**
 * What is left until the process must exit (ShutdownDeadline.exitBy) for the last trace export,
 * less a moment to exit in.
 */
export function flushBudgetMs(exitBy: number): number {
  return Math.max(exitBy - Date.now() - 50, 1);
}

/** Configuration mistakes and a missing Redis print as what to do, not as a stack trace. */
export function exitOnStartupError(name: string, error: unknown): never {
  if (
    error instanceof ConfigError ||
    error instanceof RedisUnavailableError ||
    error instanceof StartupCheckError
  )
    console.error(`${name}: ${error.message}`);
  else console.error(`${name}: failed to start:`, error);
  process.exit(1);
}
