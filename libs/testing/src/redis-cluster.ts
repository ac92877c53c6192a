// A real Redis Cluster for tests (issue 16): N masters, each a redis-server on a free loopback
// port in one temp folder, joined with `redis-cli --cluster create`, and ready only once every
// node says cluster_state:ok and all of them agree who owns each slot. `reshard` moves slots
// with `redis-cli --cluster reshard`, as an operator would, so tests see real MOVED/ASK
// redirections. npm test's cluster pass (tools/cluster-pass.ts) and the tests that need a
// cluster of their own (slot migration, chaos) start one with it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { TestTool } from './test-machine';

const run = promisify(execFile);

/**
 * What the cluster needs besides redis-server (already in TEST_TOOLS): Debian's redis-server
 * depends on redis-tools, but a redis-server from elsewhere may come without redis-cli.
 */
export const REDIS_CLUSTER_TOOLS: readonly TestTool[] = [
  {
    command: 'redis-cli',
    aptPackage: 'redis-tools',
    neededBy: 'the Redis Cluster tests (redis-cli --cluster)',
  },
];

export const REDIS_CLUSTER_HOST = '127.0.0.1';
/** REDIS_URL beside the cluster's nodes: its host is ignored, and it names no credentials. */
const NO_CREDENTIALS_URL = 'redis://127.0.0.1:6379';
/** All 16384 slots: what a healthy cluster covers. */
export const REDIS_CLUSTER_SLOTS = 16_384;
const PORT_RANGE = { low: 20_000, high: 40_000 };
/** Redis listens for its cluster bus on the client port + 10000; both must be free. */
const BUS_PORT_OFFSET = 10_000;
const START_ATTEMPTS = 5;
const READY_TIMEOUT_MS = 30_000;
const CLI_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RedisClusterNode {
  host: string;
  port: number;
}

export interface RedisClusterMaster extends RedisClusterNode {
  id: string;
  /** Slots this master owns, ascending. */
  slots: number[];
}

export interface ReshardResult {
  from: { id: string; port: number };
  to: { id: string; port: number };
  /** The slots that changed owner from `from` to `to`, ascending. */
  slots: number[];
  durationMs: number;
}

export interface RedisClusterHandle {
  nodes: RedisClusterNode[];
  /** "127.0.0.1:p1,127.0.0.1:p2,…": the value for REDIS_CLUSTER_NODES. */
  nodesEnv: string;
  /**
   * Connection settings (RedisSettings of @callintake/queues) for `namespace` on this cluster. In
   * cluster mode the URL only carries credentials, and the test cluster has none.
   */
  settings(namespace: string): {
    url: string;
    namespace: string;
    clusterNodes: RedisClusterNode[];
  };
  /** `{ REDIS_CLUSTER_NODES: nodesEnv }`, to spread into a service's environment. */
  env: Record<string, string>;
  /** The temp folder holding every node's nodes-<port>.conf and redis-<port>.log. */
  dir: string;
  /** How long startRedisCluster took, from the first spawn to every node agreeing. */
  startupMs: number;
  /** Masters with their node ids and slots, as the first node sees them. */
  masters(): Promise<RedisClusterMaster[]>;
  /**
   * Moves `slots` slots from one master to another (node id or port; by default from the master
   * with the most slots to the one with the fewest) and resolves once every node agrees again.
   */
  reshard(options: { slots: number; from?: string | number; to?: string | number }): Promise<ReshardResult>;
  /** FLUSHALL on every master. */
  flushAll(): Promise<void>;
  /** The last lines of every node's log, for a failure message. */
  logs(lines?: number): Promise<string>;
  /** Kills every node and removes the temp folder; safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILLs the node on `port` (a crash): its slots are down until restart(). */
  crash(port: number): Promise<void>;
  /**
   * Starts the node on `port` again with its folder (nodes-<port>.conf, and its AOF with
   * `appendfsync`) and resolves once every node agrees again.
   */
  restart(port: number): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  basePort?: number;
  /** Turns the AOF on (each node's own, in its folder), for crash tests; default off. */
  appendfsync?: 'always' | 'everysec';
}

