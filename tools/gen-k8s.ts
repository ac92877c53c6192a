// Writes k8s/base from the services' own stage definitions (the one service → queue list), so
// every Deployment gets the same probes, security context and shutdown budget. Run after changing
// services: node --import tsx tools/gen-k8s.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { ALL_STAGES } from '@callintake/services';

/** Worker services by the one queue each consumes; the status API consumes none. */
const WORKERS = Object.fromEntries(
  ALL_STAGES.flatMap((stage) =>
    stage.consumes.length === 1 ? [[stage.name, stage.consumes[0] as string]] : [],
  ),
);
for (const stage of ALL_STAGES)
  if (stage.consumes.length > 1)
    throw new Error(`${stage.name}: a Deployment scales on one queue; it consumes several`);
const SCALED = ALL_STAGES.filter((stage) => stage.consumes.length === 1 && stage.replicas.max > 1);
const HEALTH_PORT = 9464;
// SIGTERM grace must exceed the worker's shutdown deadline (SHUTDOWN_DEADLINE_MS = 25 s).
const GRACE_SECONDS = 40;

const env = (extra: object[] = []) => [
  { name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'callintake', key: 'REDIS_URL' } } },
  { name: 'INGEST_TENANTS', value: '/etc/callintake/tenants.yaml' },
  { name: 'SHUTDOWN_DEADLINE_MS', value: '25000' },
  ...extra,
];

function deployment(
  name: string,
  { port, extraEnv = [], queue }: { port: number; extraEnv?: object[]; queue?: string },
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/name': name,
        'app.kubernetes.io/part-of': 'callintake',
        ...(queue ? { 'callintake.io/queue': queue } : {}),
      },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'callintake' } },
        spec: {
          terminationGracePeriodSeconds: GRACE_SECONDS,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
          containers: [
            {
              name,
              image: 'callintake:latest',
              env: env([{ name: 'APP', value: name }, ...extraEnv]),
              ports: [{ name: 'health', containerPort: port }],
              livenessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 30, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port }, periodSeconds: 10 },
              resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { memory: '512Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tenants', mountPath: '/etc/callintake', readOnly: true }],
            },
          ],
          volumes: [{ name: 'tenants', configMap: { name: 'callintake-tenants' } }],
        },
      },
    },
  };
}

const docs: object[] = [];
for (const [name, queue] of Object.entries(WORKERS)) {
  docs.push(
    deployment(name, {
      port: HEALTH_PORT,
      queue,
      extraEnv: [{ name: 'HEALTH_PORT', value: String(HEALTH_PORT) }],
    }),
  );
}
docs.push(
  deployment('status-api', {
    port: 3000,
    extraEnv: [
      {
        name: 'STATUS_API_TOKENS',
        valueFrom: { secretKeyRef: { name: 'callintake', key: 'STATUS_API_TOKENS' } },
      },
    ],
  }),
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'status-api', labels: { 'app.kubernetes.io/part-of': 'callintake' } },
    spec: {
      selector: { 'app.kubernetes.io/name': 'status-api' },
      ports: [{ name: 'http', port: 80, targetPort: 3000 }],
    },
  },
  ...[...Object.keys(WORKERS), 'status-api'].map((name) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name },
    spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
  })),
);

// KEDA scales each worker on its own queue's real backlog. BullMQ keeps prioritized jobs out
// of the wait list, so a list-length trigger would miss them: scale on the status API's
// callintake_queue_backlog (waiting + prioritized) through Prometheus instead.
for (const { name, consumes, replicas } of SCALED) {
  const queue = consumes[0] as string;
  docs.push({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'callintake', 'callintake.io/queue': queue } },
    spec: {
      scaleTargetRef: { name },
      minReplicaCount: replicas.min,
      maxReplicaCount: replicas.max,
      cooldownPeriod: 300,
      triggers: [
        {
          type: 'prometheus',
          metadata: {
            serverAddress: 'http://prometheus.monitoring.svc:9090',
            query: `sum(callintake_queue_backlog{queue="${queue}"})`,
            threshold: '50',
          },
        },
      ],
    },
  });
}

