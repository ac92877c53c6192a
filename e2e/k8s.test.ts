// The Kubernetes manifests and alert rules (README "Containers and Kubernetes", "Runbook"):
// tools/check-k8s.ts passes on what is committed and fails on copies broken on purpose, and the
// alerts fire (and stay quiet) as the runbook says, by `promtool test rules` on synthetic series.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { queuePrefix, workerConnection, type QueueName, type RedisSettings } from '@callintake/queues';
import type { RedisClient } from '@callintake/state';
import {
  findProgram,
  startRedisCluster,
  tempDir,
  WORKSPACE_ROOT,
  type RedisClusterHandle,
} from '@callintake/testing';

const RULES = join(WORKSPACE_ROOT, 'k8s/prometheus/callintake.rules.yaml');
let folder: { path: string; remove(): Promise<void> };
let promtool: string;

before(async () => {
  folder = await tempDir('k8s');
  const found = await findProgram('promtool');
  assert.ok(found, 'promtool is missing: npm test installs it (Debian package prometheus)');
  promtool = found;
});
after(async () => {
  await folder?.remove();
});

function checkK8s(env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'tools/check-k8s.ts'], {
    cwd: WORKSPACE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('tools/check-k8s.ts', () => {
  it('passes on the committed manifests', () => {
    const run = checkK8s();
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Pod Security restricted/);
    assert.match(run.stdout, /dev, prod and redis-cluster overlays/);
  });

  it('fails on a pod without seccomp, replicas on a scaled Deployment, a sum() query and a broken rule', () => {
    const copy = join(folder.path, 'broken');
    cpSync(join(WORKSPACE_ROOT, 'k8s'), copy, { recursive: true });
    const servicesPath = join(copy, 'base/services.yaml');
    const docs = parseAllDocuments(readFileSync(servicesPath, 'utf8')).map((doc) => doc.toJS() as Doc);
    for (const doc of docs) {
      if (doc['kind'] === 'Deployment' && doc['metadata'].name === 'matcher') {
        delete doc['spec'].template.spec.securityContext.seccompProfile;
        delete doc['spec'].template.spec.containers[0].securityContext.seccompProfile;
      }
      if (doc['kind'] === 'Deployment' && doc['metadata'].name === 'media-prober') doc['spec'].replicas = 1;
      if (doc['kind'] === 'ScaledObject' && doc['metadata'].name === 'crm-ingester')
        doc['spec'].triggers[0].metadata.query = 'sum(callintake_queue_backlog{queue="crm-ingest"})';
    }
    writeFileSync(servicesPath, docs.map((doc) => stringify(doc)).join('---\n'));
    const rulesPath = join(copy, 'prometheus/callintake.rules.yaml');
    writeFileSync(
      rulesPath,
      readFileSync(rulesPath, 'utf8').replace('> 0\n', '> > 0\n'), // CallintakeFilesFailed
    );

    const run = checkK8s({ K8S_DIR: copy });
    assert.equal(run.status, 1, run.stdout);
    for (const expected of [
      /Deployment matcher: container matcher: seccompProfile must be RuntimeDefault or Localhost/,
      /Deployment media-prober sets replicas/,
      /ScaledObject crm-ingester: query must be max\(callintake_queue_backlog\{namespace="callintake",queue="crm-ingest"\}\)/,
      /promtool check rules .*callintake\.rules\.yaml/,
      /k8s\/base\/services\.yaml is not what tools\/gen-k8s\.ts generates/,
    ])
      assert.match(run.stderr, expected);
  });
});

