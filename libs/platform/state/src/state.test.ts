import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { removeNamespace, TEST_REDIS_URL, uniqueNamespace } from '@callintake/testing';
import type { Call } from '@callintake/schemas';
import { mutateJson } from './cas';
import { manualClock } from './clock';
import { StateStore } from './state-store';

const namespace = uniqueNamespace('state');
let redis: Redis;
let state: StateStore;
const clock = manualClock(new Date('2024-03-12T10:00:00Z'));

before(() => {
  redis = new Redis(TEST_REDIS_URL);
  state = new StateStore(redis, namespace, clock);
});
after(async () => {
  await removeNamespace(namespace);
  await redis.quit();
});

function call(id: string, callTime: string, status: Call['status'] = 'ready'): Call {
  return {
    id,
    tenantId: 'acme',
    status,
    callTime,
    crm: {},
    warnings: [],
    version: 1,
    createdAt: callTime,
    updatedAt: callTime,
  };
}

describe('compare-and-set', () => {
  it('loses no update when 50 writers race on one document over one shared connection', async () => {
    const key = `${namespace}:counter`;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        mutateJson<{ n: number }>(redis, key, (current) => ({ next: { n: (current?.n ?? 0) + 1 } })),
      ),
    );
    assert.deepEqual(JSON.parse((await redis.get(key)) as string), { n: 50 });
  });

  it('decides on the document as it is when what this process saw last is stale', async () => {
    const key = `${namespace}:stale`;
    const other = new Redis(TEST_REDIS_URL);
    try {
      await mutateJson<{ n: number; tags: string[] }>(redis, key, () => ({ next: { n: 1, tags: [] } }));
      // Another process changes it: our last write is now a wrong guess.
      await other.set(key, JSON.stringify({ n: 5, tags: ['a'] }));
      await mutateJson<{ n: number; tags: string[] }>(redis, key, (current) => ({
        next: { n: (current?.n ?? 0) + 1, tags: current?.tags ?? [] },
      }));
      assert.deepEqual(JSON.parse((await redis.get(key)) as string), { n: 6, tags: ['a'] });
      // A change that would be a no-op (or refused) on the stale guess is decided on the real one.
      await other.set(key, JSON.stringify({ n: 6, tags: [] }));
      const added = await mutateJson<{ n: number; tags: string[] }>(redis, key, (current) => {
        if (!current) throw new Error('gone');
        return current.tags.includes('a') ? { next: undefined } : { next: { ...current, tags: ['a'] } };
      });
      assert.equal(added.changed, true);
      await other.del(key);
      await assert.rejects(
        mutateJson<{ n: number }>(redis, key, (current) => {
          if (!current) throw new Error('gone');
          return { next: current };
        }),
        /gone/,
      );
      await other.set(key, JSON.stringify({ n: 7 }));
      const refusedOnGuess = await mutateJson<{ n: number }>(redis, key, (current) => {
        if (!current) throw new Error('gone');
        return { next: { n: current.n + 1 } };
      });
      assert.deepEqual(refusedOnGuess.after, { n: 8 });
    } finally {
      await other.quit();
    }
  });

  it('writes nothing when the change says undefined', async () => {
    const key = `${namespace}:untouched`;
    const result = await mutateJson(redis, key, () => ({ next: undefined }));
    assert.equal(result.changed, false);
    assert.equal(await redis.exists(key), 0);
  });
});

describe('assets', () => {
  it('records a version once per version id and follows its latest state', async () => {
    const seen = {
      versionId: '10-1',
      sizeBytes: 10,
      modifiedAt: '2024-03-12T09:00:00.000Z',
      location: 'data/a.wav',
    };
    const first = await state.assets.recordVersion('acme', 'a.wav', 'recording', seen);
    const again = await state.assets.recordVersion('acme', 'a.wav', 'recording', seen);
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.asset.versions.length, 1);
    const second = await state.assets.recordVersion('acme', 'a.wav', 'recording', {
      ...seen,
      versionId: '11-2',
      sizeBytes: 11,
    });
    assert.equal(second.version.number, 2);
    await state.assets.applyTransition(
      'acme',
      'a.wav',
      '11-2',
      { name: 'reject', from: ['pending'], to: 'rejected' },
      { reason: { code: 'corrupt-media', message: 'bad' } },
    );
    const asset = await state.assets.get('acme', 'a.wav');
    assert.equal(asset?.state, 'rejected');
    assert.equal(asset?.reason?.code, 'corrupt-media');
    const rejected = await state.assets.list('acme', { state: 'rejected', limit: 10 });
    assert.deepEqual(
      rejected.items.map((a) => a.name),
      ['a.wav'],
    );
    const pending = await state.assets.list('acme', { state: 'pending', limit: 10 });
    assert.equal(pending.items.length, 0, 'the state index moves with the state');
  });
});

