// The transition table against real Redis: each named transition moves a version only from the
// states it allows, refuses the rest with a named reason (checked inside the compare-and-set),
// repeats harmlessly, and nothing but this lib writes a version's state.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { AssetState } from '@callintake/schemas';
import { manualClock, StateStore, TransitionRefusedError } from '@callintake/state';
import { removeNamespace, TEST_REDIS_URL, uniqueNamespace, WORKSPACE_ROOT } from '@callintake/testing';
import { recordSeenVersion, transitionVersion, TRANSITIONS, type TransitionName } from './transitions';

const namespace = uniqueNamespace('lifecycle');
let redis: Redis;
let state: StateStore;
let counter = 0;

before(() => {
  redis = new Redis(TEST_REDIS_URL);
  state = new StateStore(redis, namespace, manualClock(new Date('2024-03-12T10:00:00Z')));
});
after(async () => {
  await redis.quit();
  await removeNamespace(namespace);
});

/** A fresh version walked into `target` along allowed transitions. */
async function versionIn(target: AssetState) {
  const ref = { tenantId: 'acme', fileName: `f${++counter}.wav`, versionId: `v${counter}` };
  await recordSeenVersion(state, ref.tenantId, ref.fileName, 'recording', {
    versionId: ref.versionId,
    sizeBytes: 1,
    modifiedAt: '2024-03-12T10:00:00.000Z',
    location: `data/${ref.fileName}`,
  });
  const path: Record<AssetState, TransitionName[]> = {
    pending: [],
    processing: ['begin'],
    processed: ['begin', 'capture'],
    rejected: ['reject'],
    ignored: ['vanish'],
    purged: ['begin', 'capture', 'purge'],
    failed: ['fail'],
  };
  for (const step of path[target]) await transitionVersion(state, ref, step);
  return ref;
}

const STATES: AssetState[] = ['pending', 'processing', 'processed', 'rejected', 'ignored', 'purged'];

void describe('asset lifecycle transitions', () => {
  for (const [name, rule] of Object.entries(TRANSITIONS) as Array<
    [TransitionName, (typeof TRANSITIONS)[TransitionName]]
  >) {
    void it(`${name}: from ${rule.from.join(', ')} to ${rule.to}, refused from anything else`, async () => {
      for (const from of STATES) {
        const ref = await versionIn(from);
        const allowed = (rule.from as readonly AssetState[]).includes(from);
        if (allowed) {
          const asset = await transitionVersion(state, ref, name);
          assert.equal(asset.versions[0]?.state, rule.to, `${name} from ${from}`);
          assert.equal(asset.state, rule.to, 'the asset follows its latest version');
        } else {
          await assert.rejects(transitionVersion(state, ref, name), (error: unknown) => {
            assert.ok(error instanceof TransitionRefusedError, String(error));
            assert.equal(error.code, 'transition-refused');
            assert.match(
              error.message,
              new RegExp(`^${name} refused for acme/${ref.fileName} version 1: it is ${from}`),
            );
            return true;
          });
          const unchanged = await state.assets.get(ref.tenantId, ref.fileName);
          assert.equal(unchanged?.versions[0]?.state, from, 'a refused transition writes nothing');
        }
      }
    });
  }

  void it('repeats a transition harmlessly (at-least-once delivery)', async () => {
    // Not retry: asked again while pending, it queues the same job instead (retry.ts).
    for (const name of (Object.keys(TRANSITIONS) as TransitionName[]).filter((n) => n !== 'retry')) {
      const ref = await versionIn(TRANSITIONS[name].to);
      const asset = await transitionVersion(state, ref, name);
      assert.equal(asset.versions[0]?.state, TRANSITIONS[name].to);
    }
  });

  void it('counts a rejection once, however often it is repeated', async () => {
    const ref = await versionIn('pending');
    const reason = { code: 'corrupt-media' as const, message: 'no RIFF header' };
    await transitionVersion(state, ref, 'reject', { reason });
    await transitionVersion(state, ref, 'reject', { reason });
    const counts = await redis.hgetall(state.keys.metricsRejections(ref.tenantId));
    const counted = Object.entries(counts).filter(([field]) => field.includes('corrupt-media'));
    assert.deepEqual(
      counted.map(([, value]) => value),
      ['1'],
      JSON.stringify(counts),
    );
  });

  void it('is the only writer of a version state: no production code elsewhere calls the state lib for it', () => {
    const writers = /\.(applyTransition|recordVersion)\(/;
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        if (entry === 'node_modules' || entry === 'test' || entry === 'fixtures') continue;
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (
          path.endsWith('.ts') &&
          !path.endsWith('.test.ts') &&
          writers.test(readFileSync(path, 'utf8'))
        )
          offenders.push(relative(WORKSPACE_ROOT, path));
      }
    };
    walk(join(WORKSPACE_ROOT, 'libs'));
    walk(join(WORKSPACE_ROOT, 'apps'));
    // The state lib defines the methods; only the transition module calls them.
    assert.deepEqual(offenders, ['libs/lifecycle/src/transitions.ts']);
  });
});