describe('tools/check-k8s.ts on the Redis Cluster overlay', () => {
  it('fails on a Deployment without REDIS_CLUSTER_NODES, bad seeds, and KEDA keys outside the queue hash tag', () => {
    const copy = join(folder.path, 'broken-cluster');
    cpSync(join(WORKSPACE_ROOT, 'k8s'), copy, { recursive: true });
    const overlay = join(copy, 'overlays/redis-cluster');
    // A seed without a port, and the env patch aimed at one Deployment only.
    const kustomizationPath = join(overlay, 'kustomization.yaml');
    const kustomization = parse(readFileSync(kustomizationPath, 'utf8')) as Doc;
    kustomization['configMapGenerator'][0].literals = ['REDIS_CLUSTER_NODES=redis-cluster.example.com'];
    kustomization['patches'][0].target = { kind: 'Deployment', name: 'matcher' };
    writeFileSync(kustomizationPath, stringify(kustomization));
    const patches = join(copy, 'components/keda-redis-cluster/patches');
    const retarget = (file: string, from: string, to: string) => {
      const path = join(patches, file);
      const text = readFileSync(path, 'utf8');
      assert.ok(text.includes(from), `${file} holds ${from}`);
      writeFileSync(path, text.replace(from, to));
    };
    // The single-node key (no hash tag), and another queue's hash tag.
    retarget('media-prober.yaml', 'bull:{media-probe}:media-probe:wait', 'bull:media-probe:wait');
    retarget(
      'crm-ingester.yaml',
      'bull:{crm-ingest}:crm-ingest:prioritized',
      'bull:{media-probe}:crm-ingest:prioritized',
    );

    const run = checkK8s({ K8S_DIR: copy });
    assert.equal(run.status, 1, run.stdout);
    for (const expected of [
      /redis-cluster overlay: ConfigMap callintake-redis: REDIS_CLUSTER_NODES expected host:port/,
      /redis-cluster overlay: REDIS_CLUSTER_NODES is not set in every Deployment/,
      /rendered overlays\/redis-cluster: Deployment media-prober has no REDIS_CLUSTER_NODES/,
      /keda-redis-cluster: ScaledObject media-prober: listName bull:media-probe:wait is not bull:\{media-probe\}:media-probe:wait or bull:\{media-probe\}:media-probe:prioritized/,
      /keda-redis-cluster: ScaledObject media-prober: no trigger on bull:\{media-probe\}:media-probe:wait/,
      /ScaledObject crm-ingester: listName bull:\{media-probe\}:crm-ingest:prioritized is not .*\(queue crm-ingest\)/,
      /rendered redis-cluster overlay with keda-redis-cluster: ScaledObject media-prober: addressesFromEnv REDIS_CLUSTER_NODES is no env of Deployment media-prober/,
    ])
      assert.match(run.stderr, expected);
  });
});

// What KEDA's redis and redis-cluster scalers run on listName: ZCARD for a sorted set, LLEN
// otherwise (an absent key counts 0).
const KEDA_COUNT = `local kind = redis.call('type', KEYS[1]).ok
if kind == 'zset' then return redis.call('zcard', KEYS[1]) end
return redis.call('llen', KEYS[1])`;

describe('keda-redis-cluster triggers on a real Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  let redis: RedisClient | undefined;
  const queues: Queue[] = [];
  after(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    redis?.disconnect();
    await cluster?.stop();
  });

  it('count the jobs BullMQ keeps under each queue’s cluster prefix, prioritized and not', async () => {
    cluster = await startRedisCluster({ masters: 3 });
    const settings: RedisSettings = cluster.settings('');
    redis = workerConnection(settings);
    const patches = join(WORKSPACE_ROOT, 'k8s/components/keda-redis-cluster/patches');
    const files = readdirSync(patches);
    assert.equal(files.length, 4, 'one patch per scaled worker');
    for (const file of files) {
      const [op] = parse(readFileSync(join(patches, file), 'utf8')) as Doc[];
      const triggers = op?.['value'] as Doc[];
      const queueName = /\{([^}]+)\}/.exec(String(triggers[0]?.['metadata'].listName))?.[1] as QueueName;
      // As the services do in cluster mode (REDIS_CLUSTER_NODES set).
      const queue: Queue = new Queue(queueName, {
        connection: redis,
        prefix: queuePrefix(settings)(queueName),
      });
      queues.push(queue);
      for (let n = 0; n < 3; n++) await queue.add('job', { n }, { jobId: `p${n}`, priority: 2 });
      for (let n = 0; n < 2; n++) await queue.add('job', { n }, { jobId: `w${n}` });
      const counts: Record<string, number> = await queue.getJobCounts('wait', 'prioritized');
      assert.deepEqual(counts, { wait: 2, prioritized: 3 }, `${queueName}: jobs added`);
      const counted: Record<string, number> = {};
      for (const trigger of triggers) {
        const listName = String(trigger['metadata'].listName);
        counted[listName.split(':').at(-1) as string] = Number(await redis.eval(KEDA_COUNT, 1, listName));
      }
      assert.deepEqual(counted, counts, `${file}: KEDA counts what BullMQ holds`);
    }
  });
});

