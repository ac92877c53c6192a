// The walking skeleton across real process boundaries: each service runs as its own process
// (as on Kubernetes), over real Redis, and a WAV + JSON pair dropped into a local tenant's
// data/ becomes a ready call on the status API and on `calls-ready`.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { encodeWav } from '@callintake/media';
import { workerConnection, queuePrefix } from '@callintake/queues';
import { freePort } from '@callintake/runtime';
import type { Call } from '@callintake/schemas';
import {
  removeNamespace,
  tempDir,
  testRedisSettings,
  uniqueNamespace,
  waitFor,
  type ServiceProcess,
  testRedisEnv,
  writeLocalTenantsFile,
  TEST_METADATA_FIELDS,
  startServices,
  statusApiReady,
} from '@callintake/testing';

const SERVICES = [
  'intake-watcher',
  'media-prober',
  'metadata-parser',
  'crm-ingester',
  'matcher',
  'retention',
  'status-api',
];
const namespace = uniqueNamespace('e2e');
const token = 'e2e-token';
let dir: Awaited<ReturnType<typeof tempDir>>;
let processes: ServiceProcess[] = [];
let baseUrl: string;

before(async () => {
  dir = await tempDir('e2e');
  const tenantsFile = await writeLocalTenantsFile(dir.path, {
    timezone: 'America/New_York',
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
    OTEL_TRACES_EXPORTER: 'none',
  };
  processes = await startServices(SERVICES, env, {
    what: 'status API ready',
    check: statusApiReady(baseUrl),
    timeoutMs: 90_000,
  });
});

after(async () => {
  const codes = await Promise.all(processes.map((p) => p.stop()));
  await removeNamespace(namespace);
  await dir.remove();
  // Every service stops cleanly on SIGTERM.
  assert.deepEqual(
    codes,
    SERVICES.map(() => 0),
    processes.map((p) => `${p.name}: ${p.output()}`).join('\n'),
  );
});

describe('separate services', () => {
  it('turns a dropped WAV + JSON pair into a ready call, via status API and calls-ready', async () => {
    const stem = '20210511-175959_outbound_1234';
    const data = join(dir.path, 'upload', 'data');
    await writeFile(
      join(data, `${stem}.json`),
      JSON.stringify({
        datetime: '2021-05-11T21:59:59Z',
        email: 'rep@example.com',
        filename: `sftp/path/${stem}.wav`,
        direction: 'outbound',
        disposition: 'connected',
      }),
    );
    await writeFile(
      join(data, `${stem}.wav`),
      encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1.5 }),
    );

    const call = await waitFor(
      async () => {
        const response = await fetch(`${baseUrl}/v1/tenants/acme/calls/${stem}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (!response.ok) return undefined;
        const body = (await response.json()) as Call;
        return body.status === 'ready' ? body : undefined;
      },
      { what: 'call ready on the status API', timeoutMs: 30_000, intervalMs: 100 },
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}\n${processes.map((p) => `--- ${p.name}\n${p.output()}`).join('\n')}`,
      );
    });
    assert.equal(call.tenantId, 'acme');
    assert.equal(call.callTime, '2021-05-11T21:59:59.000Z');
    assert.equal(call.userId, 'rep@example.com');
    assert.equal(call.direction, 'outbound');
    assert.equal(call.match?.method, 'name');
    assert.equal(call.recording?.container, 'wav');
    assert.equal(call.recording?.codec, 'pcm_s16le');
    assert.equal(call.recording?.channels, 2);
    assert.equal(call.recording?.durationSec, 1.5);
    assert.equal(call.recording?.speakerSeparation, 'channels');
    assert.match(
      call.recording?.archiveUri ?? '',
      /^file:\/\/.*\/archive\/recordings\/v1\/20210511-175959_outbound_1234\.wav$/,
    );
    assert.equal(call.metadata?.fields['disposition'], 'connected');

    const redis = workerConnection(testRedisSettings(namespace));
    const ready = new Queue('calls-ready', {
      connection: redis,
      prefix: queuePrefix(testRedisSettings(namespace))('calls-ready'),
    });
    try {
      const job = await ready.getJob(`acme/${stem}`);
      assert.ok(job, 'the call is on calls-ready with <tenant>/<call id> as job id');
      // Job data is the call document itself, as the status API serves it (CONTRACT.md).
      assert.deepEqual(job.data, call);
      // No SDK is registered (no OTEL_EXPORTER_OTLP_ENDPOINT): there is no trace to carry.
      assert.equal(job.opts.telemetry?.metadata, undefined);
    } finally {
      await ready.close();
      await redis.quit();
    }

    await waitFor(async () => (await readdir(join(data, 'processed'))).length === 2, {
      what: 'both files in processed/',
    });
    assert.deepEqual((await readdir(join(data, 'processed'))).sort(), [`${stem}.json`, `${stem}.wav`]);
    const files = (await fetch(`${baseUrl}/v1/tenants/acme/files?state=processed`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json())) as { items: Array<{ name: string; callIds: string[] }> };
    assert.deepEqual(files.items.map((f) => f.name).sort(), [`${stem}.json`, `${stem}.wav`]);
    assert.ok(files.items.every((f) => f.callIds.includes(stem)));
  });

  it('refuses requests without a valid token, and other tenants', async () => {
    assert.equal((await fetch(`${baseUrl}/v1/tenants/acme/calls`)).status, 401);
    assert.equal(
      (await fetch(`${baseUrl}/v1/tenants/globex/calls`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
      403,
    );
  });
});
