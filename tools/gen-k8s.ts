// Writes every Kubernetes manifest from the services' own stage definitions (the one service →
// queue list), so every Deployment gets the same probes, security context and shutdown budget:
//   k8s/base                              Deployments, status-api Service, PDBs, KEDA ScaledObjects
//   k8s/overlays/dev                      the base on a dev cluster, with its own Redis
//   k8s/overlays/prod                     namespace (Pod Security "restricted"), image, NetworkPolicies
//   k8s/overlays/redis-cluster            prod on a Redis Cluster (REDIS_CLUSTER_NODES)
//   k8s/components/prometheus-operator    ServiceMonitor + PrometheusRule (optional component)
//   k8s/components/keda-redis-cluster     KEDA reads the cluster's queue keys, not Prometheus (optional)
//   k8s/prometheus/callintake.rules.yaml  the same rules as a plain rules file (promtool, plain Prometheus)
// Run after changing services: node --import tsx tools/gen-k8s.ts (K8S_OUT=dir writes elsewhere;
// tools/check-k8s.ts does that and compares).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { stringify } from 'yaml';
import { QUEUE_NAMES, queuePrefix, type QueueName } from '@callintake/queues';
import { parsers } from '@callintake/config';
import { ALL_STAGES } from '@callintake/services';

const OUT = process.env['K8S_OUT'] || 'k8s';

