// Prometheus /metrics after real work: a scan and every handler run on real files, with a
// manual clock moved between stages, so each latency lands in a bucket we can name. The status
// API reads what the workers recorded in Redis, as it does as a separate process.
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { parseApiTokens } from '@callintake/config';
import { handleIngestCrmBatch } from '@callintake/crm-ingester';
import { scanSource } from '@callintake/intake-watcher';
import { handleMatchMetadata, handleMatchRecording, handleNoteRejection } from '@callintake/matcher';
import { encodeWav } from '@callintake/media';
import { handleProbeRecording, type ProbeDeps } from '@callintake/media-prober';
import { handleParseMetadata } from '@callintake/metadata-parser';
import {
  JobProducer,
  workerConnection,
  type JobData,
  type JobContext,
  type JobName,
  type JobPayloads,
  type QueueName,
  queuePrefix,
} from '@callintake/queues';
import { manualClock, STAGE_BUCKETS_SECONDS, StateStore, type RedisClient } from '@callintake/state';
import { buildStatusApi } from '@callintake/status-api';
import { LocalArchiveStore, LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  testRedisSettings,
} from '@callintake/testing';

const namespace = uniqueNamespace('metrics');
const START = new Date('2024-03-12T10:00:00Z');
let redis: RedisClient;
let producer: JobProducer;
let folder: { path: string; remove(): Promise<void> };

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  folder = await tempDir('metrics');
});

after(async () => {
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await folder.remove();
});

type Handlers = { [J in JobName]?: (payload: JobPayloads[J], context: JobContext) => Promise<unknown> };

async function world() {
  const tenant = localTenant(folder.path, { id: 'metrics' });
  const root = join(folder.path, 'upload');
  await mkdir(join(root, 'data'), { recursive: true });
  const clock = manualClock(START);
  const state = new StateStore(redis, namespace, clock);
  const archive = new LocalArchiveStore(join(folder.path, 'archive'));
  const deps: ProbeDeps = {
    state,
    producer,
    tenant: (tenantId) => (tenantId === tenant.id ? tenant : undefined),
    uploadArea: () => new LocalUploadArea(root),
    archive: () => archive,
  };
  const handlers: Handlers = {
    'probe-recording': (payload, context) => handleProbeRecording(deps, payload, context),
    'parse-metadata': (payload, context) => handleParseMetadata(deps, payload, context),
    'ingest-crm-batch': (payload, context) => handleIngestCrmBatch(deps, payload, context),
    'match-recording': (payload, context) => handleMatchRecording(deps, payload, context),
    'match-metadata': (payload, context) => handleMatchMetadata(deps, payload, context),
    'note-rejection': (payload, context) => handleNoteRejection(deps, payload, context),
  };
  const context = (job: Job): JobContext => ({ jobId: job.id ?? '', attempt: 1, logger: silentLogger() });
  const ran: Array<{ queue: QueueName; job: Job }> = [];
  const runJob = async (job: Job) => {
    const handler = handlers[job.name as JobName] as
      ((payload: unknown, context: JobContext) => Promise<unknown>) | undefined;
    if (!handler) throw new Error(`no handler for ${job.name}`);
    await handler(job.data as JobData<JobName>, context(job));
  };
  return {
    tenant,
    clock,
    state,
    ran,
    runJob,
    app: buildStatusApi({
      state,
      producer,
      tokens: parseApiTokens('t:*'),
      tenants: new Map([[tenant.id, tenant]]),
    }),
    async put(name: string, content: string | Buffer) {
      const path = join(root, 'data', name);
      await writeFile(path, content);
      const mtime = new Date(clock.now().getTime() - 60_000);
      await utimes(path, mtime, mtime);
    },
    scan: () =>
      scanSource({ tenant, area: new LocalUploadArea(root), state, producer, logger: silentLogger() }),
    /** Runs every job waiting on one queue, once, as its worker would. */
    async run(queue: QueueName) {
      const jobs = await producer.queue(queue).getJobs(['waiting', 'prioritized', 'delayed']);
      for (const job of jobs) {
        await runJob(job);
        ran.push({ queue, job });
        await job.remove();
      }
    },
  };
}

/** The samples of a /metrics body, by series (name and labels), checking the format on the way. */
function parseExposition(body: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of body.trimEnd().split('\n')) {
    const type = /^# TYPE (\w+) (gauge|counter|histogram)$/.exec(line);
    if (type) {
      assert.ok(!typed.has(type[1] as string), `one TYPE line for ${type[1]}`);
      typed.add(type[1] as string);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample = /^(\w+)(\{[^}]*\})? (-?[\d.]+(?:e[+-]?\d+)?)$/.exec(line);
    assert.ok(sample, `a sample line: ${line}`);
    const family = [...typed].find((name) => (sample[1] as string).startsWith(name));
    assert.ok(family, `${line} follows the TYPE line of its family`);
    samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
}

