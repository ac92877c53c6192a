// CI check of k8s/base: the manifests parse, are what tools/gen-k8s.mjs generates, run an app
// that exists, set only environment variables the services read, and every worker queue has a
// scaler (or is a single-replica scheduler). Run by .ci/run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { commonEnv, statusApiEnv } from '@callintake/config';
import { JOB_QUEUE } from '@callintake/queues';

const problems: string[] = [];
const text = readFileSync('k8s/base/services.yaml', 'utf8');
const docs = parseAllDocuments(text).map((doc) => {
  if (doc.errors.length) problems.push(`services.yaml: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as {
    kind: string;
    metadata: { name: string; labels?: Record<string, string> };
    spec: Record<string, unknown>;
  };
});

const before = text;
execFileSync(process.execPath, ['tools/gen-k8s.mjs']);
if (readFileSync('k8s/base/services.yaml', 'utf8') !== before)
  problems.push('k8s/base/services.yaml is not what tools/gen-k8s.mjs generates: run it and commit');

const knownEnv = new Set([
  ...Object.keys(commonEnv),
  ...Object.keys(statusApiEnv),
  'APP',
  'HEALTH_PORT',
  'NODE_ENV',
]);
const deployments = docs.filter((d) => d.kind === 'Deployment');
const workerQueues = new Set(
  Object.values(JOB_QUEUE).filter((q) => q !== 'calls-ready' && q !== 'calls-updated'),
);
const scaled = new Set(
  docs.filter((d) => d.kind === 'ScaledObject').map((d) => d.metadata.labels?.['callintake.io/queue']),
);
const singleReplica = new Set(['intake-scan', 'retention']);

for (const deployment of deployments) {
  const containers = (
    deployment.spec as {
      template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
    }
  ).template.spec.containers;
  for (const container of containers) {
    const app = container.env.find((e) => e.name === 'APP')?.value;
    if (!app || !existsSync(`apps/${app}/src/main.ts`))
      problems.push(`${deployment.metadata.name}: APP=${app} is not an app in apps/`);
    for (const variable of container.env)
      if (!knownEnv.has(variable.name))
        problems.push(`${deployment.metadata.name}: env ${variable.name} is read by no service`);
  }
}
for (const app of [
  'intake-watcher',
  'media-prober',
  'metadata-parser',
  'crm-ingester',
  'matcher',
  'retention',
  'status-api',
]) {
  if (!deployments.some((d) => d.metadata.name === app)) problems.push(`no Deployment for ${app}`);
}
for (const queue of workerQueues) {
  if (!scaled.has(queue) && !singleReplica.has(queue)) problems.push(`queue ${queue} has no ScaledObject`);
}

if (problems.length) {
  console.error(`k8s check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `k8s check: ${docs.length} manifests, ${deployments.length} deployments, ${scaled.size} scaled queues: ok`,
);
