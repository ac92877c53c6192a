// The chaos suite's engine: `npm run chaos` (tools/chaos/run.ts) is its command line, and
// e2e/chaos.test.ts runs it small in `npm test`. What it does:
//   - a private redis-server with AOF (its own port and folder), one local tenant, and every
//     service as its own process (apps/<name>/src/main.ts, as on Kubernetes);
//   - N WAV + JSON pairs dropped into data/ over the run (temporary name, then renamed);
//   - meanwhile, at random moments (seeded): SIGKILL of random workers (restarted), one Redis
//     crash (SIGKILL, restarted on the same port and folder: the AOF replays), SIGTERM of some
//     workers with their exit time measured against SHUTDOWN_DEADLINE_MS + 1 s, and one probe
//     job stalled twice on purpose (its media-prober SIGKILLed twice while it holds that job);
//   - then it waits for the pipeline to drain and counts per pair: lost (no ready call), duplicate
//     (more than one call or calls-ready job for a pair, or a call with the wrong files), failed
//     (file versions in state `failed`) and stuck (files still pending/processing, or left in
//     data/, after the drain timeout).
// Everything it starts (processes, Redis, temporary folders) goes when it ends, fails or is
// aborted; a synchronous exit hook kills what is left if the process dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { Queue, type JobType } from 'bullmq';
import { commonEnv } from '@callintake/config';
import { encodeWav } from '@callintake/media';
import {
  jobOptions,
  queuePrefix,
  workerConnection,
  type QueueName,
  type RedisSettings,
} from '@callintake/queues';
import { freePort, redisAnswers, type ServiceName } from '@callintake/runtime';
import type { Asset, Call } from '@callintake/schemas';
import { STAGES } from '@callintake/services';
import { StateStore, systemClock, type RedisClient } from '@callintake/state';
import {
  spawnService,
  startRedisCluster,
  testRedisMode,
  type RedisClusterHandle,
  type ServiceProcess,
} from '@callintake/testing';

export const TENANT = 'chaos';
const TOKEN = 'chaos-token';
/** Every service but the status API and retention is a target of kills and SIGTERMs. */
const WORKERS: ServiceName[] = [
  'intake-watcher',
  'media-prober',
  'metadata-parser',
  'matcher',
  'crm-ingester',
];
/** Killed at least once each when there are that many kills. */
const CORE_WORKERS: ServiceName[] = ['intake-watcher', 'media-prober', 'metadata-parser', 'matcher'];
const ALL_SERVICES: ServiceName[] = [...WORKERS, 'retention', 'status-api'];
/** Queues a drained pipeline has nothing waiting or running on (the scan and sweep schedulers always have one delayed). */
const WORK_QUEUES: QueueName[] = ['media-probe', 'metadata-parse', 'crm-ingest', 'call-match'];
const ALL_JOB_STATES: JobType[] = [
  'waiting',
  'active',
  'prioritized',
  'delayed',
  'waiting-children',
  'completed',
  'failed',
];

export interface ChaosOptions {
  /** WAV + JSON pairs to drop (default 1,000; at least 2: one of them is the stalled job's). */
  pairs?: number;
  /** Drops are spread over this long (default max(20 s, 60 ms per pair)); faults happen meanwhile. */
  dropMs?: number;
  /** Random SIGKILLs of workers (default max(4, pairs / 100)), besides the stall's two. */
  kills?: number;
  /** SIGTERMs with measured exit times (default 2, 4 from 500 pairs). */
  sigterms?: number;
  /** How long the pipeline may take to drain after the last drop and fault (default 60 s + 60 ms per pair). */
  drainTimeoutMs?: number;
  /** Seed of the random choices (default random; printed, so a run can be repeated). */
  seed?: number;
  /** The private Redis's appendfsync (default always: every acknowledged write survives the crash). */
  appendfsync?: 'always' | 'everysec';
  /**
   * A private single redis-server, or a private 3-master Redis Cluster whose master holding
   * the sentinel's slot is the one crashed (default: the test run's mode, REDIS_CLUSTER_NODES).
   */
  redis?: 'single' | 'cluster';
  /** SHUTDOWN_DEADLINE_MS of the services (default 3000). */
  shutdownDeadlineMs?: number;
  /** JOB_LOCK_MS: how soon a killed worker's jobs are taken over (default 3000). */
  jobLockMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Aborting stops the run (Ctrl-C); everything started is cleaned up, and runChaos rejects. */
  signal?: AbortSignal;
}

export interface KillRecord {
  atSec: number;
  service: ServiceName;
  why: 'random' | 'stall 1' | 'stall 2' | 'stall setup';
  /** Jobs active on the service's queues when it was killed. */
  activeJobs: number;
}

export interface SigtermRecord {
  atSec: number;
  service: ServiceName;
  activeJobs: number;
  /** From SIGTERM to the process's exit; null when it had to be SIGKILLed. */
  exitMs: number | null;
  exitCode: number | null;
  /** Set when it died of a signal instead of exiting. */
  exitSignal: string | null;
  limitMs: number;
  withinLimit: boolean;
}

export interface RedisCrashRecord {
  atSec: number;
  /** What was crashed: `redis-server` or `cluster master 127.0.0.1:<port>`. */
  what: string;
  downMs: number;
  /** From spawning redis-server again to its first PONG (AOF loaded). */
  restartMs: number;
  readyJobsBefore: number;
  readyJobsAfter: number;
  /** A key written just before the crash was there after the restart. */
  sentinelKept: boolean;
}

export interface StallRecord {
  file: string;
  jobId: string;
  /** BullMQ's stalled counter of the job at the end. */
  stalls: number;
  completed: boolean;
  failedReason?: string;
  callReady: boolean;
  /** Attempts the file's version records (null: none; the status API shows no attempt). */
  versionAttempts: number | null;
  error?: string;
}

export interface UnexpectedExit {
  atSec: number;
  service: ServiceName;
  code: number | null;
  signal: string | null;
  outputTail: string;
}