// ---------------------------------------------------------------------------------------------
// Where things are. The prod overlay, the KEDA queries and the alert rules name the namespace:
// Prometheus labels every series with its target's namespace, and two installs in one cluster
// must not read each other's backlog.
const NAMESPACE = 'callintake';
/** Prometheus (KEDA reads the backlog from it; NetworkPolicy lets it scrape status-api). */
const MONITORING_NAMESPACE = 'monitoring';
const PROMETHEUS_URL = `http://prometheus.${MONITORING_NAMESPACE}.svc:9090`;
/** The OpenTelemetry collector the prod overlay exports traces to (OTLP/HTTP). */
const OTLP = { namespace: MONITORING_NAMESPACE, service: 'otel-collector', port: 4318 };
/** Where the README is browsable; alert annotations link `<this>#<alert>` (README "Runbook"). */
const RUNBOOK_BASE = 'README.md';
const PROD_IMAGE = {
  newName: 'registry.example.com/callintake',
  newTag: (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version,
};

/**
 * Seed nodes of the Redis Cluster overlay (REDIS_CLUSTER_NODES): one is enough, the client
 * learns the others from CLUSTER SLOTS. An ElastiCache/MemoryDB configuration endpoint is one.
 */
const REDIS_CLUSTER_SEEDS = 'redis-cluster.example.com:6379';
const CLUSTER_NODES = parsers.redisNodes(REDIS_CLUSTER_SEEDS);

const HEALTH_PORT = 9464;
const STATUS_PORT = 3000;
/** On SIGTERM active jobs get this long; the process exits at most 1 s later (README "Configuration"). */
const SHUTDOWN_DEADLINE_MS = 25_000;
/** Above the deadline + 1 s exit + 2 s margin, so the kubelet never SIGKILLs a draining worker. */
const GRACE_SECONDS = 40;
if (GRACE_SECONDS < SHUTDOWN_DEADLINE_MS / 1000 + 3)
  throw new Error('terminationGracePeriodSeconds must exceed SHUTDOWN_DEADLINE_MS by 3 s or more');

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
const SERVICES = [...Object.keys(WORKERS), 'status-api'];
/** Services that open customers' upload areas and archives (SFTP, S3): the only ones with that egress. */
const FILE_WORKERS = ['intake-watcher', 'media-prober', 'metadata-parser', 'crm-ingester', 'retention'];

/**
 * Memory from the benchmarks' peak RSS (README "Benchmarks"): the request is above the measured
 * peak, the limit leaves room for WORKER_CONCURRENCY jobs at once. No CPU limits: throttling a
 * worker only makes its backlog older; requests reserve what the work needs.
 */
const RESOURCES: Record<string, { cpu: string; memory: string; limit: string; basis: string }> = {
  'intake-watcher': {
    cpu: '200m',
    memory: '320Mi',
    limit: '512Mi',
    basis: 'scan of 100k files: 203-271 MiB',
  },
  'media-prober': { cpu: '250m', memory: '128Mi', limit: '256Mi', basis: 'ranged reads, ~100 MiB' },
  'metadata-parser': { cpu: '500m', memory: '256Mi', limit: '512Mi', basis: '1M-row CSV: 185-196 MiB' },
  'crm-ingester': { cpu: '250m', memory: '320Mi', limit: '512Mi', basis: '1M CRM rows: 284 MiB' },
  matcher: { cpu: '250m', memory: '128Mi', limit: '256Mi', basis: '~100 MiB' },
  retention: { cpu: '50m', memory: '128Mi', limit: '256Mi', basis: '~100 MiB' },
  'status-api': { cpu: '100m', memory: '128Mi', limit: '256Mi', basis: '~100 MiB' },
};

/**
 * KEDA per scaled worker. `perReplica`: backlog one replica should take (HPA AverageValue:
 * replicas = ceil(backlog / perReplica)); a job's cost sets it (a CSV batch is heavy, a match
 * light). `scaleDownSeconds`: how long the backlog must stay low before replicas are removed
 * (KEDA's cooldownPeriod only applies to scaling to zero, which minReplicaCount 1 never does).
 */
const SCALING: Record<string, { perReplica: number; scaleDownSeconds: number }> = {
  'media-prober': { perReplica: 50, scaleDownSeconds: 300 },
  'metadata-parser': { perReplica: 10, scaleDownSeconds: 600 },
  'crm-ingester': { perReplica: 5, scaleDownSeconds: 600 },
  matcher: { perReplica: 100, scaleDownSeconds: 300 },
};
/** Replicas KEDA holds while it cannot read the backlog (Prometheus down, status-api not scraped). */
const FALLBACK_REPLICAS = 2;

/** How long a job may wait before an alert (oldest waiting age), per queue. */
const STALL: Record<QueueName, { minutes: number; severity: 'critical' | 'warning' }> = {
  'intake-scan': { minutes: 10, severity: 'critical' },
  'media-probe': { minutes: 15, severity: 'critical' },
  'metadata-parse': { minutes: 15, severity: 'critical' },
  'crm-ingest': { minutes: 30, severity: 'critical' },
  'call-match': { minutes: 10, severity: 'critical' },
  retention: { minutes: 120, severity: 'warning' },
  'calls-ready': { minutes: 30, severity: 'warning' },
  'calls-updated': { minutes: 30, severity: 'warning' },
};
for (const queue of QUEUE_NAMES) if (!STALL[queue]) throw new Error(`no stall threshold for queue ${queue}`);
for (const { name } of SCALED) if (!SCALING[name]) throw new Error(`no KEDA settings for ${name}`);
for (const name of SERVICES) if (!RESOURCES[name]) throw new Error(`no resources for ${name}`);

// ---------------------------------------------------------------------------------------------
const header = '# Generated by tools/gen-k8s.ts; edit that script, not this file.\n';
const PART_OF = { 'app.kubernetes.io/part-of': 'callintake' };
const prettierOptions = { ...(await resolveConfig('k8s/x.yaml')), parser: 'yaml' };

async function write(path: string, docs: object | object[], comment = ''): Promise<void> {
  const list = Array.isArray(docs) ? docs : [docs];
  const body = list.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
  const text = await format(header + comment + body, prettierOptions);
  mkdirSync(dirname(join(OUT, path)), { recursive: true });
  writeFileSync(join(OUT, path), text);
}
/** Text as written, YAML through prettier (the repository's format check covers k8s/). */
async function writeText(path: string, text: string): Promise<void> {
  mkdirSync(dirname(join(OUT, path)), { recursive: true });
  writeFileSync(join(OUT, path), path.endsWith('.yaml') ? await format(text, prettierOptions) : text);
}

/** What Pod Security "restricted" asks of every container, and a read-only root filesystem. */
const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
const podSecurity = (uid: number, gid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: gid,
  fsGroup: gid,
  seccompProfile: { type: 'RuntimeDefault' },
});