interface RunningNode extends RedisClusterNode {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Ports handed out in this process, so clusters started side by side never pick the same one. */
const claimedPorts = new Set<number>();
/** Every cluster still running, killed synchronously if the process exits or is signalled first. */
const liveClusters = new Set<{ kill(): void }>();

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masterCount = options.masters ?? 3;
  if (!Number.isInteger(masterCount) || masterCount < 3)
    throw new Error(`a Redis Cluster needs at least 3 masters (asked for ${masterCount})`);
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'callintake-redis-cluster-'));
  const running: RunningNode[] = [];
  let stopped = false;
  const killNow = () => {
    for (const node of running) if (isAlive(node.child)) node.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const live = { kill: killNow };
  liveClusters.add(live);
  watchProcessEnd();

  const logs = async (lines = 40) => {
    const parts: string[] = [];
    for (const node of running) {
      const text = await readFile(logFile(dir, node.port), 'utf8').catch(() => '(no log)');
      parts.push(`--- redis-server ${node.host}:${node.port} (last ${lines} lines) ---`);
      parts.push(text.trimEnd().split('\n').slice(-lines).join('\n'));
    }
    return parts.join('\n');
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(running.map((node) => stopNode(node)));
    for (const node of running) claimedPorts.delete(node.port);
    liveClusters.delete(live);
    await rm(dir, { recursive: true, force: true });
  };

  const fail = async (what: string, detail = ''): Promise<never> => {
    const nodeLogs = await logs();
    console.error(`startRedisCluster: ${what}\n${detail ? `${detail}\n` : ''}${nodeLogs}`);
    await stop();
    throw new Error(`startRedisCluster: ${what} (redis-cli output and node logs printed on stderr)`);
  };

  let nextPort = options.basePort;
  for (let index = 0; index < masterCount; index++) {
    let node: RunningNode | null = null;
    let lastFailure = '';
    for (let attempt = 0; attempt < START_ATTEMPTS && !node; attempt++) {
      const port = await claimFreePort(nextPort);
      if (nextPort !== undefined) nextPort = port + 1;
      const candidate = spawnNode(dir, port, options.appendfsync);
      running.push(candidate);
      // Another process may take the port between our check and redis-server's bind: try another.
      if (await nodeAnswers(candidate)) node = candidate;
      else {
        lastFailure = `redis-server on port ${port} did not start`;
        await stopNode(candidate);
      }
    }
    if (!node) return fail(`${lastFailure} after ${START_ATTEMPTS} attempts`);
  }
  const nodes = running.filter((node) => isAlive(node.child)).map(({ host, port }) => ({ host, port }));

  try {
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map(address), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: CLI_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    return fail('redis-cli --cluster create failed', commandOutput(error));
  }
  const ready = await waitUntilAgreed(nodes, masterCount);
  if (!ready.ok) return fail(`the cluster was not ready within ${READY_TIMEOUT_MS / 1000} s: ${ready.last}`);

  const nodesEnv = nodes.map(address).join(',');
  const masters = () => clusterMasters(nodes);
  return {
    nodes,
    nodesEnv,
    env: { REDIS_CLUSTER_NODES: nodesEnv },
    settings: (namespace) => ({ url: NO_CREDENTIALS_URL, namespace, clusterNodes: nodes }),
    dir,
    startupMs: Date.now() - started,
    masters,
    logs,
    stop,
    crash: async (port) => {
      const node = running.find((candidate) => candidate.port === port && isAlive(candidate.child));
      if (!node) throw new Error(`crash: no running node on port ${port}`);
      node.child.kill('SIGKILL');
      await node.exited;
    },
    restart: async (port) => {
      const index = running.findIndex((candidate) => candidate.port === port);
      const old = running[index];
      if (!old || isAlive(old.child)) throw new Error(`restart: the node on port ${port} is not down`);
      const node = spawnNode(dir, port, options.appendfsync);
      running[index] = node;
      if (!(await nodeAnswers(node))) return fail(`restart: redis-server on port ${port} did not answer`);
      const agreed = await waitUntilAgreed(nodes, masterCount);
      if (!agreed.ok) throw new Error(`restart: nodes did not agree afterwards: ${agreed.last}`);
    },
    flushAll: async () => {
      for (const master of await masters()) await onNode(master.port, (redis) => redis.flushall());
    },
    reshard: async ({ slots, from, to }) => {
      const began = Date.now();
      const before = await masters();
      const source = from === undefined ? mostSlots(before) : findMaster(before, from);
      const target =
        to === undefined
          ? fewestSlots(before.filter((master) => master.id !== source.id))
          : findMaster(before, to);
      if (source.id === target.id) throw new Error(`reshard: from and to are the same node (${source.id})`);
      if (!Number.isInteger(slots) || slots < 1 || slots > source.slots.length)
        throw new Error(`reshard: cannot move ${slots} slots from a master that owns ${source.slots.length}`);
      let output: string;
      try {
        const result = await run(
          'redis-cli',
          [
            '--cluster',
            'reshard',
            address(source),
            '--cluster-from',
            source.id,
            '--cluster-to',
            target.id,
            '--cluster-slots',
            String(slots),
            '--cluster-yes',
          ],
          { timeout: CLI_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        );
        output = result.stdout + result.stderr;
      } catch (error) {
        console.error(`reshard: redis-cli failed\n${commandOutput(error)}\n${await logs()}`);
        throw new Error(
          'reshard: redis-cli --cluster reshard failed (output and node logs printed on stderr)',
        );
      }
      // redis-cli reports some failures on stdout and still exits 0.
      if (/\[ERR\]/.test(output)) {
        console.error(`reshard: redis-cli reported an error\n${output}\n${await logs()}`);
        throw new Error('reshard: redis-cli --cluster reshard reported [ERR] (printed on stderr)');
      }
      const agreed = await waitUntilAgreed(nodes, masterCount);
      if (!agreed.ok) throw new Error(`reshard: nodes did not agree afterwards: ${agreed.last}`);
      const after = await masters();
      const targetAfter = new Set(findMaster(after, target.id).slots);
      const moved = source.slots.filter((slot) => targetAfter.has(slot));
      return {
        from: { id: source.id, port: source.port },
        to: { id: target.id, port: target.port },
        slots: moved,
        durationMs: Date.now() - began,
      };
    },
  };
}

function address(node: RedisClusterNode): string {
  return `${node.host}:${node.port}`;
}

function logFile(dir: string, port: number): string {
  return join(dir, `redis-${port}.log`);
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function spawnNode(dir: string, port: number, appendfsync?: 'always' | 'everysec'): RunningNode {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      REDIS_CLUSTER_HOST,
      '--protected-mode',
      'no',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '2000',
      '--cluster-announce-ip',
      REDIS_CLUSTER_HOST,
      // A master that gives away its last slot stays a master (Redis 7 would make it a replica
      // of the node that took them), so a test may empty one and move slots back to it.
      '--cluster-allow-replica-migration',
      'no',
      '--save',
      '',
      ...(appendfsync
        ? ['--appendonly', 'yes', '--appendfsync', appendfsync, '--appenddirname', `aof-${port}`]
        : ['--appendonly', 'no']),
      '--dir',
      dir,
      '--logfile',
      logFile(dir, port),
      // As production's Redis for BullMQ (README: noeviction).
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  // Neither the process nor its (absent) pipes keep the test process alive; the exit watcher
  // kills it if the test never calls stop().
  child.unref();
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.once('error', () => resolveExit());
  });
  return { host: REDIS_CLUSTER_HOST, port, child, exited };
}

