// The priority lane (SPEC "CRM objects"): a 100,000-row CRM batch and 1,000 call metadata files
// that reference its ids are dropped together; the services run as in production, and every
// call resolves its references, because CRM batches seen first are ingested first.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  testRedisEnv,
  uniqueNamespace,
  waitFor,
} from '@callintake/testing';
import { Runtime, type RunningService } from '@callintake/runtime';
import { startService } from '@callintake/services';

const CRM_ROWS = 100_000;
const CALLS = 1_000;
const namespace = uniqueNamespace('priority');
let folder: Awaited<ReturnType<typeof tempDir>>;

before(async () => (folder = await tempDir('priority')));
after(async () => {
  await removeNamespace(namespace);
  await folder.remove();
});

describe('priority lane', () => {
  it('resolves every call reference against a large CRM batch dropped at the same time', async () => {
    const tenant = localTenant(folder.path, {
      id: 'lane',
      settleSeconds: 0,
      metadata: {
        fields: {
          datetime: { to: 'callTime', type: 'datetime' },
          email: { to: 'userId' },
          contact: { to: 'contactId' },
        },
        metadataOnly: true,
      },
    });
    const data = join(folder.path, 'upload', 'data');
    await mkdir(data, { recursive: true });
    const rows = ['id,name,email'];
    for (let i = 0; i < CRM_ROWS; i++) rows.push(`C-${i},Contact ${i},c${i}@example.com`);
    // The batch lands first (as the guide asks), then the metadata, all before any service runs.
    await writeFile(join(data, 'contacts_20240312T0800.csv'), rows.join('\n') + '\n');
    for (let i = 0; i < CALLS; i++) {
      const contact = `C-${CRM_ROWS - 1 - i * 97}`;
      await writeFile(
        join(data, `call-${i}.json`),
        JSON.stringify({ datetime: '2024-03-12T10:00:00Z', email: `rep${i}@example.com`, contact }),
      );
    }

    const runtime = await Runtime.create({
      service: 'test',
      env: { ...testRedisEnv(), REDIS_NAMESPACE: namespace, WORKER_CONCURRENCY: '8' },
      tenants: [tenant],
      logger: silentLogger(),
    });
    const services: RunningService[] = [];
    try {
      for (const name of ['intake-watcher', 'metadata-parser', 'crm-ingester', 'matcher'] as const)
        services.push(await startService(name, runtime));
      await waitFor(
        async () =>
          (await runtime.state.calls.list('lane', { status: 'ready', limit: CALLS + 1 })).items.length ===
          CALLS
            ? true
            : undefined,
        {
          what: `${CALLS} ready calls`,
          timeoutMs: 180_000,
          intervalMs: 250,
        },
      );
      const calls = (await runtime.state.calls.list('lane', { limit: CALLS + 1 })).items;
      const unresolved = calls.filter(
        (call) => call.crm.contactId?.record === null || call.crm.contactId === undefined,
      );
      assert.equal(
        unresolved.length,
        0,
        `${unresolved.length} calls have unresolved contacts, e.g. ${unresolved[0]?.id}`,
      );
      const sample = calls.find((call) => call.id === 'call-0');
      assert.equal(sample?.crm.contactId?.record?.['email'], `c${CRM_ROWS - 1}@example.com`);
    } finally {
      for (const service of services.reverse()) await service.stop();
      await runtime.close();
    }
  });
});