mkdirSync('k8s/base', { recursive: true });
const header = '# Generated by tools/gen-k8s.ts; edit that script, not this file.\n';
writeFileSync(
  'k8s/base/services.yaml',
  header + docs.map((doc) => JSON.stringify(doc, null, 2)).join('\n---\n') + '\n',
);
writeFileSync(
  'k8s/base/kustomization.yaml',
  `${header}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - services.yaml
# The tenants file and secrets come from the overlay:
#   configMapGenerator: callintake-tenants (tenants.yaml)
#   secretGenerator: callintake (REDIS_URL, STATUS_API_TOKENS)
# Prometheus must scrape status-api /metrics; KEDA reads callintake_queue_backlog from it.
`,
);

// k8s/overlays/dev: the base on a dev cluster (kind, minikube, k3d) with its own Redis, a
// sample tenants file, a Secret from a committed dev-only env file, and one volume shared by
// every pod for the local upload area and archive. Dev clusters seldom run KEDA or
// Prometheus, so the overlay drops the ScaledObjects: every worker runs one replica.
const DEV = 'k8s/overlays/dev';
const DEV_DATA = '/srv/callintake';
const redis = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'redis', labels: { 'app.kubernetes.io/name': 'redis' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'redis' } },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999 },
          containers: [
            {
              name: 'redis',
              image: 'redis:7.4-alpine',
              // What BullMQ asks of production Redis: never evict keys, persist with AOF.
              args: ['--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--dir', '/data'],
              ports: [{ name: 'redis', containerPort: 6379 }],
              livenessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 10 },
              readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5 },
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'redis', labels: { 'app.kubernetes.io/name': 'redis' } },
    spec: {
      selector: { 'app.kubernetes.io/name': 'redis' },
      ports: [{ name: 'redis', port: 6379, targetPort: 6379 }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'callintake-data', labels: { 'app.kubernetes.io/part-of': 'callintake' } },
    // ReadWriteOnce is shared by pods on one node, which is what a dev cluster has.
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
  },
];
const devTenants = `# Sample tenant for the dev overlay: the customer drops files into
# ${DEV_DATA}/acme/upload/data on the callintake-data volume.
tenants:
  - id: acme
    source: { kind: local, root: ${DEV_DATA}/acme/upload }
    archive: { kind: local, root: ${DEV_DATA}/acme/archive }
    timezone: America/New_York
    filenameTime: start
    settleSeconds: 5
    metadata:
      fields:
        datetime: { to: callTime, type: datetime }
        email: { to: userId }
        filename: { to: recordingFile }
        direction: { to: direction }
`;
const devSecret = `# Dev-only values for Secret "callintake" (secretGenerator). Never use these outside a dev
# cluster: production overlays take the Secret from a secret store, not from git.
REDIS_URL=redis://redis:6379
STATUS_API_TOKENS=dev-token:*
`;
const devKustomization = `${header}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
  - redis.yaml
images:
  - name: callintake
    newTag: dev
configMapGenerator:
  - name: callintake-tenants
    files:
      - tenants.yaml
secretGenerator:
  - name: callintake
    envs:
      - secret.env
patches:
  # No KEDA on a dev cluster.
  - target:
      kind: ScaledObject
    patch: |-
      apiVersion: keda.sh/v1alpha1
      kind: ScaledObject
      metadata:
        name: any
      $patch: delete
  # Every service sees the shared upload area and archive.
  - target:
      kind: Deployment
      labelSelector: app.kubernetes.io/part-of=callintake
    patch: |-
      - op: add
        path: /spec/template/spec/volumes/-
        value: { name: data, persistentVolumeClaim: { claimName: callintake-data } }
      - op: add
        path: /spec/template/spec/containers/0/volumeMounts/-
        value: { name: data, mountPath: ${DEV_DATA} }
`;
mkdirSync(DEV, { recursive: true });
writeFileSync(
  `${DEV}/redis.yaml`,
  header + redis.map((doc) => JSON.stringify(doc, null, 2)).join('\n---\n') + '\n',
);
writeFileSync(`${DEV}/tenants.yaml`, devTenants);
writeFileSync(`${DEV}/secret.env`, devSecret);
writeFileSync(`${DEV}/kustomization.yaml`, devKustomization);