function deployment(
  name: string,
  { port, extraEnv = [], queue }: { port: number; extraEnv?: object[]; queue?: string },
) {
  const scaled = SCALED.some((stage) => stage.name === name);
  const { cpu, memory, limit } = RESOURCES[name] as (typeof RESOURCES)[string];
  const isApi = name === 'status-api';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/name': name,
        ...PART_OF,
        ...(queue ? { 'callintake.io/queue': queue } : {}),
      },
    },
    spec: {
      // KEDA owns the replica count of a scaled worker: a `replicas` here would reset it on
      // every apply. The others run one replica (schedulers) or an overlay sets it.
      ...(scaled ? {} : { replicas: 1 }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: {
          labels: { 'app.kubernetes.io/name': name, ...PART_OF },
          // For a Prometheus that discovers pods by annotation; the Prometheus Operator uses
          // the ServiceMonitor of k8s/components/prometheus-operator instead.
          ...(isApi
            ? {
                annotations: {
                  'prometheus.io/scrape': 'true',
                  'prometheus.io/port': String(STATUS_PORT),
                  'prometheus.io/path': '/metrics',
                },
              }
            : {}),
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: GRACE_SECONDS,
          securityContext: podSecurity(1000, 1000),
          containers: [
            {
              name,
              // Tagged by the overlay (kustomize `images:`), never :latest.
              image: 'callintake',
              env: [
                { name: 'APP', value: name },
                { name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'callintake', key: 'REDIS_URL' } } },
                { name: 'INGEST_TENANTS', value: '/etc/callintake/tenants.yaml' },
                { name: 'SHUTDOWN_DEADLINE_MS', value: String(SHUTDOWN_DEADLINE_MS) },
                ...extraEnv,
              ],
              ports: [{ name: isApi ? 'http' : 'health', containerPort: port }],
              livenessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 30, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port }, periodSeconds: 10 },
              resources: { requests: { cpu, memory }, limits: { memory: limit } },
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'tenants', mountPath: '/etc/callintake', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'tenants', configMap: { name: 'callintake-tenants' } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// k8s/base
const base: object[] = [];
for (const [name, queue] of Object.entries(WORKERS))
  base.push(
    deployment(name, {
      port: HEALTH_PORT,
      queue,
      extraEnv: [{ name: 'HEALTH_PORT', value: String(HEALTH_PORT) }],
    }),
  );
base.push(
  deployment('status-api', {
    port: STATUS_PORT,
    extraEnv: [
      { name: 'STATUS_PORT', value: String(STATUS_PORT) },
      {
        name: 'STATUS_API_TOKENS',
        valueFrom: { secretKeyRef: { name: 'callintake', key: 'STATUS_API_TOKENS' } },
      },
    ],
  }),
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'status-api', labels: { 'app.kubernetes.io/name': 'status-api', ...PART_OF } },
    spec: {
      selector: { 'app.kubernetes.io/name': 'status-api' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  },
  ...SERVICES.map((name) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, labels: PART_OF },
    spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
  })),
);

// KEDA scales each worker on its own queue's backlog. BullMQ keeps prioritized jobs out of the
// wait list, so a list-length trigger would miss them: scale on the status API's
// callintake_queue_backlog (waiting + prioritized) through Prometheus. Every status-api replica
// reports the same global figure, so max(), not sum(); the namespace keeps other installs out.
// An empty answer is an error (ignoreNullValues false), not a zero: KEDA then holds the
// fallback replicas and marks the ScaledObject not ready, instead of never scaling in silence.
const backlogQuery = (queue: string) =>
  `max(callintake_queue_backlog{namespace="${NAMESPACE}",queue="${queue}"})`;
for (const { name, consumes, replicas } of SCALED) {
  const queue = consumes[0] as string;
  const { perReplica, scaleDownSeconds } = SCALING[name] as (typeof SCALING)[string];
  base.push({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, labels: { ...PART_OF, 'callintake.io/queue': queue } },
    spec: {
      scaleTargetRef: { name },
      minReplicaCount: replicas.min,
      maxReplicaCount: replicas.max,
      pollingInterval: 15,
      fallback: { failureThreshold: 3, replicas: Math.min(FALLBACK_REPLICAS, replicas.max) },
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            // Each removed pod drains for up to SHUTDOWN_DEADLINE_MS: remove few at a time.
            scaleDown: {
              stabilizationWindowSeconds: scaleDownSeconds,
              policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }],
            },
          },
        },
      },
      triggers: [
        {
          type: 'prometheus',
          metadata: {
            serverAddress: PROMETHEUS_URL,
            query: backlogQuery(queue),
            threshold: String(perReplica),
            ignoreNullValues: 'false',
          },
        },
      ],
    },
  });
}

