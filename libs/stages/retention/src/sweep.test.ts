// The sweep's expiry of calls left `ambiguous`, against real Redis: calls and metadata records are
// written as the matcher leaves them (no other stage runs here; e2e/pair-by-hand.test.ts and
// e2e/retention-sweep.test.ts drive the whole pipeline).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { workerConnection } from '@callintake/queues';
import type { CallStatus, TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type MetadataRecord, type RedisClient } from '@callintake/state';
import { LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { handleSweepTenant } from './sweep';

const namespace = uniqueNamespace('sweep-ambiguous');
const DAY = 24 * 3600_000;
const EVERYTHING = Date.parse('2030-01-01');
const CALL_TIME = '2024-03-01T09:30:00.000Z';
const context = { jobId: 'test', attempt: 1, logger: silentLogger() };
let redis: RedisClient;
let folder: { path: string; remove(): Promise<void> };
let tenantCount = 0;

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  folder = await tempDir('sweep-ambiguous');
});
after(async () => {
  await redis.quit();
  await removeNamespace(namespace);
  await folder.remove();
});

async function world(overrides: Record<string, unknown> = {}) {
  tenantCount += 1;
  const id = `amb-${tenantCount}`;
  const base = join(folder.path, id);
  const tenant: TenantConfig = localTenant(base, { id, ...overrides });
  await mkdir(join(base, 'upload', 'data'), { recursive: true });
  const clock = manualClock(new Date('2024-03-01T10:00:00Z'));
  const state = new StateStore(redis, namespace, clock);
  const area = new LocalUploadArea(join(base, 'upload'));
  const deps = {
    state,
    tenant: (tenantId: string) => (tenantId === id ? tenant : undefined),
    uploadArea: () => area,
  };

  /** A metadata record in its own call with `status`, fuzzy-waiting like the matcher leaves it. */
  async function waitingCall(fileName: string, status: CallStatus, line?: number) {
    const recordId = line === undefined ? fileName : `${fileName}#${line}`;
    const callId = `${fileName.replace(/\.[^.]+$/, '')}${line === undefined ? '' : `-${line}`}`;
    const record: MetadataRecord = {
      tenantId: id,
      recordId,
      fileName,
      version: 1,
      ...(line !== undefined ? { line } : {}),
      fields: {},
      canonical: { callTime: CALL_TIME, userId: 'jdoe' },
      sha256: recordId,
      receivedAt: clock.now().toISOString(),
      callId,
    };
    await state.metadata.putMany([{ record }]);
    const now = clock.now().toISOString();
    await state.calls.mutate(id, callId, () => ({
      id: callId,
      tenantId: id,
      status,
      callTime: CALL_TIME,
      metadata: { fileName, version: 1, ...(line !== undefined ? { line } : {}), fields: {} },
      crm: {},
      ...(status === 'ambiguous'
        ? { match: { method: 'fuzzy' as const, score: 0.654, details: { candidates: [] } } }
        : {}),
      warnings: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    }));
    await state.fuzzy.addWaiting(id, recordId, Date.parse(CALL_TIME));
    return { recordId, callId };
  }

  const sweep = () => handleSweepTenant(deps, { tenantId: id }, context);
  const waiting = () => state.fuzzy.waitingWithin(id, 0, EVERYTHING);
  return { id, clock, state, waitingCall, sweep, waiting };
}

describe('ambiguous calls', () => {
  it('expire ambiguousDays after they were created, with ambiguous-expired, and stop waiting', async () => {
    const w = await world({ retention: { ambiguousDays: 3 } });
    const single = await w.waitingCall('crmexport-1.json', 'ambiguous');
    const row = await w.waitingCall('batch.csv', 'ambiguous', 4);
    const patient = await w.waitingCall('batch.csv', 'awaiting_recording', 5);
    w.clock.advance(1 * DAY);
    const young = await w.waitingCall('crmexport-2.json', 'ambiguous');

    w.clock.advance(2 * DAY - 1);
    assert.equal((await w.sweep()).expired, 0, 'one millisecond short of 3 days');
    w.clock.advance(1);
    assert.equal((await w.sweep()).expired, 2);

    for (const { callId } of [single, row]) {
      const call = await w.state.calls.get(w.id, callId);
      assert.equal(call?.status, 'expired', callId);
      assert.equal(call?.statusReason?.code, 'ambiguous-expired');
      assert.match(call?.statusReason?.message ?? '', /within 3 days/);
      assert.equal(call?.version, 2);
      assert.equal(call?.updatedAt, w.clock.now().toISOString());
    }
    assert.deepEqual(
      (await w.waiting()).sort(),
      [patient.recordId, young.recordId].sort(),
      'only the expired records leave the waiting set',
    );
    assert.equal((await w.state.calls.get(w.id, patient.callId))?.status, 'awaiting_recording');
    assert.equal((await w.state.calls.get(w.id, young.callId))?.status, 'ambiguous');
    assert.deepEqual(
      (await w.state.calls.list(w.id, { status: 'expired', limit: 10 })).items.map((c) => c.id).sort(),
      [row.callId, single.callId].sort(),
    );
    assert.equal((await w.sweep()).expired, 0, 'a call expires once');

    w.clock.advance(1 * DAY);
    assert.equal((await w.sweep()).expired, 1);
    assert.deepEqual(await w.waiting(), [patient.recordId]);
  });

  it('wait 30 days by default, whatever awaitingMetadataDays says', async () => {
    const w = await world({ retention: { awaitingMetadataDays: 2 } });
    const { callId } = await w.waitingCall('crmexport-3.json', 'ambiguous');
    w.clock.advance(30 * DAY - 1);
    assert.equal((await w.sweep()).expired, 0);
    w.clock.advance(1);
    assert.equal((await w.sweep()).expired, 1);
    assert.equal((await w.state.calls.get(w.id, callId))?.statusReason?.code, 'ambiguous-expired');
    assert.deepEqual(await w.waiting(), []);
  });
});
