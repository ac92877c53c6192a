// Trace export at the real seam: each service runs as its own process with the standard
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP receiver here, which parses the JSON
// the bundled exporter sends. One dropped WAV + JSON pair must come out as one trace per file
// across the intake-watcher, media-prober, metadata-parser and matcher processes, each with its
// own service.name; and a consumer of calls-ready must get the call document as job data, with
// the trace context in the job options continuing the matcher's span. The batch delay is longer
// than the test, so spans reach the receiver only through the flush on SIGTERM.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { encodeWav } from '@callintake/media';
import { bullPrefix, traceCarrierOf } from '@callintake/queues';
import { freePort } from '@callintake/runtime';
import type { Call } from '@callintake/schemas';
import {
  removeNamespace,
  tempDir,
  TEST_REDIS_URL,
  uniqueNamespace,
  waitFor,
  type ServiceProcess,
  testRedisEnv,
  writeLocalTenantsFile,
  TEST_METADATA_FIELDS,
  startServices,
  statusApiReady,
} from '@callintake/testing';

const TRACED = ['intake-watcher', 'media-prober', 'metadata-parser', 'matcher'];
const SERVICES = [...TRACED, 'status-api'];
const STEM = '20210511-175959_outbound_1234';
const RECORDING = `${STEM}.wav`;
const METADATA = `${STEM}.json`;
const namespace = uniqueNamespace('otlp');
const token = 'otlp-token';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpAttribute[];
  links?: Array<{ traceId: string; spanId: string }>;
}
interface OtlpRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}
interface ExportedSpan {
  service: string | undefined;
  resource: Record<string, string>;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, string>;
}

function flat(attributes: OtlpAttribute[] = []): Record<string, string> {
  return Object.fromEntries(
    attributes.map((a) => [a.key, String(a.value.stringValue ?? a.value.intValue ?? '')]),
  );
}

const exported: ExportedSpan[] = [];
const contentTypes = new Set<string>();
let receiver: Server;
let receiverUrl: string;
let dir: Awaited<ReturnType<typeof tempDir>>;
let processes: ServiceProcess[] = [];
let baseUrl: string;