describe('calls pagination', () => {
  it('pages newest first with a stable cursor, also across equal call times', async () => {
    const times = [
      '2024-01-01T00:00:00Z',
      '2024-01-02T00:00:00Z',
      '2024-01-02T00:00:00Z',
      '2024-01-03T00:00:00Z',
      '2024-01-04T00:00:00Z',
    ];
    for (const [i, time] of times.entries())
      await state.calls.mutate('pager', `c${i}`, () => ({ ...call(`c${i}`, time), tenantId: 'pager' }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await state.calls.list('pager', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, ['c4', 'c3', 'c2', 'c1', 'c0']);
  });

  it('filters by status and keeps the status index in step with changes', async () => {
    await state.calls.mutate('flow', 'x', () => ({
      ...call('x', '2024-01-01T00:00:00Z', 'awaiting_metadata'),
      tenantId: 'flow',
    }));
    assert.equal((await state.calls.list('flow', { status: 'awaiting_metadata', limit: 5 })).items.length, 1);
    await state.calls.mutate('flow', 'x', (c) => (c ? { ...c, status: 'ready' } : undefined));
    assert.equal((await state.calls.list('flow', { status: 'awaiting_metadata', limit: 5 })).items.length, 0);
    assert.equal((await state.calls.list('flow', { status: 'ready', limit: 5 })).items.length, 1);
  });

  it('refuses a cursor it did not issue', async () => {
    await assert.rejects(state.calls.list('flow', { limit: 5, cursor: 'garbage' }), /cursor/);
  });
});

describe('lock', () => {
  it('serialises work on one key', async () => {
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        state.lock('acme', 'k', async () => {
          order.push(`${name}-in`);
          await new Promise((r) => setTimeout(r, 20));
          order.push(`${name}-out`);
        }),
      ),
    );
    for (let i = 0; i < order.length; i += 2)
      assert.equal(order[i]!.split('-')[0], order[i + 1]!.split('-')[0]);
  });
});

describe('fuzzy pool standing', () => {
  it('reads whether a recording is unpaired, the pair it stands in and whether a record waits', async () => {
    const tenant = 'standing';
    const nothing = await state.fuzzy.standing(tenant, 'R.wav', 'M.json');
    assert.deepEqual(nothing, { unpaired: false, pair: null, waiting: false });

    await state.fuzzy.addUnpaired(tenant, 'R.wav', 1_000);
    await state.fuzzy.addWaiting(tenant, 'M.json', 2_000);
    assert.deepEqual(await state.fuzzy.standing(tenant, 'R.wav', 'M.json'), {
      unpaired: true,
      pair: null,
      waiting: true,
    });

    // Paired fuzzily: taken out of the unpaired set, the pair stands; the record no longer waits.
    assert.equal(await state.fuzzy.takeUnpaired(tenant, 'R.wav'), true);
    assert.equal(await state.fuzzy.takeWaiting(tenant, 'M.json'), true);
    const pair = { recordId: 'M.json', score: 0.9 };
    assert.equal(
      await state.fuzzy.claimPair(tenant, 'R.wav', pair, { recordingMs: 1_000, metadataMs: 2_000 }),
      true,
    );
    const paired = await state.fuzzy.standing(tenant, 'R.wav', 'M.json');
    assert.equal(paired.unpaired, false);
    assert.equal(paired.waiting, false);
    assert.equal(paired.pair?.recordId, 'M.json');
    assert.equal(paired.pair?.score, 0.9);
    assert.deepEqual(paired, {
      unpaired: false,
      pair: await state.fuzzy.pairOf(tenant, 'R.wav'),
      waiting: false,
    });

    // An unpaired recording stands in no pair, whatever the pairs hash still says.
    await state.fuzzy.addUnpaired(tenant, 'R.wav', 1_000);
    assert.deepEqual(await state.fuzzy.standing(tenant, 'R.wav', 'M.json'), {
      unpaired: true,
      pair: null,
      waiting: false,
    });
  });
});