describe('promtool check rules', () => {
  it('passes on the rules file and fails on a broken expression', () => {
    const ok = spawnSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const broken = join(folder.path, 'broken.rules.yaml');
    writeFileSync(
      broken,
      readFileSync(RULES, 'utf8').replace('max by (namespace, queue)', 'max by (namespace, queue'),
    );
    const failed = spawnSync(promtool, ['check', 'rules', broken], { encoding: 'utf8' });
    assert.notEqual(failed.status, 0);
    assert.match(failed.stdout + failed.stderr, /parse error|unclosed|unexpected/i);
  });
});

// promtool compares annotations too; they are templates checked by `promtool check rules`, so
// the unit tests run on a copy without them and test what fires, with which labels.
const series = (name: string, labels: Record<string, string>, values: string) => ({
  series: `${name}{${Object.entries({ namespace: 'callintake', ...labels })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`,
  values,
});
const firing = (labels: Record<string, string>) => ({ exp_labels: { namespace: 'callintake', ...labels } });

const TESTS = [
  {
    name: 'a failure fires for an hour; a new series with failures fires too',
    input_series: [
      series('callintake_tenant_files_total', { tenant: 'acme', outcome: 'failed', pod: 'a' }, '0x30 1x90'),
      series('callintake_tenant_files_total', { tenant: 'acme', outcome: 'failed', pod: 'b' }, '0x30 1x90'),
      series('callintake_tenant_files_total', { tenant: 'globex', outcome: 'failed', pod: 'a' }, '_x60 1x70'),
    ],
    alert_rule_test: [
      { eval_time: '20m', alertname: 'CallintakeFilesFailed', exp_alerts: [] },
      {
        eval_time: '70m',
        alertname: 'CallintakeFilesFailed',
        exp_alerts: [
          firing({ severity: 'warning', tenant: 'acme' }),
          firing({ severity: 'warning', tenant: 'globex' }),
        ],
      },
      { eval_time: '125m', alertname: 'CallintakeFilesFailed', exp_alerts: [] },
    ],
  },
  {
    name: 'a queue whose oldest job waits past its threshold, once for two status-api replicas',
    input_series: [
      series(
        'callintake_queue_oldest_waiting_seconds',
        { queue: 'media-probe', pod: 'a' },
        '0x10 1000+60x20',
      ),
      series(
        'callintake_queue_oldest_waiting_seconds',
        { queue: 'media-probe', pod: 'b' },
        '0x10 1000+60x20',
      ),
      series('callintake_queue_oldest_waiting_seconds', { queue: 'call-match', pod: 'a' }, '300x30'),
      series('callintake_queue_oldest_waiting_seconds', { queue: 'retention', pod: 'a' }, '3600x30'),
    ],
    alert_rule_test: [
      { eval_time: '13m', alertname: 'CallintakeQueueStalled', exp_alerts: [] },
      {
        eval_time: '25m',
        alertname: 'CallintakeQueueStalled',
        exp_alerts: [firing({ severity: 'critical', queue: 'media-probe' })],
      },
    ],
  },
  {
    name: 'a tenant silent past its expected interval; none without one, none while uploading',
    input_series: [
      series('callintake_tenant_last_upload_timestamp_seconds', { tenant: 'acme' }, '0x180'),
      series('callintake_tenant_expected_upload_interval_seconds', { tenant: 'acme' }, '3600x180'),
      series('callintake_tenant_last_upload_timestamp_seconds', { tenant: 'globex' }, '0x180'),
      series('callintake_tenant_last_upload_timestamp_seconds', { tenant: 'busy' }, '0+60x180'),
      series('callintake_tenant_expected_upload_interval_seconds', { tenant: 'busy' }, '3600x180'),
    ],
    alert_rule_test: [
      { eval_time: '70m', alertname: 'CallintakeTenantSilent', exp_alerts: [] },
      {
        eval_time: '2h',
        alertname: 'CallintakeTenantSilent',
        exp_alerts: [firing({ severity: 'warning', tenant: 'acme' })],
      },
    ],
  },
  {
    name: 'a rejection spike against the tenant’s own rate; a steadily high rate stays quiet',
    input_series: [
      series('callintake_tenant_files_total', { tenant: 'acme', outcome: 'processed' }, '0+10x420'),
      series('callintake_tenant_files_total', { tenant: 'acme', outcome: 'rejected' }, '0x360 0+5x60'),
      series('callintake_tenant_files_total', { tenant: 'steady', outcome: 'processed' }, '0+7x420'),
      series('callintake_tenant_files_total', { tenant: 'steady', outcome: 'rejected' }, '0+3x420'),
    ],
    alert_rule_test: [
      { eval_time: '6h20m', alertname: 'CallintakeTenantRejectionSpike', exp_alerts: [] },
      {
        eval_time: '7h',
        alertname: 'CallintakeTenantRejectionSpike',
        exp_alerts: [firing({ severity: 'warning', tenant: 'acme' })],
      },
    ],
  },
  {
    name: 'Redis that may evict keys',
    input_series: [
      series('callintake_redis_maxmemory_policy_ok', { policy: 'allkeys-lru', pod: 'a' }, '0x10'),
      series('callintake_redis_maxmemory_policy_ok', { policy: 'allkeys-lru', pod: 'b' }, '0x10'),
    ],
    alert_rule_test: [
      {
        eval_time: '8m',
        alertname: 'CallintakeRedisEvictionPolicy',
        exp_alerts: [firing({ severity: 'critical', policy: 'allkeys-lru' })],
      },
    ],
  },
  {
    name: 'workers not ready, and a service with no ready pod; other namespaces and apps ignored',
    input_series: [
      series('kube_deployment_status_replicas_unavailable', { deployment: 'matcher' }, '1x30'),
      series('kube_deployment_status_replicas_available', { deployment: 'matcher' }, '0x30'),
      series('kube_deployment_status_replicas_available', { deployment: 'status-api' }, '2x30'),
      series('kube_deployment_status_replicas_unavailable', { deployment: 'someone-else' }, '1x30'),
      {
        series: 'kube_deployment_status_replicas_unavailable{namespace="other",deployment="matcher"}',
        values: '1x30',
      },
    ],
    alert_rule_test: [
      { eval_time: '10m', alertname: 'CallintakeWorkersNotReady', exp_alerts: [] },
      {
        eval_time: '20m',
        alertname: 'CallintakeWorkersNotReady',
        exp_alerts: [firing({ severity: 'warning', deployment: 'matcher' })],
      },
      {
        eval_time: '10m',
        alertname: 'CallintakeServiceDown',
        exp_alerts: [firing({ severity: 'critical', deployment: 'matcher' })],
      },
    ],
  },
  {
    name: 'no metrics at all',
    input_series: [],
    alert_rule_test: [
      {
        eval_time: '15m',
        alertname: 'CallintakeMetricsAbsent',
        exp_alerts: [firing({ severity: 'critical' })],
      },
    ],
  },
  {
    name: 'metrics present: no absence alert',
    input_series: [series('callintake_queue_backlog', { queue: 'media-probe', pod: 'a' }, '0x20')],
    alert_rule_test: [{ eval_time: '15m', alertname: 'CallintakeMetricsAbsent', exp_alerts: [] }],
  },
];

describe('promtool test rules', () => {
  it('fires each alert when the runbook says, with its labels, and not otherwise', () => {
    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Doc[] }> };
    for (const group of rules.groups) for (const rule of group.rules) delete rule['annotations'];
    const rulesCopy = join(folder.path, 'rules.yaml');
    writeFileSync(rulesCopy, stringify(rules));
    const tested = new Set(TESTS.flatMap((test) => test.alert_rule_test.map((t) => t.alertname)));
    const alerts = new Set(
      rules.groups.flatMap((group) => group.rules.flatMap((rule) => rule['alert'] ?? [])),
    );
    assert.deepEqual(
      [...alerts].filter((name) => !tested.has(name)),
      [],
      'every alert has a unit test',
    );

    const testFile = join(folder.path, 'rules.test.yaml');
    writeFileSync(
      testFile,
      stringify({
        rule_files: [rulesCopy],
        evaluation_interval: '1m',
        tests: TESTS.map(({ name, ...test }) => ({ interval: '1m', ...test, name })),
      }),
    );
    const run = spawnSync(promtool, ['test', 'rules', testFile], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });
});