export interface ChaosReport {
  seed: number;
  pairs: number;
  ready: number;
  lost: number;
  duplicate: number;
  failed: number;
  stuck: number;
  rejected: number;
  /** calls-updated jobs: nothing was updated, so each is a spurious re-emit (reported, not failed). */
  reemitted: number;
  drained: boolean;
  /**
   * From the last upload until the last calls-ready job was added (its BullMQ timestamp); when
   * not drained, until the drain timeout. Faults may still run after the last upload.
   */
  drainMs: number;
  /** From the end of the last fault (every service running again) until the drain check passed. */
  drainAfterFaultsMs: number;
  runMs: number;
  appendfsync: string;
  shutdownDeadlineMs: number;
  kills: KillRecord[];
  redisCrash: RedisCrashRecord | null;
  sigterms: SigtermRecord[];
  stall: StallRecord | null;
  unexpectedExits: UnexpectedExit[];
  /** Faults that could not be carried out (the run went on without them). */
  faultErrors: string[];
  /** Jobs in each queue's failed set at the end. */
  failedJobs: Partial<Record<QueueName, number>>;
  /** Up to 20 examples of each. */
  examples: { lost: string[]; duplicate: string[]; failed: string[]; stuck: string[]; rejected: string[] };
}

export function chaosPassed(report: ChaosReport): boolean {
  return report.lost === 0 && report.duplicate === 0 && report.stuck === 0;
}

// ---------------------------------------------------------------------------------------------

function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function until<T>(
  check: () => Promise<T | null | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number; what: string; signal?: AbortSignal | undefined },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await sleep(options.intervalMs ?? 100, undefined, options.signal ? { signal: options.signal } : {});
  }
}

/** Resolves null after `ms`, without keeping the process alive (the loser of a race). */
function timeout(ms: number): Promise<null> {
  return sleep(ms, null, { ref: false });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (exited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** A redis-server we can crash and start again on the same port and folder (AOF on). */
class ChaosRedis {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
    readonly appendfsync: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it and waits for its first PONG (after the AOF is loaded); returns how long that took. */
  async start(signal?: AbortSignal): Promise<number> {
    const started = performance.now();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        this.appendfsync,
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        join(this.dir, 'redis.log'),
      ],
      // Its own process group: a Ctrl-C meant for us must not stop it before we clean up.
      { stdio: 'ignore', detached: true },
    );
    this.child = child;
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    await until(
      async () => {
        if (spawnError) throw new Error(`redis-server could not be started: ${spawnError.message}`);
        if (exited(child)) throw new Error(`redis-server exited at start: ${await this.logTail()}`);
        return redisAnswers(this.url, 500);
      },
      { timeoutMs: 30_000, what: 'the private redis-server to answer', signal },
    );
    return performance.now() - started;
  }

  async crash(): Promise<void> {
    const child = this.child;
    if (!child || exited(child)) return;
    child.kill('SIGKILL');
    await waitExit(child);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || exited(child)) return;
    child.kill('SIGTERM');
    const done = await Promise.race([waitExit(child), timeout(5_000)]);
    if (!done) {
      child.kill('SIGKILL');
      await waitExit(child);
    }
  }

  killNow(): void {
    if (this.child && !exited(this.child)) this.child.kill('SIGKILL');
  }

  private async logTail(): Promise<string> {
    const log = await readFile(join(this.dir, 'redis.log'), 'utf8').catch(() => '');
    return log.split('\n').slice(-10).join('\n');
  }
}

/** The private Redis of a run, single or cluster: what the services use, and how it crashes. */
interface ChaosBackend {
  readonly describe: string;
  /** The services' Redis variables. */
  readonly env: Record<string, string>;
  settings(namespace: string): RedisSettings;
  start(signal?: AbortSignal): Promise<void>;
  /** SIGKILLs the server (single) or the master holding `key` (cluster); says which. */
  crash(connection: RedisClient, key: string): Promise<string>;
  /** Starts what crash() killed on its folder (the AOF replays); returns how long that took. */
  restart(signal?: AbortSignal): Promise<number>;
  stop(): Promise<void>;
  killNow(): void;
}

async function singleBackend(dir: string, appendfsync: string): Promise<ChaosBackend> {
  const server = new ChaosRedis(await freePort(), dir, appendfsync);
  return {
    describe: `Redis on port ${server.port} (AOF, appendfsync ${appendfsync})`,
    env: { REDIS_URL: server.url },
    settings: (namespace) => ({ url: server.url, namespace }),
    start: async (signal) => void (await server.start(signal)),
    crash: async () => {
      await server.crash();
      return 'redis-server';
    },
    restart: (signal) => server.start(signal),
    stop: () => server.stop(),
    killNow: () => server.killNow(),
  };
}

function clusterBackend(appendfsync: 'always' | 'everysec'): ChaosBackend {
  let cluster: RedisClusterHandle | undefined;
  let crashed: number | undefined;
  const started = () => {
    if (!cluster) throw new Error('the chaos cluster is not started');
    return cluster;
  };
  return {
    get describe() {
      return `Redis Cluster of 3 masters ${cluster?.nodesEnv ?? ''} (AOF, appendfsync ${appendfsync})`;
    },
    get env() {
      return { REDIS_URL: started().settings('').url, ...started().env };
    },
    settings: (namespace) => started().settings(namespace),
    start: async () => {
      cluster = await startRedisCluster({ masters: 3, appendfsync });
    },
    crash: async (connection, key) => {
      const slot = Number(await connection.call('CLUSTER', 'KEYSLOT', key));
      const holder = (await started().masters()).find((master) => master.slots.includes(slot));
      if (!holder) throw new Error(`no master holds slot ${slot}`);
      crashed = holder.port;
      await started().crash(holder.port);
      return `cluster master ${holder.host}:${holder.port}`;
    },
    restart: async () => {
      const began = performance.now();
      if (crashed !== undefined) await started().restart(crashed);
      crashed = undefined;
      return performance.now() - began;
    },
    stop: async () => cluster?.stop(),
    // startRedisCluster kills its nodes itself when the process exits.
    killNow: () => undefined,
  };
}

interface Running {
  proc: ServiceProcess;
  expectedExit: boolean;
}

