// Every service in one process, for one machine (`ingest up`, `demo`).
import { randomBytes } from 'node:crypto';
import { startTraceExport } from '@callintake/telemetry';
import {
  flushBudgetMs,
  Runtime,
  SERVICE_NAMES,
  shutdownDeadline,
  type RunningService,
  type RuntimeOptions,
  type ShutdownDeadline,
} from '@callintake/runtime';
import { startService } from '@callintake/services';

export interface AllServices {
  runtime: Runtime;
  services: RunningService[];
  statusAddress?: string;
  /** Jobs running now, in every service. */
  activeJobs(): string[];
  /** Stops every service, then the runtime and trace export, within `deadline` (default: from now). */
  stop(deadline?: ShutdownDeadline): Promise<void>;
}

export async function startAllServices(options: RuntimeOptions): Promise<AllServices> {
  const runtime = await Runtime.create(options);
  // One trace provider for the process, whose spans are every service's (service.name ingest).
  const traces = await startTraceExport({ serviceName: 'ingest', logger: runtime.logger });
  const services: RunningService[] = [];
  try {
    for (const name of SERVICE_NAMES)
      services.push(await startService(name, runtime, { ...(options.env ? { env: options.env } : {}) }));
  } catch (error) {
    await Promise.all(services.map((service) => service.stop()));
    await runtime.close();
    await traces.shutdown(2_000);
    throw error;
  }
  const statusAddress = services.find((service) => service.address)?.address;
  return {
    runtime,
    services,
    ...(statusAddress ? { statusAddress } : {}),
    activeJobs: () => services.flatMap((service) => service.workers.flatMap((worker) => worker.activeJobs())),
    async stop(deadline = shutdownDeadline(runtime.env.SHUTDOWN_DEADLINE_MS)) {
      // What takes requests first (the API), so nothing new arrives while workers drain; then
      // every worker at once, all against one deadline.
      const [front, workers] = [
        services.filter((service) => service.workers.length === 0),
        services.filter((service) => service.workers.length > 0),
      ];
      await Promise.all(front.map((service) => service.stop({ deadlineAt: deadline.jobsBy })));
      await Promise.all(workers.map((service) => service.stop({ deadlineAt: deadline.jobsBy })));
      await runtime.close({ by: deadline.closeBy });
      await traces.shutdown(flushBudgetMs(deadline.exitBy));
    },
  };
}

export function randomToken(): string {
  return randomBytes(18).toString('base64url');
}