await write('base/services.yaml', base);
await writeText(
  'base/kustomization.yaml',
  `${header}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - services.yaml
# An overlay supplies:
#   images: callintake (a tag or digest; the base names no tag)
#   ConfigMap callintake-tenants (tenants.yaml)
#   Secret callintake (REDIS_URL, STATUS_API_TOKENS)
# Prometheus must scrape status-api /metrics (pod annotations here, or the ServiceMonitor of
# k8s/components/prometheus-operator): KEDA reads callintake_queue_backlog from it.
`,
);

// ---------------------------------------------------------------------------------------------
// k8s/overlays/dev: the base on a dev cluster (kind, minikube, k3d) with its own Redis, a
// sample tenants file, a Secret from a committed dev-only env file, and one volume shared by
// every pod for the local upload area and archive. Dev clusters seldom run KEDA or
// Prometheus, so the overlay drops the ScaledObjects: every worker runs one replica.
const DEV = 'overlays/dev';
const DEV_DATA = '/srv/callintake';
const REDIS_IMAGE =
  'redis:7.4-alpine@sha256:ff02b58f971e7d7d156a1267e283fcbbeee91773b6aa36c49dac28ecfe28eadf';
const redis = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'redis', labels: { 'app.kubernetes.io/name': 'redis' } },
    spec: {
      replicas: 1,
      // One pod owns the AOF at a time.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'redis' } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // The image's redis user.
          securityContext: podSecurity(999, 1000),
          containers: [
            {
              name: 'redis',
              image: REDIS_IMAGE,
              // What BullMQ asks of Redis: never evict keys, persist with AOF (on a volume claim,
              // so a restarted pod keeps its jobs). maxmemory stays under the container's limit,
              // so Redis refuses writes (which the services report) before the kernel kills it.
              args: [
                '--appendonly',
                'yes',
                '--maxmemory',
                '192mb',
                '--maxmemory-policy',
                'noeviction',
                '--dir',
                '/data',
              ],
              ports: [{ name: 'redis', containerPort: 6379 }],
              livenessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 10 },
              readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5 },
              resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
              securityContext: containerSecurity,
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'redis-data' } }],
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
    metadata: { name: 'redis-data', labels: { 'app.kubernetes.io/name': 'redis' } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'callintake-data', labels: PART_OF },
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
await write(`${DEV}/redis.yaml`, redis);
await writeText(`${DEV}/tenants.yaml`, devTenants);
await writeText(`${DEV}/secret.env`, devSecret);
await writeText(
  `${DEV}/kustomization.yaml`,
  `${header}apiVersion: kustomize.config.k8s.io/v1beta1
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
`,
);

// ---------------------------------------------------------------------------------------------
// k8s/overlays/prod: the base in namespace callintake, which enforces Pod Security
// "restricted"; the image from one place; Redis external (REDIS_URL in Secret callintake, from
// the cluster's secret store, never from git); tenants' source credentials from optional
// Secrets; traces to the OTLP collector; NetworkPolicies; two status-api replicas; and the
// Prometheus Operator component (ServiceMonitor + PrometheusRule).
const PROD = 'overlays/prod';
const dnsEgress = {
  to: [
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    },
  ],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};