/** The service processes: started, killed and restarted by name; unexpected exits are recorded and restarted. */
class Fleet {
  private readonly running = new Map<ServiceName, Running>();
  private readonly all: ServiceProcess[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];
  stopping = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly atSec: () => number,
    private readonly log: (line: string) => void,
  ) {}

  start(name: ServiceName): void {
    if (this.stopping || this.running.has(name)) return;
    const proc = spawnService(name, this.env);
    const entry: Running = { proc, expectedExit: false };
    this.running.set(name, entry);
    this.all.push(proc);
    proc.child.once('exit', (code, signal) => {
      if (entry.expectedExit || this.stopping) return;
      const tail = proc.output().split('\n').slice(-15).join('\n');
      this.unexpectedExits.push({ atSec: this.atSec(), service: name, code, signal, outputTail: tail });
      this.log(
        `UNEXPECTED: ${name} exited by itself (code ${code}, signal ${signal}); restarting it\n${tail}`,
      );
      if (this.running.get(name) === entry) this.running.delete(name);
      setTimeout(() => this.start(name), 1_000).unref();
    });
  }

  isRunning(name: ServiceName): boolean {
    return this.running.has(name);
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `killAfterMs`); the service stays down. */
  async signal(
    name: ServiceName,
    signal: NodeJS.Signals,
    killAfterMs = 30_000,
  ): Promise<{ exitMs: number | null; code: number | null; signal: string | null } | undefined> {
    const entry = this.running.get(name);
    if (!entry) return undefined;
    entry.expectedExit = true;
    this.running.delete(name);
    const child = entry.proc.child;
    const sent = performance.now();
    child.kill(signal);
    const outcome = await Promise.race([waitExit(child), timeout(killAfterMs)]);
    if (outcome) return { exitMs: performance.now() - sent, ...outcome };
    child.kill('SIGKILL');
    return { exitMs: null, ...(await waitExit(child)) };
  }

  /** SIGTERM to all, SIGKILL to what is left after `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    const live = this.all.filter((proc) => !exited(proc.child));
    for (const proc of live) proc.child.kill('SIGTERM');
    await Promise.race([Promise.all(live.map((proc) => waitExit(proc.child))), timeout(graceMs)]);
    for (const proc of live) if (!exited(proc.child)) proc.child.kill('SIGKILL');
    await Promise.all(live.map((proc) => waitExit(proc.child)));
    this.running.clear();
    // CHAOS_LOG_DIR=<dir>: every process's output, to see what a service said during the run.
    const logDir = process.env['CHAOS_LOG_DIR'];
    if (logDir) {
      await mkdir(logDir, { recursive: true });
      await Promise.all(
        this.all.map((proc, index) =>
          writeFile(join(logDir, `${String(index).padStart(2, '0')}-${proc.name}.log`), proc.output()),
        ),
      );
    }
  }

  killNow(): void {
    this.stopping = true;
    for (const proc of this.all) if (!exited(proc.child)) proc.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------

const BASE_TIME = Date.parse('2024-03-12T00:00:00Z');

/** `yyyyMMdd-hhmmss_out_<uid>`: a recording name whose time and user the pipeline reads. */
function stemOf(runTag: string, index: number): string {
  const iso = callTimeOf(index);
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${date}-${time}_out_${runTag}${index}`;
}

/** The call time of pair `index`, as its name and its metadata say. */
function callTimeOf(index: number): string {
  return new Date(BASE_TIME + index * 7_000).toISOString();
}

function metadataOf(stem: string, index: number): string {
  return JSON.stringify({
    datetime: callTimeOf(index),
    email: `rep${index % 25}@example.com`,
    filename: `${stem}.wav`,
    direction: 'outbound',
    disposition: index % 3 ? 'connected' : 'voicemail',
  });
}

function wavOf(index: number): Buffer {
  return encodeWav({
    sampleRateHz: 8000,
    channels: 1 + (index % 2),
    durationSec: 0.2 + (index % 8) * 0.05,
    frequencyHz: 300 + (index % 400),
    // Recordings with the same bytes are one recording (duplicate-content): each pair its own.
    uniqueTag: index,
  });
}

/** As customers are told to upload: under a temporary name, renamed when complete. */
async function upload(dataDir: string, name: string, content: string | Buffer): Promise<void> {
  await writeFile(join(dataDir, `${name}.part`), content);
  await rename(join(dataDir, `${name}.part`), join(dataDir, name));
}

interface StatusPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every item of a status API list route, page by page. */
async function listAll<T>(baseUrl: string, path: string, query: Record<string, string> = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${baseUrl}/v1/tenants/${TENANT}/${path}?${params}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (!response.ok) throw new Error(`GET ${path}?${params}: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as StatusPage<T>;
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

// ---------------------------------------------------------------------------------------------

export interface PairTally {
  /** Pairs whose one call is ready, on calls-ready and in the state, made of its own two files. */
  ready: Set<string>;
  /** Pair (or stray job or call) → why. */
  lost: Map<string, string>;
  duplicate: Map<string, string>;
}

/**
 * Judges each dropped pair by what consumers got (calls-ready jobs, id `<tenant>/<call id>`,
 * data the call) and what the state says (the status API's calls). Lost: no calls-ready job, or
 * the state does not call it ready. Duplicate: more than one job or call takes a file of the
 * pair, or its call joins other files, or carries another time than its metadata's.
 */
export function tallyPairs(
  pairs: Array<{ stem: string; callTime: string }>,
  readyJobs: Array<{ id: string; call: Call }>,
  calls: Call[],
): PairTally {
  const callTimes = new Map(pairs.map((pair) => [pair.stem, pair.callTime]));
  const pairOf = (fileName: string | undefined) => {
    const stem = fileName?.replace(/\.(wav|json)$/, '');
    return stem !== undefined && callTimes.has(stem) ? stem : undefined;
  };
  const partsOf = (call: Call) => {
    const parts = new Set([pairOf(call.recording?.fileName), pairOf(call.metadata?.fileName)]);
    parts.delete(undefined);
    return [...parts] as string[];
  };
  const lost = new Map<string, string>();
  const duplicate = new Map<string, string>();
  const flag = (found: Map<string, string>, key: string, reason: string) => {
    if (!found.has(key)) found.set(key, reason);
  };
  /** Whether a call is exactly this pair's: its id, its two files, its time. */
  const faithful = (stem: string, call: Call) =>
    call.id === stem &&
    call.recording?.fileName === `${stem}.wav` &&
    call.metadata?.fileName === `${stem}.json` &&
    call.callTime === callTimes.get(stem);
  const describe = (call: Call) =>
    `call ${call.id} (${call.status}) of ${call.recording?.fileName ?? 'no recording'} + ${call.metadata?.fileName ?? 'no metadata'} at ${call.callTime ?? 'no time'}`;

  const jobsOf = new Map<string, number>();
  const readyJob = new Set<string>();
  for (const { id, call } of readyJobs) {
    const parts = partsOf(call);
    if (parts.length === 0)
      flag(duplicate, `job ${id}`, `a calls-ready job of no dropped pair: ${describe(call)}`);
    for (const stem of parts) jobsOf.set(stem, (jobsOf.get(stem) ?? 0) + 1);
    const stem = parts[0];
    if (stem === undefined) continue;
    if (parts.length > 1 || id !== `${TENANT}/${stem}` || call.status !== 'ready' || !faithful(stem, call))
      flag(duplicate, stem, `calls-ready job ${id}: ${describe(call)}`);
    else readyJob.add(stem);
  }
  const callsOf = new Map<string, number>();
  const readyCall = new Set<string>();
  const stateOf = new Map<string, string>();
  for (const call of calls) {
    const parts = partsOf(call);
    if (parts.length === 0)
      flag(duplicate, `call ${call.id}`, `a call of no dropped pair: ${describe(call)}`);
    for (const stem of parts) callsOf.set(stem, (callsOf.get(stem) ?? 0) + 1);
    const stem = parts[0];
    if (stem === undefined) continue;
    stateOf.set(stem, call.status);
    if (parts.length > 1 || !faithful(stem, call)) flag(duplicate, stem, describe(call));
    else if (call.status === 'ready') readyCall.add(stem);
  }
  const ready = new Set<string>();
  for (const { stem } of pairs) {
    if ((jobsOf.get(stem) ?? 0) > 1) flag(duplicate, stem, `${jobsOf.get(stem)} calls-ready jobs`);
    if ((callsOf.get(stem) ?? 0) > 1) flag(duplicate, stem, `${callsOf.get(stem)} calls`);
    if (!readyJob.has(stem)) flag(lost, stem, 'no calls-ready job');
    else if (!readyCall.has(stem))
      flag(lost, stem, `on calls-ready, but the status API says ${stateOf.get(stem) ?? 'no call'}`);
    else ready.add(stem);
  }
  return { ready, lost, duplicate };
}

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const pairs = Math.max(2, Math.floor(options.pairs ?? 1_000));
  const seed = options.seed ?? randomBytes(4).readUInt32LE(0);
  // The faults' choices and the drops' have a generator each, so one does not shift the other.
  const random = seededRandom(seed);
  const dropRandom = seededRandom(seed ^ 0x9e3779b9);
  const dropMs = options.dropMs ?? Math.max(20_000, pairs * 60);
  const killCount = options.kills ?? Math.max(4, Math.round(pairs / 100));
  const sigtermCount = options.sigterms ?? (pairs >= 500 ? 4 : 2);
  const drainTimeoutMs = options.drainTimeoutMs ?? 60_000 + pairs * 60;
  const appendfsync = options.appendfsync ?? 'always';
  const shutdownDeadlineMs = options.shutdownDeadlineMs ?? 3_000;
  const jobLockMs = options.jobLockMs ?? 3_000;
  // Aborted by the caller (Ctrl-C) or by our own cleanup, so nothing keeps dropping or faulting.
  const stop = new AbortController();
  const signal = stop.signal;
  // Every wait listens to it: the drops' waits run side by side.
  setMaxListeners(0, signal);
  const onAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const atSec = () => Math.round((performance.now() - started) / 100) / 10;
  const say = (line: string) => log(`[${atSec().toFixed(1).padStart(6)} s] ${line}`);
  const wait = (ms: number) => sleep(ms, undefined, { signal });

  const root = await mkdtemp(join(tmpdir(), 'callintake-chaos-'));
  const dataDir = join(root, 'upload', 'data');
  const redisDir = join(root, 'redis');
  await mkdir(dataDir, { recursive: true });
  await mkdir(join(root, 'archive'), { recursive: true });
  await mkdir(redisDir, { recursive: true });

  const mode = options.redis ?? testRedisMode();
  const redisServer =
    mode === 'cluster' ? clusterBackend(appendfsync) : await singleBackend(redisDir, appendfsync);
  const namespace = `chaos-${randomBytes(4).toString('hex')}`;
  const statusPort = await freePort();
  const statusUrl = `http://127.0.0.1:${statusPort}`;
  const tenantsFile = join(root, 'tenants.json');
  await writeFile(
    tenantsFile,
    JSON.stringify(
      {
        tenants: [
          {
            id: TENANT,
            source: { kind: 'local', root: join(root, 'upload') },
            archive: { kind: 'local', root: join(root, 'archive') },
            settleSeconds: 0,
            pollSeconds: 2,
            metadata: {
              fields: {
                datetime: { to: 'callTime', type: 'datetime' },
                email: { to: 'userId' },
                filename: { to: 'recordingFile' },
                direction: { to: 'direction' },
              },
            },
          },
        ],
      },
      null,
      2,
    ),
  );
  const env: NodeJS.ProcessEnv = {
    REDIS_NAMESPACE: namespace,
    INGEST_TENANTS: tenantsFile,
    SHUTDOWN_DEADLINE_MS: String(shutdownDeadlineMs),
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: '4',
    STATUS_PORT: String(statusPort),
    STATUS_HOST: '127.0.0.1',
    STATUS_API_TOKENS: `${TOKEN}:${TENANT}`,
    OTEL_TRACES_EXPORTER: 'none',
    HEALTH_PORT: '0',
  };
  // Retry settings as far as this version of the services has them: quick retries, and a
  // killed worker's jobs taken over within seconds rather than a minute.
  const retryEnv: Record<string, string> = {
    JOB_ATTEMPTS: '8',
    JOB_BACKOFF_MS: '200',
    JOB_LOCK_MS: String(jobLockMs),
  };
  for (const [name, value] of Object.entries(retryEnv)) if (name in commonEnv) env[name] = value;

  const fleet = new Fleet(env, atSec, say);
  const killNow = () => {
    fleet.killNow();
    redisServer.killNow();
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', killNow);

  let redis: RedisClient | undefined;
  const queues = new Map<QueueName, Queue>();
  try {
    await redisServer.start(signal);
    Object.assign(env, redisServer.env);
    say(
      `seed ${seed}; ${pairs} pairs over ${(dropMs / 1000).toFixed(0)} s; ${redisServer.describe}; work dir ${root}`,
    );
    const settings = redisServer.settings(namespace);
    const prefix = queuePrefix(settings);
    redis = workerConnection(settings);
    redis.on('error', () => undefined);
    const connection = redis;
    const queue = (name: QueueName): Queue => {
      let found = queues.get(name);
      if (!found) {
        found = new Queue(name, { connection, prefix: prefix(name) });
        found.on('error', () => undefined);
        queues.set(name, found);
      }
      return found;
    };
    const state = new StateStore(redis, namespace, systemClock);
    const activeOn = async (service: ServiceName): Promise<number> => {
      let total = 0;
      for (const name of STAGES[service].consumes)
        total += await connection.llen(`${prefix(name)}:${name}:active`);
      return total;
    };
    const readyIds = async (): Promise<string[]> => queue('calls-ready').getRanges(ALL_JOB_STATES, 0, -1);

    for (const name of ALL_SERVICES) fleet.start(name);
    await until(
      async () => {
        for (const name of ALL_SERVICES)
          for (const consumed of STAGES[name].consumes)
            if ((await queue(consumed).getWorkersCount()) < 1) return false;
        return fetch(`${statusUrl}/readyz`)
          .then((response) => response.ok)
          .catch(() => false);
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'every service to start', signal },
    );
    say(`${ALL_SERVICES.length} services up`);

    const runTag = `c${seed.toString(36)}x`;
    const stems = Array.from({ length: pairs }, (_, index) => stemOf(runTag, index));
    const stallIndex = Math.floor(random() * pairs);
    const stallStem = stems[stallIndex] as string;
    const kills: KillRecord[] = [];
    const sigterms: SigtermRecord[] = [];
    let redisCrash: RedisCrashRecord | null = null;
    let stall: StallRecord | null = null;
    const faultErrors: string[] = [];

    // The drops: pair i due at i/N of the window, halves in random order, sometimes apart.
    /** Epoch ms of the last upload (the drops', or the stalled pair's). */
    let lastDropAt = Date.now();
    const dropper = (async () => {
      const writes: Array<Promise<void>> = [];
      const t0 = performance.now();
      for (const [index, stem] of stems.entries()) {
        if (index === stallIndex) continue;
        const due = t0 + (index * dropMs) / pairs;
        const ahead = due - performance.now();
        if (ahead > 0) await wait(ahead);
        const wavFirst = dropRandom() < 0.5;
        const apart = dropRandom() < 0.2 ? Math.floor(dropRandom() * 1_500) : 0;
        const write = (async () => {
          const wav = () => upload(dataDir, `${stem}.wav`, wavOf(index));
          const json = () => upload(dataDir, `${stem}.json`, metadataOf(stem, index));
          await (wavFirst ? wav() : json());
          if (apart) await wait(apart);
          await (wavFirst ? json() : wav());
        })();
        // Awaited below; marked handled now, in case the run stops before it gets there.
        write.catch(() => undefined);
        writes.push(write);
        if (index % 100 === 99) say(`dropped ${index + 1} of ${pairs} pairs`);
      }
      await Promise.all(writes);
      lastDropAt = Math.max(lastDropAt, Date.now());
    })();

    // The faults, one at a time, spread over the drop window in a random order.
    const restartLater = async (name: ServiceName) => {
      await wait(Math.floor(random() * 1_500));
      fleet.start(name);
    };
    const killRandom = async (name: ServiceName) => {
      const activeJobs = await activeOn(name);
      const outcome = await fleet.signal(name, 'SIGKILL');
      if (!outcome) return;
      kills.push({ atSec: atSec(), service: name, why: 'random', activeJobs });
      say(`SIGKILL ${name} (${activeJobs} jobs active on its queue)`);
      await restartLater(name);
    };
    /** Its workers are registered on every queue it consumes: it is past start-up. */
    const workersUp = async (name: ServiceName): Promise<boolean> => {
      if (!fleet.isRunning(name)) return false;
      for (const consumed of STAGES[name].consumes)
        if ((await queue(consumed).getWorkersCount()) < 1) return false;
      return true;
    };
    const sigterm = async () => {
      // A worker not SIGTERMed yet, busy now if one is: the deadline matters while jobs run.
      // Only one past start-up (workers registered, a second more for its signal handlers):
      // a process still loading dies of SIGTERM's default action, which measures nothing.
      const pick = async (): Promise<ServiceName | undefined> => {
        const up: ServiceName[] = [];
        for (const name of WORKERS) if (await workersUp(name)) up.push(name);
        const fresh = up.filter((name) => !sigterms.some((record) => record.service === name));
        const pool = fresh.length ? fresh : up;
        const busy: ServiceName[] = [];
        for (const name of pool) if ((await activeOn(name)) > 0) busy.push(name);
        const candidates = busy.length ? busy : pool;
        return candidates[Math.floor(random() * candidates.length)];
      };
      const chosen = await until(pick, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'a started worker to SIGTERM',
        signal,
      });
      await wait(1_000);
      const name = (await workersUp(chosen)) ? chosen : await pick();
      if (!name) return;
      const activeJobs = await activeOn(name);
      const limitMs = shutdownDeadlineMs + 1_000;
      const outcome = await fleet.signal(name, 'SIGTERM', limitMs + 10_000);
      if (!outcome) return;
      const record: SigtermRecord = {
        atSec: atSec(),
        service: name,
        activeJobs,
        exitMs: outcome.exitMs === null ? null : Math.round(outcome.exitMs),
        exitCode: outcome.code,
        exitSignal: outcome.signal,
        limitMs,
        withinLimit: outcome.exitMs !== null && outcome.exitMs <= limitMs,
      };
      sigterms.push(record);
      say(
        `SIGTERM ${name} (${activeJobs} jobs active): exited in ${record.exitMs ?? 'never (SIGKILLed)'} ms with ${record.exitSignal ? `signal ${record.exitSignal}` : `code ${record.exitCode}`}${record.withinLimit ? '' : ` — OVER the ${limitMs} ms limit`}`,
      );
      await restartLater(name);
    };
    const crashRedis = async () => {
      const readyJobsBefore = (await readyIds()).length;
      const sentinel = `${namespace}:chaos:sentinel`;
      await connection.set(sentinel, String(seed));
      const what = await redisServer.crash(connection, sentinel);
      const downMs = 1_000 + Math.floor(random() * 2_000);
      say(`SIGKILL ${what} (${readyJobsBefore} calls-ready jobs); restarting it in ${downMs} ms`);
      await wait(downMs);
      const restartMs = await redisServer.restart(signal);
      const readyJobsAfter = (await readyIds()).length;
      const sentinelKept = (await connection.get(sentinel)) === String(seed);
      await connection.del(sentinel);
      redisCrash = {
        atSec: atSec(),
        what,
        downMs,
        restartMs: Math.round(restartMs),
        readyJobsBefore,
        readyJobsAfter,
        sentinelKept,
      };
      say(
        `${what} back after ${Math.round(restartMs)} ms (AOF replayed): ${readyJobsAfter} calls-ready jobs, sentinel ${sentinelKept ? 'kept' : 'LOST'}`,
      );
    };
    const stallTwice = async () => {
      const file = `${stallStem}.wav`;
      const record: StallRecord = {
        file,
        jobId: '',
        stalls: 0,
        completed: false,
        callReady: false,
        versionAttempts: null,
      };
      stall = record;
      try {
        // The prober is down while the pair arrives, so the job waits for us to watch it.
        const activeJobs = await activeOn('media-prober');
        if (await fleet.signal('media-prober', 'SIGKILL'))
          kills.push({ atSec: atSec(), service: 'media-prober', why: 'stall setup', activeJobs });
        await upload(dataDir, `${stallStem}.json`, metadataOf(stallStem, stallIndex));
        // A recording large enough (38 MB) that its probe and archive copy take a while.
        await upload(
          dataDir,
          file,
          encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1_200, frequencyHz: 200 }),
        );
        lastDropAt = Math.max(lastDropAt, Date.now());
        const versionId = await until(
          async () => (await state.assets.get(TENANT, file))?.versions.at(-1)?.versionId,
          { timeoutMs: 60_000, what: `${file} to be seen`, signal },
        );
        const id = jobOptions.assetVersion('probe-recording', {
          tenantId: TENANT,
          fileName: file,
          versionId,
        }).jobId;
        record.jobId = id;
        const jobKey = `${prefix('media-probe')}:media-probe:${id}`;
        await until(async () => (await connection.exists(jobKey)) === 1, {
          timeoutMs: 60_000,
          what: `probe job ${id}`,
          signal,
        });
        say(`stall: media-prober down, ${file} queued as ${id}`);
        for (const round of [1, 2] as const) {
          fleet.start('media-prober');
          // This run holds the job: its lock is set and it has stalled round − 1 times so far.
          await until(
            async () => {
              const [lock, stalls, finished] = await Promise.all([
                connection.exists(`${jobKey}:lock`),
                connection.hget(jobKey, 'stc'),
                connection.hget(jobKey, 'finishedOn'),
              ]);
              if (finished) throw new Error(`${id} finished before its stall ${round}`);
              return lock === 1 && Number(stalls ?? 0) === round - 1;
            },
            { timeoutMs: 120_000, intervalMs: 5, what: `${id} to run (stall ${round})`, signal },
          );
          const held = await activeOn('media-prober');
          await fleet.signal('media-prober', 'SIGKILL');
          kills.push({ atSec: atSec(), service: 'media-prober', why: `stall ${round}`, activeJobs: held });
          const finished = await connection.hget(jobKey, 'finishedOn');
          say(
            `stall ${round}: SIGKILL media-prober while it held ${id}${finished ? ' (TOO LATE: it had finished)' : ''}`,
          );
        }
        fleet.start('media-prober');
        // Done before the next fault, so a random kill cannot stall it a third time.
        await until(async () => (await connection.hget(jobKey, 'finishedOn')) !== null, {
          timeoutMs: 120_000,
          intervalMs: 200,
          what: `${id} to finish after two stalls`,
          signal,
        });
        say(`stall: ${id} finished after its two stalls`);
      } catch (error) {
        if (signal.aborted) throw error;
        record.error = (error as Error).message;
        say(`stall scenario did not complete: ${record.error}`);
        fleet.start('media-prober');
      }
    };

    const plan: Array<() => Promise<void>> = [];
    const killTargets = [
      ...CORE_WORKERS.slice(0, Math.min(killCount, CORE_WORKERS.length)),
      ...Array.from(
        { length: Math.max(0, killCount - CORE_WORKERS.length) },
        () => WORKERS[Math.floor(random() * WORKERS.length)] as ServiceName,
      ),
    ];
    for (const name of killTargets) plan.push(() => killRandom(name));
    for (let i = 0; i < sigtermCount; i++) plan.push(sigterm);
    plan.push(crashRedis);
    plan.push(stallTwice);
    const order = shuffled(plan, random);
    const faults = (async () => {
      const t0 = performance.now();
      for (const [index, fault] of order.entries()) {
        const due = t0 + (dropMs * (index + 0.2 + random() * 0.6)) / order.length;
        const ahead = due - performance.now();
        if (ahead > 0) await wait(ahead);
        try {
          await fault();
        } catch (error) {
          if (signal.aborted) throw error;
          faultErrors.push((error as Error).message);
          say(`FAULT ERROR: ${(error as Error).message}`);
        }
      }
    })();

    await Promise.all([dropper, faults]);
    // Whatever a fault left down (a restart still pending) runs again now.
    await wait(1_600);
    for (const name of ALL_SERVICES) fleet.start(name);
    say(`all pairs dropped and every fault done; draining (timeout ${(drainTimeoutMs / 1000).toFixed(0)} s)`);

    // Drained: every pair has its calls-ready job (or a file of it failed or was rejected),
    // data/ holds nothing but failed files, and no work queue has a job waiting or running.
    const drainStart = performance.now();
    const wavOrJson = (stem: string) => [`${stem}.wav`, `${stem}.json`];
    const topLevelFiles = async () =>
      (await readdir(dataDir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    let drained = false;
    let lastProgress = '';
    while (performance.now() - drainStart < drainTimeoutMs) {
      const ready = new Set(await readyIds());
      const missing = stems.filter((stem) => !ready.has(`${TENANT}/${stem}`));
      const left = await topLevelFiles();
      let busy = 0;
      for (const name of WORK_QUEUES) {
        const counts = await queue(name).getJobCounts(
          'waiting',
          'active',
          'prioritized',
          'delayed',
          'waiting-children',
        );
        busy += Object.values(counts).reduce((sum, n) => sum + n, 0);
      }
      const concerned = [...new Set([...missing.flatMap(wavOrJson), ...left])];
      const assets = concerned.length ? await state.assets.getMany(TENANT, concerned) : [];
      const stateOf = new Map(concerned.map((name, i) => [name, assets[i]?.state]));
      const terminal = (name: string) => ['failed', 'rejected'].includes(stateOf.get(name) ?? '');
      const accounted = missing.every((stem) => wavOrJson(stem).some(terminal));
      const stray = left.filter((name) => stateOf.get(name) !== 'failed');
      const progress = `${ready.size} of ${pairs} ready, ${left.length} files in data/, ${busy} jobs queued or running`;
      if (progress !== lastProgress) say(`drain: ${progress}`);
      lastProgress = progress;
      if (accounted && stray.length === 0 && busy === 0) {
        drained = true;
        break;
      }
      await wait(500);
    }
    const drainAfterFaultsMs = Math.round(performance.now() - drainStart);
    say(
      drained
        ? `drained (checked ${(drainAfterFaultsMs / 1000).toFixed(1)} s after the last fault)`
        : `NOT drained ${(drainAfterFaultsMs / 1000).toFixed(1)} s after the last fault`,
    );

    // The count. calls-ready (what consumers get) and the status API (the state) must agree.
    const readyJobs = await queue('calls-ready').getJobs(ALL_JOB_STATES, 0, -1);
    const updatedJobs = await queue('calls-updated').getJobs(ALL_JOB_STATES, 0, -1);
    // Drained when the last call became ready (its calls-ready job was added), or never.
    const lastReadyAt = Math.max(lastDropAt, ...readyJobs.map((job) => job.timestamp));
    const drainMs = drained ? lastReadyAt - lastDropAt : Date.now() - lastDropAt;
    const calls = await listAll<Call>(statusUrl, 'calls');
    const assetsByState = async (assetState: string) =>
      listAll<Asset>(statusUrl, 'files', { state: assetState });
    const [failedAssets, rejectedAssets, pendingAssets, processingAssets] = await Promise.all([
      assetsByState('failed'),
      assetsByState('rejected'),
      assetsByState('pending'),
      assetsByState('processing'),
    ]);
    const tally = tallyPairs(
      stems.map((stem, index) => ({ stem, callTime: callTimeOf(index) })),
      readyJobs.map((job) => ({ id: job.id ?? '', call: job.data as Call })),
      calls,
    );
    const left = await topLevelFiles();
    const failedNames = new Set(failedAssets.map((asset) => asset.name));
    const stuck = new Set([
      ...pendingAssets.map((asset) => asset.name),
      ...processingAssets.map((asset) => asset.name),
      ...left.filter((name) => !failedNames.has(name)),
    ]);
    const failedJobs: Partial<Record<QueueName, number>> = {};
    for (const name of [...WORK_QUEUES, 'intake-scan', 'calls-ready'] as QueueName[]) {
      const failed = await queue(name).getFailedCount();
      if (failed) failedJobs[name] = failed;
    }
    const finalStall = stall as StallRecord | null;
    if (finalStall?.jobId) {
      const jobKey = `${prefix('media-probe')}:media-probe:${finalStall.jobId}`;
      const [stalls, finishedOn, failedReason] = await Promise.all([
        redis.hget(jobKey, 'stc'),
        redis.hget(jobKey, 'finishedOn'),
        redis.hget(jobKey, 'failedReason'),
      ]);
      finalStall.stalls = Number(stalls ?? 0);
      finalStall.completed = Boolean(finishedOn) && !failedReason;
      if (failedReason) finalStall.failedReason = failedReason;
      finalStall.callReady = tally.ready.has(stallStem);
      const version = (await state.assets.get(TENANT, finalStall.file))?.versions.at(-1);
      finalStall.versionAttempts = version?.attempts?.count ?? null;
    }
    const examples = (found: Map<string, string>) =>
      [...found].slice(0, 20).map(([stem, reason]) => `${stem}: ${reason}`);
    return {
      seed,
      pairs,
      ready: tally.ready.size,
      lost: tally.lost.size,
      duplicate: tally.duplicate.size,
      failed: failedAssets.length,
      stuck: stuck.size,
      rejected: rejectedAssets.length,
      reemitted: updatedJobs.length,
      drained,
      drainMs,
      drainAfterFaultsMs,
      runMs: Math.round(performance.now() - started),
      appendfsync,
      shutdownDeadlineMs,
      kills,
      redisCrash,
      sigterms,
      stall: finalStall,
      unexpectedExits: fleet.unexpectedExits,
      faultErrors,
      failedJobs,
      examples: {
        lost: examples(tally.lost),
        duplicate: examples(tally.duplicate),
        failed: failedAssets
          .slice(0, 20)
          .map(
            (asset) => `${asset.name}: ${asset.versions.at(-1)?.attempts?.lastError ?? asset.reason ?? ''}`,
          ),
        stuck: [...stuck].slice(0, 20),
        rejected: rejectedAssets.slice(0, 20).map((asset) => `${asset.name}: ${asset.reason ?? ''}`),
      },
    };
  } finally {
    stop.abort();
    options.signal?.removeEventListener('abort', onAbort);
    await fleet.stopAll(shutdownDeadlineMs + 2_000);
    for (const queue of queues.values()) await queue.close().catch(() => undefined);
    redis?.disconnect();
    await redisServer.stop();
    await rm(root, { recursive: true, force: true });
    process.off('exit', killNow);
  }
}