const WAV = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1 });
const STEM = '20240312-093000_out_jdoe';

describe('/metrics after real work', () => {
  it('counts rejections by reason and times each stage, once per transition', async () => {
    const w = await world();
    await w.put(`${STEM}.wav`, WAV);
    await w.put(
      `${STEM}.json`,
      JSON.stringify({ datetime: '2024-03-12T09:30:00Z', email: 'jdoe@acme.test', direction: 'outbound' }),
    );
    await w.put('notes.txt', 'not ours');
    await w.put('empty.wav', '');
    await w.put('broken.wav', 'RIFF but not really a wave file at all');
    // A batch with one good row and two bad ones: rows are rejected, not the file.
    await w.put(
      'calls_batch.csv',
      'datetime,email,direction\n2024-03-12T09:00:00Z,a@acme.test,outbound\nnot-a-date,b@acme.test,inbound\n,c@acme.test,inbound\n',
    );

    await w.scan(); // everything is first seen at START; intake rejects notes.txt and empty.wav
    w.clock.advance(2_000);
    await w.run('media-probe'); // the recording is captured at +2 s; broken.wav is rejected
    w.clock.advance(3_000);
    await w.run('metadata-parse'); // the JSON and the batch are captured at +5 s
    w.clock.advance(1_500);
    await w.run('call-match'); // the call is ready at +6.5 s

    const call = await w.state.calls.get(w.tenant.id, STEM);
    assert.equal(call?.status, 'ready');

    const read = async () => {
      const response = await w.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(response.statusCode, 200);
      return parseExposition(response.body);
    };
    const first = await read();
    const value = (series: string) => {
      assert.ok(first.has(series), `${series} is exported`);
      return first.get(series);
    };

    assert.equal(value('callintake_rejections_total{kind="unknown",reason="unsupported-type"}'), 1);
    assert.equal(value('callintake_rejections_total{kind="recording",reason="empty-file"}'), 1);
    const broken = await w.state.assets.get(w.tenant.id, 'broken.wav');
    assert.equal(broken?.state, 'rejected');
    assert.equal(value(`callintake_rejections_total{kind="recording",reason="${broken?.reason?.code}"}`), 1);
    const rejectedRowTotal = [...first]
      .filter(([series]) => series.startsWith('callintake_rejected_rows_total{kind="call-metadata"'))
      .reduce((sum, [, count]) => sum + count, 0);
    assert.equal(rejectedRowTotal, 2, 'two bad rows of the batch');
    const batch = await w.state.assets.get(w.tenant.id, 'calls_batch.csv');
    assert.equal(batch?.state, 'processed');
    for (const warning of batch?.warnings ?? [])
      assert.ok(
        first.has(`callintake_rejected_rows_total{kind="call-metadata",reason="${warning.code}"}`),
        warning.code,
      );

    /** The smallest bucket bound holding `seconds`: where a single observation shows up first. */
    const histogram = (stage: string, kind: string, seconds: number, count: number) => {
      const labels = `stage="${stage}",kind="${kind}"`;
      assert.equal(
        value(`callintake_stage_duration_seconds_count{${labels}}`),
        count,
        `${stage} ${kind} count`,
      );
      assert.equal(
        value(`callintake_stage_duration_seconds_sum{${labels}}`),
        seconds * count,
        `${stage} ${kind} sum`,
      );
      assert.equal(value(`callintake_stage_duration_seconds_bucket{${labels},le="+Inf"}`), count);
      for (const bound of STAGE_BUCKETS_SECONDS)
        assert.equal(
          value(`callintake_stage_duration_seconds_bucket{${labels},le="${bound}"}`),
          bound >= seconds ? count : 0,
          `${stage} ${kind} le=${bound}`,
        );
    };
    histogram('seen_to_captured', 'recording', 2, 1);
    histogram('seen_to_captured', 'call-metadata', 5, 2); // the JSON file and the batch
    // One ready call: the batch's good row names no recording and waits (awaiting_recording).
    histogram('captured_to_ready', 'call', 1.5, 1);
    histogram('seen_to_ready', 'call', 6.5, 1);

    // At-least-once delivery: every job again, and a rescan, later. Nothing counts twice.
    w.clock.advance(60_000);
    await w.scan();
    for (const { job } of w.ran) await w.runJob(job);
    // Queue gauges move with real time (the calls-ready job ages), as do the process's own
    // metrics and the age of the last upload; pipeline counters must not.
    const moving = /^(callintake_queue_|process_|nodejs_|callintake_tenant_last_upload_age_seconds)/;
    const counters = (samples: Map<string, number>) =>
      [...samples].filter(([series]) => !moving.test(series));
    assert.deepEqual(counters(await read()), counters(first));
  });
});