const namespaceOf = (name: string) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
});
const networkPolicies = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', labels: PART_OF },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'callintake-egress', labels: PART_OF },
    spec: {
      podSelector: { matchLabels: PART_OF },
      policyTypes: ['Egress'],
      egress: [
        dnsEgress,
        // Redis is external (a managed service or another namespace): its port, TLS or not.
        // Narrow with `to: [{ ipBlock: { cidr: <Redis's network> } }]` where its address is fixed.
        {
          ports: [
            { protocol: 'TCP', port: 6379 },
            { protocol: 'TCP', port: 6380 },
          ],
        },
        // Traces to the OTLP/HTTP collector.
        { to: [namespaceOf(OTLP.namespace)], ports: [{ protocol: 'TCP', port: OTLP.port }] },
      ],
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'file-workers-egress', labels: PART_OF },
    spec: {
      // Only the services that open upload areas and archives reach SFTP (22) and S3 (443).
      // A tenant on another port (an SFTP server on 2222, S3-compatible storage on 9000) needs
      // its port added here.
      podSelector: {
        matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: FILE_WORKERS }],
      },
      policyTypes: ['Egress'],
      egress: [
        {
          ports: [
            { protocol: 'TCP', port: 22 },
            { protocol: 'TCP', port: 443 },
          ],
        },
      ],
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'status-api-ingress', labels: PART_OF },
    spec: {
      // Callers are pods labelled callintake.io/status-api-client=true in any namespace (label
      // the ingress controller's pods to publish it), and Prometheus. Kubelet probes come from
      // the node, which NetworkPolicies always allow. Workers accept no traffic at all.
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'status-api' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {},
              podSelector: { matchLabels: { 'callintake.io/status-api-client': 'true' } },
            },
            namespaceOf(MONITORING_NAMESPACE),
          ],
          ports: [{ protocol: 'TCP', port: STATUS_PORT }],
        },
      ],
    },
  },
];
const prodNamespace = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: NAMESPACE,
    labels: {
      ...PART_OF,
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    },
  },
};
/** Added to every Deployment (JSON patch: base containers have env and volume lists). */
const prodServicePatch = [
  {
    op: 'add',
    path: '/spec/template/spec/containers/0/env/-',
    value: {
      name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      value: `http://${OTLP.service}.${OTLP.namespace}.svc:${OTLP.port}`,
    },
  },
  {
    op: 'add',
    path: '/spec/template/spec/containers/0/env/-',
    value: { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'deployment.environment=prod' },
  },
  // Tenants' credentials: the variables the tenants file names (passwordEnv,
  // accessKeyIdEnv, ...) from Secret callintake-sources, and key files (privateKeyFile:
  // /run/secrets/callintake/<key>) from Secret callintake-source-keys. Both optional: a tenant
  // on IAM roles or a public archive needs neither. Every service opens every tenant's
  // storage at start, so each needs them; only file workers may connect (NetworkPolicy).
  {
    op: 'add',
    path: '/spec/template/spec/containers/0/envFrom',
    value: [{ secretRef: { name: 'callintake-sources', optional: true } }],
  },
  {
    op: 'add',
    path: '/spec/template/spec/volumes/-',
    value: {
      name: 'source-keys',
      secret: { secretName: 'callintake-source-keys', optional: true, defaultMode: 0o440 },
    },
  },
  {
    op: 'add',
    path: '/spec/template/spec/containers/0/volumeMounts/-',
    value: { name: 'source-keys', mountPath: '/run/secrets/callintake', readOnly: true },
  },
];
const statusApiReplicas = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'status-api' },
  // Two, for availability: every query aggregates them with max(), so nothing double-counts.
  spec: { replicas: 2 },
};
await write(`${PROD}/namespace.yaml`, prodNamespace);
await write(`${PROD}/network-policies.yaml`, networkPolicies);
await write(`${PROD}/patches/every-service.yaml`, [prodServicePatch]);
await write(`${PROD}/patches/status-api.yaml`, statusApiReplicas);
await writeText(
  `${PROD}/kustomization.yaml`,
  `${header}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${NAMESPACE}
resources:
  - namespace.yaml
  - ../../base
  - network-policies.yaml
# ServiceMonitor + PrometheusRule: drop this on a cluster without the Prometheus Operator (then
# scrape status-api by its pod annotations and load k8s/prometheus/callintake.rules.yaml).
components:
  - ../../components/prometheus-operator
# The one place for the image: the release sets it (kustomize edit set image
# callintake=<registry>/callintake:<tag>@sha256:<digest>, or PROD_IMAGE in tools/gen-k8s.ts).
images:
  - name: callintake
    newName: ${PROD_IMAGE.newName}
    newTag: "${PROD_IMAGE.newTag}"
# Not generated here, created from the cluster's secret store:
#   ConfigMap callintake-tenants (tenants.yaml), Secret callintake (REDIS_URL: rediss://...,
#   STATUS_API_TOKENS), optional Secrets callintake-sources and callintake-source-keys.
patches:
  - target:
      kind: Deployment
      labelSelector: app.kubernetes.io/part-of=callintake
    path: patches/every-service.yaml
  - path: patches/status-api.yaml
`,
);