before(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      contentTypes.add(String(request.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest;
      for (const resourceSpans of body.resourceSpans) {
        const resource = flat(resourceSpans.resource.attributes);
        for (const scope of resourceSpans.scopeSpans)
          for (const span of scope.spans)
            exported.push({
              service: resource['service.name'],
              resource,
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              attributes: flat(span.attributes),
            });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  assert.ok(address && typeof address === 'object');
  receiverUrl = `http://127.0.0.1:${address.port}`;

  dir = await tempDir('otlp');
  const tenantsFile = await writeLocalTenantsFile(dir.path, {
    settleSeconds: 0.2,
    metadata: { fields: TEST_METADATA_FIELDS },
  });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...testRedisEnv(),
    REDIS_NAMESPACE: namespace,
    INGEST_TENANTS: tenantsFile,
    STATUS_PORT: String(port),
    STATUS_HOST: '127.0.0.1',
    STATUS_API_TOKENS: `${token}:acme`,
    LOG_LEVEL: 'warn',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=otlp-test',
    // Longer than the test: what arrives was flushed on SIGTERM.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  };
  processes = await startServices(SERVICES, env, {
    what: 'status API ready',
    check: statusApiReady(baseUrl),
    timeoutMs: 30_000,
  });
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await new Promise((resolve) => receiver?.close(resolve));
  await removeNamespace(namespace);
  await dir?.remove();
});

function traceparentOf(carrier: Record<string, string> | undefined): { traceId: string; spanId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(carrier?.['traceparent'] ?? '');
  assert.ok(match, `a W3C traceparent in the job options: ${JSON.stringify(carrier)}`);
  return { traceId: match[1] as string, spanId: match[2] as string };
}

describe('trace export over OTLP/HTTP', () => {
  it('exports one trace per file across the service processes, continued on calls-ready', async () => {
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const consumed: Array<Job<Call>> = [];
    // A downstream consumer, as a customer would write one.
    const consumer = new Worker<Call>('calls-ready', async (job) => void consumed.push(job), {
      connection,
      prefix: bullPrefix({ namespace }),
    });
    let job: Job<Call>;
    let call: Call;
    try {
      const data = join(dir.path, 'upload', 'data');
      await writeFile(
        join(data, METADATA),
        JSON.stringify({ datetime: '2021-05-11T21:59:59Z', email: 'rep@example.com', direction: 'outbound' }),
      );
      await writeFile(join(data, RECORDING), encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1 }));
      job = await waitFor(async () => consumed.find((j) => j.id === `acme/${STEM}`), {
        what: 'the call consumed from calls-ready',
        timeoutMs: 30_000,
      }).catch((error: unknown) => {
        throw new Error(
          `${(error as Error).message}\n${processes.map((p) => `--- ${p.name}\n${p.output()}`).join('\n')}`,
        );
      });
      const response = await fetch(`${baseUrl}/v1/tenants/acme/calls/${STEM}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      call = (await response.json()) as Call;
    } finally {
      await consumer.close();
      await connection.quit();
    }
    assert.equal(call.status, 'ready');
    assert.deepEqual(job.data, call, 'job data is the call document the status API serves');
    const carried = traceparentOf(traceCarrierOf(job));

    // SIGTERM: each service drains, then flushes its spans; every one exits cleanly.
    const codes = await Promise.all(processes.map((p) => p.stop()));
    assert.deepEqual(
      codes,
      SERVICES.map(() => 0),
      processes.map((p) => `${p.name}: ${p.output()}`).join('\n'),
    );

    assert.deepEqual([...contentTypes], ['application/json']);
    const services = new Set(exported.map((span) => span.service));
    for (const name of TRACED) assert.ok(services.has(name), `${name} exported spans under its service.name`);
    for (const span of exported)
      assert.equal(
        span.resource['deployment.environment'],
        'otlp-test',
        'OTEL_RESOURCE_ATTRIBUTES is honored',
      );

    const stages = new Map([
      [RECORDING, ['intake-watcher', 'media-prober', 'matcher']],
      [METADATA, ['intake-watcher', 'metadata-parser', 'matcher']],
    ]);
    const traceOf = new Map<string, string>();
    for (const [file, expected] of stages) {
      const spans = exported.filter((span) =>
        (span.attributes['callintake.file'] ?? span.attributes['messaging.message.id'] ?? '').includes(file),
      );
      assert.deepEqual(
        [...new Set(spans.map((span) => span.service))].sort(),
        [...expected].sort(),
        `${file}: ${JSON.stringify(spans.map((s) => [s.service, s.name]))}`,
      );
      assert.deepEqual(
        spans.map((span) => `${span.service}: ${span.name}`).sort(),
        [
          'intake-watcher: intake take-file',
          file === RECORDING
            ? 'media-prober: media-probe probe-recording'
            : 'metadata-parser: metadata-parse parse-metadata',
          file === RECORDING ? 'matcher: call-match match-recording' : 'matcher: call-match match-metadata',
        ].sort(),
      );
      const traceIds = new Set(spans.map((span) => span.traceId));
      assert.equal(traceIds.size, 1, `${file}'s spans share one trace id across processes`);
      const take = spans.find((span) => span.name === 'intake take-file') as ExportedSpan;
      assert.equal(take.parentSpanId, undefined, `${file}'s trace starts when it is taken`);
      for (const span of spans.filter((s) => s !== take))
        assert.ok(
          spans.some((parent) => parent.spanId === span.parentSpanId),
          `${span.service}: ${span.name} continues a span of ${file}'s trace`,
        );
      traceOf.set(file, take.traceId);
    }
    assert.notEqual(traceOf.get(RECORDING), traceOf.get(METADATA), 'two files, two traces');

    // The calls-ready job continues the matcher span that made the call ready.
    const enqueuer = exported.find((span) => span.spanId === carried.spanId);
    assert.ok(enqueuer, 'the span that enqueued calls-ready was exported');
    assert.equal(enqueuer.service, 'matcher');
    assert.match(enqueuer.name, /^call-match match-(recording|metadata)$/);
    assert.equal(enqueuer.traceId, carried.traceId);
  });
});