async function stopNode(node: RunningNode): Promise<void> {
  if (!isAlive(node.child) || node.child.pid === undefined) return;
  node.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(true), STOP_TIMEOUT_MS);
  });
  const late = await Promise.race([node.exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    node.child.kill('SIGKILL');
    await node.exited;
  }
}

/** Pings the node until it answers; false if it exits first (port taken) or never answers. */
async function nodeAnswers(node: RunningNode): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!isAlive(node.child)) return false;
    const pong = await onNode(node.port, (redis) => redis.ping()).catch(() => null);
    if (pong === 'PONG') return true;
    await sleep(50);
  }
  return false;
}

async function claimFreePort(from?: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port =
      from !== undefined
        ? from + attempt
        : PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
    if (port + BUS_PORT_OFFSET > 65_535) break;
    if (claimedPorts.has(port) || claimedPorts.has(port + BUS_PORT_OFFSET)) continue;
    if ((await canBind(port)) && (await canBind(port + BUS_PORT_OFFSET))) {
      claimedPorts.add(port);
      return port;
    }
  }
  throw new Error(`startRedisCluster: found no free port pair (p, p+${BUS_PORT_OFFSET})`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolveBind) => {
    const server = createServer();
    server.once('error', () => resolveBind(false));
    server.listen(port, REDIS_CLUSTER_HOST, () => server.close(() => resolveBind(true)));
  });
}