// ---------------------------------------------------------------------------------------------
// k8s/overlays/redis-cluster: prod on a Redis Cluster. Every service reads REDIS_CLUSTER_NODES
// (from a generated ConfigMap: addresses are no secret, and a changed list restarts the pods
// through the name's hash); credentials and TLS stay in REDIS_URL of Secret callintake. The
// ScaledObjects are prod's: they read callintake_queue_backlog, which the status API counts
// under each queue's cluster prefix, so nothing about them changes.
const CLUSTER = 'overlays/redis-cluster';
const CLUSTER_CONFIG_MAP = 'callintake-redis';
const clusterNodesPatch = [
  {
    op: 'add',
    path: '/spec/template/spec/containers/0/env/-',
    value: {
      name: 'REDIS_CLUSTER_NODES',
      valueFrom: { configMapKeyRef: { name: CLUSTER_CONFIG_MAP, key: 'REDIS_CLUSTER_NODES' } },
    },
  },
];
await write(`${CLUSTER}/patches/cluster-nodes.yaml`, [clusterNodesPatch]);
await writeText(
  `${CLUSTER}/kustomization.yaml`,
  `${header}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${NAMESPACE}
# Everything of prod (namespace, image, NetworkPolicies, Prometheus Operator component).
resources:
  - ../prod
# Seed nodes, host:port,...: one is enough (an ElastiCache or MemoryDB configuration endpoint).
# Set yours in REDIS_CLUSTER_SEEDS of tools/gen-k8s.ts, or in an overlay of your own over this
# one. Secret callintake keeps REDIS_URL for the password and TLS: rediss://:<password>@<any host>:6379.
configMapGenerator:
  - name: ${CLUSTER_CONFIG_MAP}
    literals:
      - REDIS_CLUSTER_NODES=${REDIS_CLUSTER_SEEDS}
patches:
  - target:
      kind: Deployment
      labelSelector: app.kubernetes.io/part-of=callintake
    path: patches/cluster-nodes.yaml
# Without Prometheus, let KEDA read the queues in Redis instead (Secret callintake then also
# needs REDIS_PASSWORD):
# components:
#   - ../../components/keda-redis-cluster
`,
);

// ---------------------------------------------------------------------------------------------
// k8s/components/keda-redis-cluster: for a cluster overlay without Prometheus, KEDA's own
// redis-cluster scaler on each queue's keys, under the queue's hash-tagged prefix. BullMQ keeps
// prioritized jobs in a sorted set out of the wait list, and the scaler counts a sorted set too
// (ZCARD), so each ScaledObject has a trigger on each. The HPA scales on the larger of the two,
// not their sum; a queue whose jobs all carry a priority (SPEC "Priority lane") has an empty
// wait list, so that is its backlog.
const KEDA_CLUSTER = 'components/keda-redis-cluster';
const TRIGGER_AUTH = 'callintake-redis';
const clusterPrefix = queuePrefix({ namespace: '', clusterNodes: CLUSTER_NODES });
const backlogKeys = (queue: string) =>
  (['wait', 'prioritized'] as const).map((list) => `${clusterPrefix(queue as QueueName)}:${queue}:${list}`);
