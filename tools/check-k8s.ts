// CI check of k8s/base and k8s/overlays/dev: the manifests parse, are what tools/gen-k8s.ts
// generates, run an app that exists, set only environment variables the services read, and
// every worker queue has a scaler (or is a single-replica scheduler). The dev overlay's tenants
// file validates, its Secret has every key the base reads, its REDIS_URL names its own Redis
// Service, and (where kubectl is installed) both build with kustomize. Run by .ci/run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { commonEnv, parseApiTokens, statusApiEnv } from '@callintake/config';
import { JOB_QUEUE } from '@callintake/queues';
import { ALL_STAGES } from '@callintake/services';
import { parseTenantsFile } from '@callintake/schemas';

const GENERATED = [
  'k8s/base/services.yaml',
  'k8s/base/kustomization.yaml',
  'k8s/overlays/dev/kustomization.yaml',
  'k8s/overlays/dev/redis.yaml',
  'k8s/overlays/dev/tenants.yaml',
  'k8s/overlays/dev/secret.env',
];

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

const committed = new Map(
  GENERATED.map((path) => [path, existsSync(path) ? readFileSync(path, 'utf8') : undefined]),
);
execFileSync(process.execPath, ['--import', 'tsx', 'tools/gen-k8s.ts']);
for (const [path, before] of committed)
  if (readFileSync(path, 'utf8') !== before)
    problems.push(`${path} is not what tools/gen-k8s.ts generates: run it and commit`);

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
const singleReplica = new Set(
  ALL_STAGES.filter((stage) => stage.replicas.max === 1).flatMap((stage) => stage.consumes),
);

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
for (const { name: app } of ALL_STAGES) {
  if (!deployments.some((d) => d.metadata.name === app)) problems.push(`no Deployment for ${app}`);
}
for (const queue of workerQueues) {
  if (!scaled.has(queue) && !singleReplica.has(queue)) problems.push(`queue ${queue} has no ScaledObject`);
}

// The dev overlay.
const DEV = 'k8s/overlays/dev';
const kustomization = parseYaml(readFileSync(`${DEV}/kustomization.yaml`, 'utf8')) as {
  resources: string[];
  configMapGenerator: Array<{ name: string; files: string[] }>;
  secretGenerator: Array<{ name: string; envs: string[] }>;
};
for (const resource of kustomization.resources)
  if (!existsSync(`${DEV}/${resource}`)) problems.push(`dev overlay: resource ${resource} does not exist`);
const devDocs = parseAllDocuments(readFileSync(`${DEV}/redis.yaml`, 'utf8')).map((doc) => {
  if (doc.errors.length) problems.push(`redis.yaml: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as { kind: string; metadata: { name: string } };
});
const podSpecs = deployments.map(
  (d) =>
    (
      d.spec as {
        template: {
          spec: {
            volumes: Array<{ configMap?: { name: string } }>;
            containers: Array<{
              env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
            }>;
          };
        };
      }
    ).template.spec,
);
const configMaps = new Set(
  podSpecs.flatMap((spec) => spec.volumes.flatMap((v) => (v.configMap ? [v.configMap.name] : []))),
);
for (const name of configMaps) {
  const generator = kustomization.configMapGenerator.find((g) => g.name === name);
  if (!generator) problems.push(`dev overlay: no ConfigMap ${name}, which the base mounts`);
  for (const file of generator?.files ?? []) {
    const tenants = parseTenantsFile(parseYaml(readFileSync(`${DEV}/${file}`, 'utf8')));
    if (!tenants.ok)
      problems.push(`dev overlay: ${file} is not a valid tenants file: ${tenants.errors.join('; ')}`);
  }
}
const secretKeys = new Map<string, Set<string>>();
for (const generator of kustomization.secretGenerator) {
  const keys = new Map<string, string>();
  for (const file of generator.envs)
    for (const line of readFileSync(`${DEV}/${file}`, 'utf8').split('\n')) {
      const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
      if (match) keys.set(match[1] as string, match[2] as string);
    }
  secretKeys.set(generator.name, new Set(keys.keys()));
  const redisUrl = keys.get('REDIS_URL');
  if (redisUrl) {
    const host = new URL(redisUrl).hostname;
    if (!devDocs.some((d) => d.kind === 'Service' && d.metadata.name === host))
      problems.push(`dev overlay: REDIS_URL names host ${host}, which is no Service of the overlay`);
  }
  const tokens = keys.get('STATUS_API_TOKENS');
  if (tokens !== undefined && parseApiTokens(tokens).size === 0)
    problems.push('dev overlay: STATUS_API_TOKENS holds no token');
}
for (const spec of podSpecs)
  for (const container of spec.containers)
    for (const variable of container.env) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref && !secretKeys.get(ref.name)?.has(ref.key))
        problems.push(`dev overlay: Secret ${ref.name} has no key ${ref.key} (env ${variable.name})`);
    }
if (!devDocs.some((d) => d.kind === 'Deployment' && d.metadata.name === 'redis'))
  problems.push('dev overlay: no Redis Deployment');

// kustomize itself, where it is installed (kubectl bundles it).
let built = 'kubectl not on PATH: kustomize build not run';
try {
  execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  for (const dir of ['k8s/base', DEV]) {
    try {
      const rendered = execFileSync('kubectl', ['kustomize', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const kinds = parseAllDocuments(rendered).map((doc) => (doc.toJS() as { kind: string }).kind);
      if (dir === DEV && kinds.includes('ScaledObject')) problems.push('dev overlay still has ScaledObjects');
      if (
        dir === DEV &&
        !['ConfigMap', 'Secret', 'PersistentVolumeClaim'].every((kind) => kinds.includes(kind))
      )
        problems.push('dev overlay: kustomize output lacks its ConfigMap, Secret or volume claim');
    } catch (error) {
      problems.push(
        `kubectl kustomize ${dir} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`,
      );
    }
  }
  built = 'base and dev overlay build with kustomize';
} catch {
  // kubectl absent: the checks above still ran.
}

if (problems.length) {
  console.error(`k8s check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `k8s check: ${docs.length} manifests, ${deployments.length} deployments, ${scaled.size} scaled queues, dev overlay with Redis; ${built}: ok`,
);
