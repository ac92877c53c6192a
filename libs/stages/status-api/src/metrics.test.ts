// /metrics beyond the queues (app.test.ts): the per-tenant series the alerts read (file outcomes,
// newest upload, expected upload interval), Redis's eviction policy, and a sample of the whole
// text that `promtool check metrics` (Prometheus's own linter) accepts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TRANSITIONS } from '@callintake/asset-lifecycle';
import { JobProducer, workerConnection, queuePrefix } from '@callintake/queues';
import type { TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import {
  findProgram,
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';
import { renderMetrics } from './metrics';

const namespace = uniqueNamespace('status-metrics');
const START = new Date('2024-03-12T10:00:00Z');
const clock = manualClock(START);
const t = (name: keyof typeof TRANSITIONS) => ({ name, ...TRANSITIONS[name] });

let root: { path: string; remove(): Promise<void> };
let redis: RedisClient;
let producer: JobProducer;
let state: StateStore;
let tenants: TenantConfig[];
let text: string;

const seen = (versionId: string, name: string) => ({
  versionId,
  sizeBytes: 1000,
  modifiedAt: clock.now().toISOString(),
  location: `data/${name}`,
});

before(async () => {
  root = await tempDir('status-metrics');
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  state = new StateStore(redis, namespace, clock);
  tenants = [
    localTenant(root.path, { id: 'acme', expectUploadsEvery: '6h' }),
    localTenant(root.path, { id: 'globex' }),
    localTenant(root.path, { id: 'quiet', expectUploadsEvery: 3600 }),
  ];
  const { assets } = state;
  // acme: one processed, one rejected, one failed, one retried; globex: one rejected at intake.
  await assets.recordVersion('acme', 'a.wav', 'recording', seen('1-1', 'a.wav'));
  await assets.applyTransition('acme', 'a.wav', '1-1', t('begin'), {});
  await assets.applyTransition('acme', 'a.wav', '1-1', t('capture'), {});
  // A redelivered capture counts nothing twice.
  await assets.applyTransition('acme', 'a.wav', '1-1', t('capture'), {});
  clock.advance(3_600_000);
  await assets.recordVersion('acme', 'b.txt', 'unknown', seen('1-2', 'b.txt'));
  await assets.applyTransition('acme', 'b.txt', '1-2', t('reject'), {
    reason: { code: 'unsupported-type', message: 'not a recording, metadata or CRM file' },
  });
  clock.advance(3_600_000);
  await assets.recordVersion('acme', 'c.wav', 'recording', seen('1-3', 'c.wav'));
  await assets.applyTransition('acme', 'c.wav', '1-3', t('begin'), {});
  await assets.applyTransition('acme', 'c.wav', '1-3', t('fail'), {
    reason: { code: 'processing-failed', message: 'archive unreachable' },
  });
  clock.advance(3_600_000);
  // Retrying an old version is no new upload: the newest upload stays c.wav's.
  await assets.applyTransition('acme', 'c.wav', '1-3', t('retry'), { retries: 1 });
  await assets.applyTransition('acme', 'c.wav', '1-3', t('begin'), {});
  await assets.applyTransition('acme', 'c.wav', '1-3', t('capture'), {});
  await assets.recordVersion('globex', 'x.wav', 'recording', seen('9-1', 'x.wav'));
  await assets.applyTransition('globex', 'x.wav', '9-1', t('reject'), {
    reason: { code: 'empty-file', message: 'the file is empty' },
  });
  text = await renderMetrics(producer, state.metrics, { tenants });
});

after(async () => {
  await producer?.close();
  await redis?.quit();
  await removeNamespace(namespace);
  await root?.remove();
});

const seconds = (date: Date, plusHours = 0) => (date.getTime() + plusHours * 3_600_000) / 1000;

describe('per-tenant metrics', () => {
  it('counts each tenant’s file outcomes once, from 0 for every configured tenant', () => {
    const lines = text.split('\n');
    assert.ok(lines.includes('# TYPE callintake_tenant_files_total counter'));
    for (const expected of [
      'callintake_tenant_files_total{tenant="acme",outcome="processed"} 2',
      'callintake_tenant_files_total{tenant="acme",outcome="rejected"} 1',
      'callintake_tenant_files_total{tenant="acme",outcome="failed"} 1',
      'callintake_tenant_files_total{tenant="globex",outcome="processed"} 0',
      'callintake_tenant_files_total{tenant="globex",outcome="rejected"} 1',
      'callintake_tenant_files_total{tenant="quiet",outcome="failed"} 0',
    ])
      assert.ok(lines.includes(expected), `missing ${expected} in\n${text}`);
  });

  it('exports each tenant’s newest upload, unmoved by a retry, and none before a first upload', () => {
    const lines = text.split('\n');
    assert.ok(
      lines.includes(`callintake_tenant_last_upload_timestamp_seconds{tenant="acme"} ${seconds(START, 2)}`),
      text,
    );
    assert.ok(
      lines.includes(`callintake_tenant_last_upload_timestamp_seconds{tenant="globex"} ${seconds(START, 3)}`),
      text,
    );
    assert.ok(!text.includes('callintake_tenant_last_upload_timestamp_seconds{tenant="quiet"}'));
  });

  it('exports the expected upload interval only for tenants that set expectUploadsEvery', () => {
    const lines = text.split('\n');
    assert.ok(lines.includes('callintake_tenant_expected_upload_interval_seconds{tenant="acme"} 21600'));
    assert.ok(lines.includes('callintake_tenant_expected_upload_interval_seconds{tenant="quiet"} 3600'));
    assert.ok(!text.includes('callintake_tenant_expected_upload_interval_seconds{tenant="globex"}'));
  });

  it('says whether Redis may evict keys, naming its policy', async () => {
    const policy = /^maxmemory_policy:(\S+)/m.exec(await redis.info('memory'))?.[1];
    assert.ok(policy);
    assert.ok(
      text
        .split('\n')
        .includes(
          `callintake_redis_maxmemory_policy_ok{policy="${policy}"} ${policy === 'noeviction' ? 1 : 0}`,
        ),
      text,
    );
  });
});

describe('promtool check metrics', () => {
  it('accepts the whole /metrics text (names, types, help, suffixes)', async () => {
    const promtool = await findProgram('promtool');
    assert.ok(promtool, 'promtool is missing: npm test installs it (Debian package prometheus)');
    const checked = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
    // And it does fail on a name against the conventions, so a pass means something.
    const bad = spawnSync(promtool, ['check', 'metrics'], {
      input: '# HELP callintake_x_count x\n# TYPE callintake_x_count counter\ncallintake_x_count 1\n',
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0);
  });
});