// ---------------------------------------------------------------------------------------------

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The figures as a small table, with the faults and anything that needs a look. */
export function formatReport(report: ChaosReport): string {
  const lines: string[] = [];
  const row = (name: string, value: string | number) => lines.push(`  ${name.padEnd(11)} ${value}`);
  lines.push(`chaos: ${report.pairs} pairs, seed ${report.seed}, run ${seconds(report.runMs)}`);
  row('lost', report.lost);
  row('duplicate', report.duplicate);
  row('failed', report.failed);
  row('stuck', report.stuck);
  row('ready', `${report.ready} of ${report.pairs}`);
  row('rejected', report.rejected);
  row('re-emitted', `${report.reemitted} (calls-updated jobs; nothing was updated)`);
  row(
    'drain',
    report.drained
      ? `${seconds(report.drainMs)} from the last upload to the last calls-ready job (check passed ${seconds(report.drainAfterFaultsMs)} after the last fault)`
      : `TIMED OUT: not drained ${seconds(report.drainMs)} after the last upload`,
  );
  const byService = new Map<string, number>();
  for (const kill of report.kills) byService.set(kill.service, (byService.get(kill.service) ?? 0) + 1);
  row(
    'SIGKILLs',
    `${report.kills.length}: ${[...byService].map(([service, n]) => `${service} ${n}`).join(', ')}`,
  );
  const crash = report.redisCrash;
  row(
    'Redis crash',
    crash
      ? `${crash.what} at ${crash.atSec} s, down ${seconds(crash.downMs)}, AOF replayed in ${seconds(crash.restartMs)}; calls-ready ${crash.readyJobsBefore} → ${crash.readyJobsAfter}; sentinel ${crash.sentinelKept ? 'kept' : 'LOST'} (appendfsync ${report.appendfsync})`
      : 'none',
  );
  const limit = report.shutdownDeadlineMs + 1_000;
  row(
    'SIGTERM',
    report.sigterms
      .map(
        (s) =>
          `${s.service} ${s.exitMs === null ? 'never' : `${s.exitMs} ms`}${s.withinLimit ? '' : ' OVER'} (${s.activeJobs} active, ${s.exitSignal ? `died of ${s.exitSignal}` : `exit ${s.exitCode}`})`,
      )
      .join('; ') + ` — limit ${seconds(limit)}`,
  );
  const stall = report.stall;
  row(
    'stall',
    stall
      ? `${stall.jobId || stall.file}: stalled ${stall.stalls}×, ${stall.completed ? 'completed' : `NOT completed${stall.failedReason ? ` (${stall.failedReason})` : ''}`}, call ${stall.callReady ? 'ready' : 'NOT ready'}, attempts on its version: ${stall.versionAttempts ?? 'none recorded'}${stall.error ? ` — ${stall.error}` : ''}`
      : 'none',
  );
  const violations = report.sigterms.filter((s) => !s.withinLimit);
  if (violations.length)
    lines.push(
      `  SHUTDOWN DEADLINE VIOLATED: ${violations.map((s) => `${s.service} ${s.exitMs === null ? 'did not exit' : seconds(s.exitMs)}`).join(', ')} (limit ${seconds(limit)})`,
    );
  if (report.unexpectedExits.length)
    lines.push(
      `  UNEXPECTED EXITS: ${report.unexpectedExits.map((e) => `${e.service} at ${e.atSec} s (code ${e.code}, signal ${e.signal})`).join('; ')}`,
    );
  if (report.faultErrors.length) lines.push(`  FAULTS NOT CARRIED OUT: ${report.faultErrors.join('; ')}`);
  const failedJobs = Object.entries(report.failedJobs);
  if (failedJobs.length) lines.push(`  failed jobs: ${failedJobs.map(([q, n]) => `${q} ${n}`).join(', ')}`);
  for (const [kind, examples] of Object.entries(report.examples))
    if (examples.length) lines.push(`  ${kind}, e.g.:`, ...examples.map((example) => `    ${example}`));
  lines.push(chaosPassed(report) ? 'PASS: nothing lost, duplicated or stuck' : 'FAIL');
  return lines.join('\n');
}

/** The figures as one JSON line (no examples or output tails). */
export function reportJson(report: ChaosReport): string {
  return JSON.stringify({
    pairs: report.pairs,
    seed: report.seed,
    lost: report.lost,
    duplicate: report.duplicate,
    failed: report.failed,
    stuck: report.stuck,
    ready: report.ready,
    rejected: report.rejected,
    reemitted: report.reemitted,
    drained: report.drained,
    drainMs: report.drainMs,
    drainAfterFaultsMs: report.drainAfterFaultsMs,
    runMs: report.runMs,
    kills: report.kills,
    redisCrash: report.redisCrash,
    sigterms: report.sigterms,
    stall: report.stall,
    unexpectedExits: report.unexpectedExits.map(({ outputTail: _tail, ...rest }) => rest),
    faultErrors: report.faultErrors,
    failedJobs: report.failedJobs,
    passed: chaosPassed(report),
  });
}
