// The status-api service: the HTTP API of CONTRACT.md. It consumes no queue; it reads state and
// queue counts over a fail-fast connection, so requests error instead of hanging while Redis is away.
import { loadEnv, parseApiTokens, statusApiEnv } from '@callintake/config';
import { JobProducer } from '@callintake/queues';
import { defineStage } from '@callintake/runtime';
import { StateStore } from '@callintake/state';
import { buildStatusApi } from './app';

export const statusApiStage = defineStage({
  name: 'status-api',
  description: 'the status API (fastify): calls, files, CRM objects, queues, health and metrics',
  consumes: [],
  replicas: { min: 1, max: 1 },
  handlers: () => ({}),
  env: statusApiEnv,
  async onStart(runtime, processEnv) {
    const env = loadEnv(statusApiEnv, processEnv);
    if (!env.STATUS_API_TOKENS)
      runtime.logger.warn('STATUS_API_TOKENS is empty: every /v1 request will be refused with 401');
    const producer = new JobProducer(runtime.producerRedis, runtime.queuePrefix, runtime.retryPolicy);
    const app = buildStatusApi({
      state: new StateStore(runtime.producerRedis, runtime.state.keys.namespace, runtime.state.clock),
      producer,
      tokens: parseApiTokens(env.STATUS_API_TOKENS),
      tenants: runtime.tenants,
      accessLog: runtime.logger.child({ component: 'access-log' }),
    });
    const address = await app.listen({ port: env.STATUS_PORT, host: env.STATUS_HOST });
    return {
      address,
      async stop() {
        await app.close();
        await producer.close();
      },
    };
  },
});
