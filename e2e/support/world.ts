// A tenant's whole pipeline without workers, for end-to-end tests: scan, then every handler
// called directly on the jobs it finds in the queues, in the order the workers would take them.
// Real Redis, real folders, synthetic WAVs; each world has its own tenant and clock. Tests in
// e2e/ share it so each seam is driven the way a customer drives it (files into data/).
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Job } from 'bullmq';
import { handleIngestCrmBatch } from '@callintake/crm-ingester';
import { type ErrorReport } from '@callintake/asset-lifecycle';
import { scanSource } from '@callintake/intake-watcher';
import {
  handleMatchMetadata,
  handleMatchRecording,
  handleNoteRejection,
  handlePairByHand,
  handleRefreshCallCrm,
} from '@callintake/matcher';
import { encodeWav, stampTag } from '@callintake/media';
import { handleProbeRecording, type ProbeDeps } from '@callintake/media-prober';
import { handleParseMetadata } from '@callintake/metadata-parser';
import {
  JobProducer,
  RetryLaterError,
  workerConnection,
  type JobData,
  type JobContext,
  type JobName,
  type JobPayloads,
  type QueueName,
  queuePrefix,
} from '@callintake/queues';
import type { Call, TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { LocalArchiveStore, LocalUploadArea, type UploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';

export interface Harness {
  /** A new tenant with its own folders, clock and handlers; overrides go into its config. */
  world(overrides?: Record<string, unknown>): Promise<World>;
  /** The producer every world's handlers write with (queues of this harness's namespace). */
  readonly producer: JobProducer;
  readonly redis: RedisClient;
}

export type World = Awaited<ReturnType<typeof makeWorld>>;

/**
 * Registers before/after hooks for one test file: its own Redis namespace and temp folder,
 * removed at the end.
 */
export function pipelineHarness(label: string): Harness {
  const namespace = uniqueNamespace(label);
  const shared: Shared = { namespace, tenantCount: 0 } as Shared;
  before(async () => {
    shared.redis = workerConnection(testRedisSettings(namespace));
    shared.producer = new JobProducer(shared.redis, queuePrefix(testRedisSettings(namespace)));
    shared.folder = await tempDir(label);
  });
  after(async () => {
    await shared.producer.close();
    await shared.redis.quit();
    await removeNamespace(namespace);
    await shared.folder.remove();
  });
  return {
    world: (overrides = {}) => makeWorld(shared, overrides),
    get producer() {
      return shared.producer;
    },
    get redis() {
      return shared.redis;
    },
  };
}

interface Shared {
  namespace: string;
  redis: RedisClient;
  producer: JobProducer;
  folder: { path: string; remove(): Promise<void> };
  tenantCount: number;
}

export const START = new Date('2024-03-12T10:00:00Z');
export const HOUR = 3600_000;
export const MAPPING = {
  datetime: { to: 'callTime', type: 'datetime' },
  email: { to: 'userId' },
  filename: { to: 'recordingFile' },
  direction: { to: 'direction' },
};
/** Stage order of the workers: CRM first (priority lane), then media and metadata, then matching. */
export const STAGES: QueueName[] = ['crm-ingest', 'media-probe', 'metadata-parse', 'call-match'];

export type Handlers = {
  [J in JobName]?: (payload: JobPayloads[J], context: JobContext) => Promise<unknown>;
};

async function makeWorld(shared: Shared, overrides: Record<string, unknown>) {
  const { producer, namespace } = shared;
  shared.tenantCount += 1;
  const id = `pipe-${shared.tenantCount}`;
  const base = join(shared.folder.path, id);
  const tenant: TenantConfig = localTenant(base, { id, ...overrides });
  const root = join(base, 'upload');
  await mkdir(join(root, 'data'), { recursive: true });
  const clock = manualClock(START);
  const state = new StateStore(shared.redis, namespace, clock);
  const archive = new LocalArchiveStore(join(base, 'archive'));
  /** What the workers read the upload area through; a test may swap in a failing one. */
  let area: UploadArea = new LocalUploadArea(root);
  const deps: ProbeDeps = {
    state,
    producer,
    tenant: (tenantId) => (tenantId === id ? tenant : undefined),
    uploadArea: () => area,
    archive: () => archive,
  };
  const handlers: Handlers = {
    'probe-recording': (payload, context) => handleProbeRecording(deps, payload, context),
    'parse-metadata': (payload, context) => handleParseMetadata(deps, payload, context),
    'ingest-crm-batch': (payload, context) => handleIngestCrmBatch(deps, payload, context),
    'match-recording': (payload, context) => handleMatchRecording(deps, payload, context),
    'match-metadata': (payload, context) => handleMatchMetadata(deps, payload, context),
    'pair-by-hand': (payload, context) => handlePairByHand(deps, payload, context),
    'refresh-call-crm': (payload, context) => handleRefreshCallCrm(deps, payload, context),
    'note-rejection': (payload, context) => handleNoteRejection(deps, payload, context),
  };
  // BullMQ keeps completed jobs (and ignores adds of their ids) for a day; so do we.
  const done = new Set<string>();

  const context = (job: Job): JobContext => ({ jobId: job.id ?? '', attempt: 1, logger: silentLogger() });

  /** Jobs of this tenant waiting on a queue, oldest first. */
  const waiting = async (queue: QueueName): Promise<Job[]> => {
    const jobs = await producer.queue(queue).getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs
      .filter((job) => tenantOf(job) === id && !done.has(`${queue}:${job.id}`))
      .sort((a, b) => a.timestamp - b.timestamp || String(a.id).localeCompare(String(b.id)));
  };

  const runJob = async (queue: QueueName, job: Job) => {
    const handler = handlers[job.name as JobName] as
      ((payload: unknown, context: JobContext) => Promise<unknown>) | undefined;
    if (!handler) throw new Error(`no handler for ${job.name}`);
    await handler(job.data as JobData<JobName>, context(job));
    done.add(`${queue}:${job.id}`);
  };

  /**
   * Runs what waits on one queue, like that queue's worker would; returns how many finished. A
   * job that asks to run later (RetryLaterError: it waits for another file) stays queued for the
   * next round, as a worker would delay it.
   */
  const run = async (queue: QueueName): Promise<number> => {
    let finished = 0;
    for (const job of await waiting(queue)) {
      try {
        await runJob(queue, job);
        finished += 1;
      } catch (error) {
        if (!(error instanceof RetryLaterError)) throw error;
      }
    }
    return finished;
  };

  return {
    id,
    tenant,
    root,
    clock,
    state,
    deps,
    context,
    waiting,
    runJob,
    run,
    setArea(next: UploadArea) {
      area = next;
    },
    scan: () =>
      scanSource({ tenant, area: new LocalUploadArea(root), state, producer, logger: silentLogger() }),
    /** Scans, then runs every stage in order until nothing is left. */
    async settle() {
      await this.scan();
      let ran = 0;
      do {
        ran = 0;
        for (const queue of STAGES) ran += await run(queue);
      } while (ran > 0);
    },
    async put(name: string, content: string | Buffer, mtime = new Date(clock.now().getTime() - 60_000)) {
      const path = join(root, 'data', name);
      await writeFile(path, content === wav ? wavFor(name) : content);
      await utimes(path, mtime, mtime);
    },
    async calls(): Promise<Call[]> {
      return (await state.calls.list(id, { limit: 100 })).items;
    },
    async dataFiles(dir = 'data'): Promise<string[]> {
      const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name)
        .sort();
    },
    async errorReport(name: string): Promise<ErrorReport> {
      return JSON.parse(
        await readFile(join(root, 'data', 'rejected', `${name}.error.json`), 'utf8'),
      ) as ErrorReport;
    },
  };
}

function tenantOf(job: Job): string | undefined {
  const payload = job.data as { tenantId?: string };
  return payload.tenantId;
}

export const RECORDING = '20240312-093000_out_jdoe.wav';
export const STEM = '20240312-093000_out_jdoe';
/**
 * The tests' stereo recording. `put()` writes it with the file's name stamped into its first
 * audio bytes (wavFor), so two recordings are never the same bytes: the service rejects the same
 * bytes under a second name as duplicate-content. Pass other buffers for exact bytes.
 */
export const wav = encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1.5 });

/** `wav` as `put()` writes it under `name`. */
export function wavFor(name: string): Buffer {
  return stampTag(Buffer.from(wav), name);
}

export function metadataJson(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    datetime: '2024-03-12T09:30:00Z',
    email: 'jdoe@acme.test',
    filename: RECORDING,
    direction: 'outbound',
    campaign: 'spring',
    ...fields,
  });
}