const triggerAuthentication = {
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'TriggerAuthentication',
  metadata: { name: TRIGGER_AUTH, labels: PART_OF },
  // KEDA cannot read a password out of REDIS_URL: the Secret holds it once more.
  spec: { secretTargetRef: [{ parameter: 'password', name: 'callintake', key: 'REDIS_PASSWORD' }] },
};
await write(`${KEDA_CLUSTER}/trigger-authentication.yaml`, triggerAuthentication);
for (const { name, consumes } of SCALED) {
  const queue = consumes[0] as string;
  const { perReplica } = SCALING[name] as (typeof SCALING)[string];
  await write(`${KEDA_CLUSTER}/patches/${name}.yaml`, [
    [
      {
        op: 'replace',
        path: '/spec/triggers',
        value: backlogKeys(queue).map((listName) => ({
          type: 'redis-cluster',
          metadata: {
            // The Deployment's own REDIS_CLUSTER_NODES (the overlay's ConfigMap).
            addressesFromEnv: 'REDIS_CLUSTER_NODES',
            listName,
            listLength: String(perReplica),
            // As rediss:// in REDIS_URL; ElastiCache and MemoryDB clusters use TLS.
            enableTLS: 'true',
          },
          authenticationRef: { name: TRIGGER_AUTH },
        })),
      },
    ],
  ]);
}
await writeText(
  `${KEDA_CLUSTER}/kustomization.yaml`,
  `${header}# For k8s/overlays/redis-cluster on a cluster without Prometheus: KEDA reads each queue's wait
# list and prioritized set in Redis (redis-cluster scaler) instead of callintake_queue_backlog.
# Secret callintake must also hold REDIS_PASSWORD (the password in REDIS_URL); for a Redis
# without TLS, patch enableTLS to "false".
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - trigger-authentication.yaml
patches:
${SCALED.map(
  ({ name }) => `  - target:
      kind: ScaledObject
      name: ${name}
    path: patches/${name}.yaml
`,
).join('')}`,
);

// ---------------------------------------------------------------------------------------------
// Alerts and recording rules: one plain rules file (promtool, a Prometheus without the
// Operator) and the same groups in a PrometheusRule.
const WORKLOADS = SERVICES.join('|');
const ns = `namespace="${NAMESPACE}"`;
const runbook = (alert: string) => `${RUNBOOK_BASE}#${alert.toLowerCase()}`;
type Alert = {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: 'critical' | 'warning'; queue?: string };
  annotations: { summary: string; description: string; runbook_url: string };
};
const alert = (
  name: string,
  severity: 'critical' | 'warning',
  expr: string,
  forDuration: string,
  summary: string,
  description: string,
  extraLabels: Record<string, string> = {},
): Alert => ({
  alert: name,
  expr: expr.trim(),
  ...(forDuration === '0m' ? {} : { for: forDuration }),
  labels: { severity, ...extraLabels },
  annotations: { summary, description, runbook_url: runbook(name) },
});