/** One short-lived connection to one node, closed whatever happens. */
async function onNode<T>(port: number, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: REDIS_CLUSTER_HOST,
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

interface NodeView {
  id: string;
  port: number;
  master: boolean;
  slots: number[];
}

/** Parses CLUSTER NODES; migrating/importing markers (`[slot->-id]`) are not ownership. */
function parseClusterNodes(text: string): NodeView[] {
  const views: NodeView[] = [];
  for (const line of text.trim().split('\n')) {
    const [id, addressField, flags, , , , , , ...slotFields] = line.trim().split(' ');
    if (!id || !addressField || !flags) continue;
    const port = Number(addressField.split('@')[0]?.split(':').pop());
    const slots: number[] = [];
    for (const field of slotFields) {
      if (field.startsWith('[')) continue;
      const [low, high] = field.split('-').map(Number);
      if (low === undefined || Number.isNaN(low)) continue;
      for (let slot = low; slot <= (high ?? low); slot++) slots.push(slot);
    }
    views.push({ id, port, master: flags.split(',').includes('master'), slots });
  }
  return views;
}

async function clusterMasters(nodes: RedisClusterNode[]): Promise<RedisClusterMaster[]> {
  let lastError: unknown;
  for (const node of nodes) {
    try {
      const text = await onNode(node.port, (redis) => redis.call('CLUSTER', 'NODES') as Promise<string>);
      return parseClusterNodes(text)
        .filter((view) => view.master)
        .map((view) => ({ id: view.id, host: REDIS_CLUSTER_HOST, port: view.port, slots: view.slots }))
        .sort((a, b) => a.port - b.port);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`no cluster node answered CLUSTER NODES: ${String(lastError)}`);
}

/**
 * Every node reports cluster_state:ok, knows all masters, and sees the same owner for every one
 * of the 16384 slots (no slot left migrating or importing).
 */
async function waitUntilAgreed(
  nodes: RedisClusterNode[],
  masterCount: number,
): Promise<{ ok: true } | { ok: false; last: string }> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'not checked';
  for (;;) {
    last = await agreement(nodes, masterCount).catch((error: unknown) => String(error));
    if (last === '') return { ok: true };
    if (Date.now() > deadline) return { ok: false, last };
    await sleep(100);
  }
}

/** '' when the cluster is ready, else what is not. */
async function agreement(nodes: RedisClusterNode[], masterCount: number): Promise<string> {
  let reference: string | null = null;
  for (const node of nodes) {
    const [info, nodesText] = await onNode(node.port, async (redis) => [
      (await redis.call('CLUSTER', 'INFO')) as string,
      (await redis.call('CLUSTER', 'NODES')) as string,
    ]);
    if (!/cluster_state:ok/.test(info)) return `${address(node)} says cluster_state is not ok`;
    if (nodesText.includes('->-') || nodesText.includes('-<-'))
      return `${address(node)} still has a slot migrating or importing`;
    const masters = parseClusterNodes(nodesText).filter((view) => view.master);
    if (masters.length !== masterCount) return `${address(node)} knows ${masters.length} masters`;
    const owners = new Array<string>(REDIS_CLUSTER_SLOTS).fill('');
    for (const master of masters) for (const slot of master.slots) owners[slot] = master.id;
    if (owners.includes('')) return `${address(node)} sees slots without an owner`;
    const signature = owners.join(',');
    if (reference === null) reference = signature;
    else if (signature !== reference) return `${address(node)} disagrees about slot owners`;
  }
  return '';
}

function findMaster(masters: RedisClusterMaster[], wanted: string | number): RedisClusterMaster {
  const found = masters.find((master) =>
    typeof wanted === 'number' ? master.port === wanted : master.id === wanted,
  );
  if (!found)
    throw new Error(
      `reshard: no master ${wanted} (masters: ${masters.map((m) => `${m.id}@${m.port}`).join(', ')})`,
    );
  return found;
}

function mostSlots(masters: RedisClusterMaster[]): RedisClusterMaster {
  return masters.reduce((best, master) => (master.slots.length > best.slots.length ? master : best));
}

function fewestSlots(masters: RedisClusterMaster[]): RedisClusterMaster {
  return masters.reduce((best, master) => (master.slots.length < best.slots.length ? master : best));
}

function commandOutput(error: unknown): string {
  if (error instanceof Error && 'stdout' in error) {
    const failed = error as Error & { stdout?: unknown };
    // execFile's message already ends with the command's stderr.
    return `${error.message}\n${String(failed.stdout ?? '')}`;
  }
  return String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

let watching = false;

/**
 * Kills leftover clusters when the process ends: at a normal exit (the shared cluster's way to
 * stop), and on SIGINT/SIGTERM (the test runner's timeout), after which the signal is raised again
 * so the process still ends as it would have, unless someone else handles it.
 */
function watchProcessEnd(): void {
  if (watching) return;
  watching = true;
  const killAll = () => {
    for (const cluster of liveClusters) cluster.kill();
    liveClusters.clear();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}
