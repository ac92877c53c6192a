// Every service in one process, for one machine (`ingest up`, `demo`).
import { randomBytes } from 'node:crypto';
import { startTraceExport } from '@callintake/telemetry';
import {
  flushBudgetMs,
  Runtime,
  SERVICE_NAMES,
  type RunningService,
  type RuntimeOptions,
} from '@callintake/runtime';
import { startService } from '@callintake/services';

export interface AllServices {
  runtime: Runtime;
  services: RunningService[];
  statusAddress?: string;
  stop(): Promise<void>;
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
    await traces.shutdown(flushBudgetMs(Date.now()));
    throw error;
  }
  const statusAddress = services.find((service) => service.address)?.address;
  return {
    runtime,
    services,
    ...(statusAddress ? { statusAddress } : {}),
    async stop() {
      const deadline = Date.now() + runtime.env.SHUTDOWN_DEADLINE_MS;
      // The API first, so nothing new arrives while workers drain.
      for (const service of [...services].reverse()) await service.stop();
      await runtime.close();
      await traces.shutdown(flushBudgetMs(deadline));
    },
  };
}

export function randomToken(): string {
  return randomBytes(18).toString('base64url');
}
