import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { removeNamespace, TEST_REDIS_URL, uniqueNamespace } from '@callintake/testing';
import { manualClock } from './clock';
import { StateStore } from './state-store';

const namespace = uniqueNamespace('crm-waiting');
const DAY = 86_400_000;
const T0 = Date.parse('2024-03-12T10:00:00Z');
let redis: Redis;
let state: StateStore;

before(() => {
  redis = new Redis(TEST_REDIS_URL);
  state = new StateStore(redis, namespace, manualClock(new Date(T0)));
});
after(async () => {
  await removeNamespace(namespace);
  await redis.quit();
});

const contact = (id: string) => ({ type: 'contacts' as const, id });

describe('the late-CRM reverse index', () => {
  it('finds the calls waiting for each object of a chunk in one call, since a time', async () => {
    const index = state.crmWaiting;
    await index.register('acme', 'call-a', [contact('C-1'), contact('C-2')], T0, 30 * DAY);
    await index.register('acme', 'call-b', [contact('C-1')], T0 + DAY, 30 * DAY);
    await index.register('other', 'call-c', [contact('C-1')], T0, 30 * DAY);

    const waiting = await index.waitingFor('acme', 'contacts', ['C-1', 'C-2', 'C-3'], T0);
    assert.deepEqual(Object.fromEntries(waiting), { 'C-1': ['call-a', 'call-b'], 'C-2': ['call-a'] });
    const later = await index.waitingFor('acme', 'contacts', ['C-1', 'C-2'], T0 + 1);
    assert.deepEqual(Object.fromEntries(later), { 'C-1': ['call-b'] }, 'call-a registered before the window');
    assert.deepEqual(Object.fromEntries(await index.waitingFor('acme', 'accounts', ['C-1'], 0)), {});
  });

  it('keeps a call its first time, and prunes what ran out rather than renew it', async () => {
    const index = state.crmWaiting;
    const key = state.keys.crmWaiting('acme', 'contacts', 'C-5');
    await index.register('acme', 'call-a', [contact('C-5')], T0, 2 * DAY);
    await index.register('acme', 'call-a', [contact('C-5')], T0 + DAY, 2 * DAY);
    assert.equal(await redis.zscore(key, 'call-a'), String(T0), 'registering again does not extend');
    assert.ok((await redis.pttl(key)) > DAY, 'the set expires one window after its newest entry');

    await index.register('acme', 'call-a', [contact('C-5')], T0 + 3 * DAY, 2 * DAY);
    assert.equal(await redis.zscore(key, 'call-a'), null, 'pruned, not renewed');
    await index.register('acme', 'call-b', [contact('C-5')], T0 + 3 * DAY, 2 * DAY);
    assert.deepEqual(await redis.zrange(key, 0, -1), ['call-b']);
  });

  it('releases a call from the objects it holds now', async () => {
    const index = state.crmWaiting;
    await index.register('acme', 'call-r', [contact('C-7'), contact('C-8')], T0, DAY);
    assert.equal(await index.isWaiting('acme', 'call-r', contact('C-7')), true);
    await index.release('acme', 'call-r', [contact('C-7')]);
    assert.equal(await index.isWaiting('acme', 'call-r', contact('C-7')), false);
    assert.equal(await index.isWaiting('acme', 'call-r', contact('C-8')), true);
  });
});
