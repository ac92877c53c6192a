// Per-tenant metrics, counted in the transitions' own compare-and-set: file outcomes once per
// transition, and the tenant's newest upload from versions leaving `pending` and the asset index.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { AssetState } from '@callintake/schemas';
import { removeNamespace, TEST_REDIS_URL, uniqueNamespace } from '@callintake/testing';
import { manualClock } from './clock';
import { StateStore } from './state-store';

const namespace = uniqueNamespace('state-metrics');
const START = new Date('2024-03-12T10:00:00Z');
const clock = manualClock(START);
let redis: Redis;
let state: StateStore;

// The lifecycle lib owns the real table; these mirror it closely enough for counting.
const to = (name: string, target: AssetState, from: AssetState[]) => ({ name, from, to: target });
const BEGIN = to('begin', 'processing', ['pending', 'processing']);
const CAPTURE = to('capture', 'processed', ['pending', 'processing', 'processed']);
const REJECT = to('reject', 'rejected', ['pending', 'processing', 'rejected', 'ignored']);
const FAIL = to('fail', 'failed', ['pending', 'processing', 'failed']);
const RETRY = to('retry', 'pending', ['failed', 'rejected']);

const seen = (versionId: string) => ({
  versionId,
  sizeBytes: 10,
  modifiedAt: clock.now().toISOString(),
  location: 'data/x',
});

before(() => {
  redis = new Redis(TEST_REDIS_URL);
  state = new StateStore(redis, namespace, clock);
});
after(async () => {
  await removeNamespace(namespace);
  await redis.quit();
});

describe('per-tenant metrics', () => {
  it('counts outcomes once per transition, a retried version again, and nothing for a repeat', async () => {
    const { assets } = state;
    await assets.recordVersion('acme', 'a.wav', 'recording', seen('1'));
    await assets.applyTransition('acme', 'a.wav', '1', BEGIN, {});
    await assets.applyTransition('acme', 'a.wav', '1', FAIL, {});
    await assets.applyTransition('acme', 'a.wav', '1', FAIL, {});
    await assets.applyTransition('acme', 'a.wav', '1', RETRY, { retries: 1 });
    await assets.applyTransition('acme', 'a.wav', '1', CAPTURE, {});
    await assets.recordVersion('acme', 'b.txt', 'unknown', seen('2'));
    await assets.applyTransition('acme', 'b.txt', '2', REJECT, {
      reason: { code: 'unsupported-type', message: 'no' },
    });
    const { tenantFiles } = await state.metrics.read(['acme']);
    assert.deepEqual(tenantFiles, [
      { tenant: 'acme', outcome: 'failed', count: 1 },
      { tenant: 'acme', outcome: 'processed', count: 1 },
      { tenant: 'acme', outcome: 'rejected', count: 1 },
    ]);
  });

  it('takes the newest upload from versions leaving pending and from the newest asset', async () => {
    const { assets, metrics } = state;
    clock.set(new Date('2024-03-13T00:00:00Z'));
    await assets.recordVersion('globex', 'old.wav', 'recording', seen('1'));
    clock.set(new Date('2024-03-13T05:00:00Z'));
    await assets.recordVersion('globex', 'old.wav', 'recording', seen('2'));
    // A new version of a known name leaves the asset index at the name's first-seen time: it is
    // noted when it leaves pending.
    await assets.applyTransition('globex', 'old.wav', '2', BEGIN, {});
    const newest = Date.parse('2024-03-13T05:00:00Z') / 1000;
    assert.deepEqual(await metrics.lastUploads(['globex']), [{ tenant: 'globex', seconds: newest }]);
    // A brand-new asset not yet taken (still pending) already counts, through the asset index.
    clock.set(new Date('2024-03-13T07:00:00Z'));
    await assets.recordVersion('globex', 'new.wav', 'recording', seen('3'));
    const later = Date.parse('2024-03-13T07:00:00Z') / 1000;
    assert.deepEqual(await metrics.lastUploads(['globex', 'nobody']), [{ tenant: 'globex', seconds: later }]);
  });

  it('reads Redis’s eviction policy from INFO', async () => {
    const policy = await state.metrics.evictionPolicy();
    assert.match(policy ?? '', /^(noeviction|allkeys-|volatile-)/);
  });
});