const ruleGroups = [
  {
    name: 'callintake.rules',
    rules: [
      {
        record: 'callintake:tenant_files:increase1h',
        expr: `max by (namespace, tenant, outcome) (increase(callintake_tenant_files_total{${ns}}[1h]))`,
      },
      {
        record: 'callintake:tenant_rejected_ratio:1h',
        expr: `sum by (namespace, tenant) (callintake:tenant_files:increase1h{outcome="rejected"})
/
sum by (namespace, tenant) (callintake:tenant_files:increase1h)`,
      },
      {
        record: 'callintake:tenant_rejected_ratio:7d',
        expr: `sum by (namespace, tenant) (max by (namespace, tenant, outcome) (increase(callintake_tenant_files_total{${ns},outcome="rejected"}[7d])))
/
sum by (namespace, tenant) (max by (namespace, tenant, outcome) (increase(callintake_tenant_files_total{${ns}}[7d])))`,
      },
    ],
  },
  {
    name: 'callintake.alerts',
    rules: [
      alert(
        'CallintakeFilesFailed',
        'warning',
        `
max by (namespace, tenant) (increase(callintake_tenant_files_total{${ns},outcome="failed"}[1h])) > 0
or
(
  max by (namespace, tenant) (callintake_tenant_files_total{${ns},outcome="failed"}) > 0
  unless
  max by (namespace, tenant) (callintake_tenant_files_total{${ns},outcome="failed"} offset 1h)
)`,
        '0m',
        'Files of tenant {{ $labels.tenant }} failed after every attempt',
        'At least one file version of tenant {{ $labels.tenant }} ended failed in the last hour: it stays in data/ until someone retries it.',
      ),
      ...QUEUE_NAMES.map((queue) =>
        alert(
          'CallintakeQueueStalled',
          STALL[queue].severity,
          `max by (namespace, queue) (callintake_queue_oldest_waiting_seconds{${ns},queue="${queue}"}) > ${STALL[queue].minutes * 60}`,
          '5m',
          `Jobs in ${queue} have waited over ${STALL[queue].minutes} minutes`,
          `The oldest job waiting in queue ${queue} is {{ $value | humanizeDuration }} old (threshold ${STALL[queue].minutes} min): its consumers are down, stuck or too few.`,
          { queue },
        ),
      ),
      alert(
        'CallintakeTenantSilent',
        'warning',
        `
time() - max by (namespace, tenant) (callintake_tenant_last_upload_timestamp_seconds{${ns}})
>
max by (namespace, tenant) (callintake_tenant_expected_upload_interval_seconds{${ns}})`,
        '15m',
        'Tenant {{ $labels.tenant }} has not uploaded for longer than expected',
        'No new file from tenant {{ $labels.tenant }} for {{ $value | humanizeDuration }}, longer than its expectUploadsEvery: their export, or our access to their upload area, may be broken.',
      ),
      alert(
        'CallintakeTenantRejectionSpike',
        'warning',
        `
callintake:tenant_rejected_ratio:1h > 0.2
and
callintake:tenant_rejected_ratio:1h > 2 * callintake:tenant_rejected_ratio:7d
and
sum by (namespace, tenant) (callintake:tenant_files:increase1h{outcome="rejected"}) >= 5`,
        '15m',
        'Tenant {{ $labels.tenant }} has many more files rejected than usual',
        '{{ $value | humanizePercentage }} of the files tenant {{ $labels.tenant }} sent in the last hour were rejected, over twice its 7-day rate.',
      ),
      alert(
        'CallintakeRedisEvictionPolicy',
        'critical',
        `min by (namespace, policy) (callintake_redis_maxmemory_policy_ok{${ns}}) == 0`,
        '5m',
        'Redis may evict keys (maxmemory-policy {{ $labels.policy }})',
        'Redis runs with maxmemory-policy {{ $labels.policy }}, not noeviction: under memory pressure it drops queued jobs and file states without a trace.',
      ),
      alert(
        'CallintakeWorkersNotReady',
        'warning',
        `max by (namespace, deployment) (kube_deployment_status_replicas_unavailable{${ns},deployment=~"${WORKLOADS}"}) > 0`,
        '15m',
        '{{ $labels.deployment }} has {{ $value }} replicas not ready',
        'Pods of {{ $labels.deployment }} have not been ready for 15 minutes (Redis unreachable, crash loop, or a wedged worker failing liveness).',
      ),
      alert(
        'CallintakeServiceDown',
        'critical',
        `max by (namespace, deployment) (kube_deployment_status_replicas_available{${ns},deployment=~"${WORKLOADS}"}) == 0`,
        '5m',
        '{{ $labels.deployment }} has no ready replica',
        'No pod of {{ $labels.deployment }} is ready: its queue is not being worked (or the status API is down).',
      ),
      alert(
        'CallintakeMetricsAbsent',
        'critical',
        `absent(callintake_queue_backlog{${ns}})`,
        '10m',
        'Prometheus has no callintake metrics',
        `No status-api /metrics scrape in namespace ${NAMESPACE}: KEDA cannot read the backlog (workers hold their fallback replicas) and every other callintake alert is blind.`,
      ),
    ],
  },
];

await write(
  'prometheus/callintake.rules.yaml',
  { groups: ruleGroups },
  '# Load into Prometheus (rule_files) where the Prometheus Operator is not used.\n',
);
const COMPONENT = 'components/prometheus-operator';
await write(`${COMPONENT}/service-monitor.yaml`, {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'status-api', labels: PART_OF },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': 'status-api' } },
    endpoints: [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
  },
});
await write(`${COMPONENT}/prometheus-rule.yaml`, {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'callintake', labels: PART_OF },
  spec: { groups: ruleGroups },
});
await writeText(
  `${COMPONENT}/kustomization.yaml`,
  `${header}# For clusters with the Prometheus Operator: scrape status-api and load the alert rules. Add the
# labels your Prometheus selects ServiceMonitors and PrometheusRules by (e.g. release: ...).
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - service-monitor.yaml
  - prometheus-rule.yaml
`,
);
