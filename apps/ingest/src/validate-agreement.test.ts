// `ingest validate` must say what the service does. One folder of good and bad files goes both
// through the dry run and through the real intake (a scan, then the probe, parse and CRM
// handlers on the jobs it queued, against Redis), and every file gets the same verdict, reason
// code and warnings from both.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { handleIngestCrmBatch } from '@callintake/crm-ingester';
import { scanSource } from '@callintake/intake-watcher';
import { encodeWav } from '@callintake/media';
import { handleProbeRecording, type ProbeDeps } from '@callintake/media-prober';
import { handleParseMetadata } from '@callintake/metadata-parser';
import {
  JobProducer,
  RetryLaterError,
  workerConnection,
  type AssetVersionJob,
  type JobContext,
  type QueueName,
  queuePrefix,
} from '@callintake/queues';
import type { Asset, TenantConfig } from '@callintake/schemas';
import { manualClock, StateStore, type RedisClient } from '@callintake/state';
import { LocalArchiveStore, LocalUploadArea } from '@callintake/storage';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  tempDir,
  uniqueNamespace,
  WORKSPACE_ROOT,
  testRedisSettings,
} from '@callintake/testing';
import { judgeDir } from './validate';

const FIXTURES = join(WORKSPACE_ROOT, 'libs/format/media/test/fixtures');

const wav = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1 });
const json = (fields: Record<string, unknown>) =>
  JSON.stringify({ datetime: '2024-03-12T09:15:00Z', email: 'a@example.com', ...fields });

/** The folder both judge; `.../link.wav` points at `outside`. */
async function populate(dir: string, outside: string): Promise<void> {
  const files: Record<string, string | Buffer> = {
    '20240312-091500_outbound_1001.wav': wav,
    // Taken, with a warning: no time or id in its name.
    'ringcentral.wav': encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 2 }),
    // One recording per call: a second recording with the same name up to extension and case
    // (in one scan, name order decides which is first). Two files of the same bytes are left
    // out: which of two uploaded together is captured first is not decided by name.
    '20240312-091500_OUTBOUND_1001.wav': encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 3 }),
    'text.mp3': 'hello, not audio',
    'empty.wav': '',
    'notes.txt': 'junk',
    'upload.wav.part': 'half',
    '20240312-091500_outbound_1001.json': json({}),
    'bad-value.json': json({ datetime: 'not a date' }),
    'nested.json': json({ extra: { deep: 1 } }),
    'big.json': json({ note: 'x'.repeat(1024 * 1024) }),
    'per-call.csv': 'datetime,email\n2024-03-12T09:15:00Z,a@example.com\n',
    'batch.csv':
      'datetime,email\n2024-03-12T09:15:00Z,a@example.com\nnot a date,b@example.com\n2024-03-12T09:20:00Z,c@example.com\n',
    'all-bad.csv': 'datetime,email\nnot a date,a@example.com\nnever,b@example.com\n',
    'contacts_1.csv': 'id,name\nC-1,Ana\n,Nobody\n',
    'leads_1.csv': 'id,name\n,Nobody\n ,Nobody either\n',
    // Windows-1252 "é": the service refuses text that is not UTF-8.
    'accounts_1.csv': Buffer.concat([
      Buffer.from('id,name\nA-1,Caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]),
    // Latin-1 past the first rows: the whole batch is refused, none of its rows taken.
    'contacts_latin1.csv': Buffer.concat([
      Buffer.from('id,name\n' + Array.from({ length: 3000 }, (_, i) => `C-${i},Ana ${i}\n`).join('')),
      Buffer.from('C-x,Jos'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]),
    'sub/call.wav': wav,
    'sub/deeper/call.json': json({}),
    'sub/still.wav.part': 'half',
    '.hidden/inside.wav': wav,
    'processed/earlier.wav': wav,
    'rejected/earlier.txt': 'junk',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  await mkdir(join(dir, 'empty-folder'));
  await symlink(outside, join(dir, 'link.wav'));
}

type Verdict = { verdict: string; code?: string; warnings: string[] };

const namespace = uniqueNamespace('validate-agreement');
let redis: RedisClient;
let producer: JobProducer;
let folder: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  redis = workerConnection(testRedisSettings(namespace));
  producer = new JobProducer(redis, queuePrefix(testRedisSettings(namespace)));
  folder = await tempDir('validate-agreement');
});

after(async () => {
  await producer.close();
  await redis.quit();
  await removeNamespace(namespace);
  await folder.remove();
});

/** What the real intake makes of data/, by name under it (a file it ignored is absent). */
async function serviceVerdicts(tenant: TenantConfig, root: string): Promise<Map<string, Verdict>> {
  const state = new StateStore(redis, namespace, manualClock(new Date('2024-03-12T10:00:00Z')));
  const area = new LocalUploadArea(root);
  const archive = new LocalArchiveStore(join(folder.path, 'archive'));
  const deps: ProbeDeps = {
    state,
    producer,
    tenant: (id) => (id === tenant.id ? tenant : undefined),
    uploadArea: () => area,
    archive: () => archive,
  };
  await scanSource({ tenant, area, state, producer, logger: silentLogger() });

  const handlers: Partial<Record<string, (job: AssetVersionJob, context: JobContext) => Promise<void>>> = {
    'probe-recording': (job, context) => handleProbeRecording(deps, job, context),
    'parse-metadata': (job, context) => handleParseMetadata(deps, job, context),
    'ingest-crm-batch': (job, context) => handleIngestCrmBatch(deps, job, context),
  };
  const queues: QueueName[] = ['crm-ingest', 'media-probe', 'metadata-parse'];
  // Rounds, as workers would: a job that asks to run later (a look-alike recording waiting for
  // the one seen first) runs again in the next round.
  const done = new Set<string>();
  for (let progress = true; progress;) {
    progress = false;
    for (const queue of queues) {
      const jobs: Job[] = await producer.queue(queue).getJobs(['waiting', 'prioritized', 'delayed']);
      for (const job of jobs) {
        // The queues are shared by this file's tests: only this tenant's jobs.
        if (done.has(`${queue}:${job.id}`) || (job.data as AssetVersionJob).tenantId !== tenant.id) continue;
        const handler = handlers[job.name];
        assert.ok(handler, `no handler for ${job.name}`);
        try {
          await handler(job.data as AssetVersionJob, {
            jobId: job.id ?? '',
            attempt: 1,
            logger: silentLogger(),
          });
        } catch (error) {
          if (error instanceof RetryLaterError) continue;
          throw error;
        }
        done.add(`${queue}:${job.id}`);
        progress = true;
      }
    }
  }

  const assets: Asset[] = [];
  let cursor: string | undefined;
  do {
    const page = await state.assets.list(tenant.id, { limit: 100, ...(cursor ? { cursor } : {}) });
    assets.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const verdicts = new Map<string, Verdict>();
  for (const asset of assets) {
    const warnings = asset.warnings.map((w) => w.code).sort();
    if (asset.state === 'processed') verdicts.set(asset.name, { verdict: 'accepted', warnings });
    else if (asset.state === 'rejected')
      verdicts.set(asset.name, { verdict: 'rejected', code: asset.reason?.code ?? '?', warnings: [] });
    else assert.fail(`${asset.name} is ${asset.state} after its job ran: ${JSON.stringify(asset)}`);
  }
  return verdicts;
}

describe('ingest validate agrees with the service', () => {
  it('gives every file the verdict, reason and warnings intake and its stage give it', async () => {
    const tenant = localTenant(join(folder.path, 'tenant'), { id: 'agree' });
    const outside = join(folder.path, 'outside.wav');
    await writeFile(outside, wav);
    const dryRun = join(folder.path, 'dry-run');
    const root = join(folder.path, 'tenant', 'upload');
    await populate(dryRun, outside);
    await populate(join(root, 'data'), outside);

    // The upload area (a folder holding data/) and a plain folder are judged alike.
    const judgedRoot = await judgeDir(root, tenant);
    assert.deepEqual(judgedRoot, await judgeDir(dryRun, tenant));
    const validated = new Map<string, Verdict>();
    for (const v of judgedRoot) {
      validated.set(v.file, {
        verdict: v.verdict,
        ...(v.verdict === 'rejected' ? { code: v.reason?.code ?? '?' } : {}),
        warnings: v.verdict === 'rejected' ? [] : v.warnings.map((w) => w.code).sort(),
      });
    }
    const service = await serviceVerdicts(tenant, root);

    // The service records nothing for an ignored file; the dry run lists it as ignored.
    const names = [...new Set([...validated.keys(), ...service.keys()])].sort();
    const table = (source: Map<string, Verdict>) =>
      Object.fromEntries(
        names.map((name) => [name, source.get(name) ?? { verdict: 'ignored', warnings: [] }]),
      );
    assert.deepEqual(table(validated), table(service));

    // And the folder holds what it was meant to: each rule is exercised.
    assert.deepEqual(table(service), {
      '.hidden/inside.wav': { verdict: 'rejected', code: 'nested-directory', warnings: [] },
      '20240312-091500_outbound_1001.json': { verdict: 'accepted', warnings: [] },
      '20240312-091500_OUTBOUND_1001.wav': { verdict: 'accepted', warnings: [] },
      '20240312-091500_outbound_1001.wav': { verdict: 'rejected', code: 'duplicate-recording', warnings: [] },
      'accounts_1.csv': { verdict: 'rejected', code: 'parse-error', warnings: [] },
      'all-bad.csv': { verdict: 'rejected', code: 'invalid-value', warnings: [] },
      'bad-value.json': { verdict: 'rejected', code: 'invalid-value', warnings: [] },
      'batch.csv': { verdict: 'accepted', warnings: ['invalid-value'] },
      'big.json': { verdict: 'rejected', code: 'too-large', warnings: [] },
      'contacts_1.csv': { verdict: 'accepted', warnings: ['missing-id'] },
      'contacts_latin1.csv': { verdict: 'rejected', code: 'parse-error', warnings: [] },
      'empty.wav': { verdict: 'rejected', code: 'empty-file', warnings: [] },
      'leads_1.csv': { verdict: 'rejected', code: 'missing-id', warnings: [] },
      'link.wav': { verdict: 'rejected', code: 'unsupported-type', warnings: [] },
      'nested.json': { verdict: 'rejected', code: 'nested-field', warnings: [] },
      'notes.txt': { verdict: 'rejected', code: 'unsupported-type', warnings: [] },
      'per-call.csv': { verdict: 'accepted', warnings: [] },
      'ringcentral.wav': { verdict: 'accepted', warnings: ['unrecognized-name'] },
      'sub/call.wav': { verdict: 'rejected', code: 'nested-directory', warnings: [] },
      'sub/deeper/call.json': { verdict: 'rejected', code: 'nested-directory', warnings: [] },
      'sub/still.wav.part': { verdict: 'ignored', warnings: [] },
      'text.mp3': { verdict: 'rejected', code: 'format-mismatch', warnings: [] },
      'upload.wav.part': { verdict: 'ignored', warnings: [] },
    });

    // The live folder now holds the service's processed/ and rejected/: the dry run skips them,
    // and judges only what the service left in data/ (files in customer folders, temporary names).
    const live = (await judgeDir(join(root, 'data'), tenant)).map((v) => v.file);
    assert.ok(live.length > 0);
    assert.deepEqual(
      live.filter((file) => file.startsWith('processed/') || file.startsWith('rejected/')),
      [],
    );
    assert.deepEqual(
      live.filter((file) => !file.includes('/') && !file.endsWith('.part')),
      ['link.wav'],
      'only nested, temporary and linked files stay in data/',
    );
  });
  it('gives every media fixture, hostile ones included, the verdict the service gives it', async () => {
    const tenant = localTenant(join(folder.path, 'fixtures-tenant'), { id: 'agree-fixtures' });
    const root = join(folder.path, 'fixtures-tenant', 'upload');
    const data = join(root, 'data');
    await mkdir(data, { recursive: true });
    // One file per content: of two identical files uploaded together the service keeps the one
    // it captures first, which no name order predicts (README "Rules that span files").
    const seen = new Set<string>();
    const names = (await readdir(FIXTURES))
      .filter((name) => name !== 'README.md' && name !== 'manifest.json')
      .sort();
    for (const name of names) {
      const bytes = await readFile(join(FIXTURES, name));
      const hash = createHash('sha256').update(bytes).digest('hex');
      if (seen.has(hash)) continue;
      seen.add(hash);
      await writeFile(join(data, name), bytes);
    }
    assert.ok(seen.size > 50, `${seen.size} fixtures`);
    const validated = new Map<string, Verdict>();
    for (const v of await judgeDir(root, tenant)) {
      validated.set(v.file, {
        verdict: v.verdict,
        ...(v.verdict === 'rejected' ? { code: v.reason?.code ?? '?' } : {}),
        warnings: v.verdict === 'rejected' ? [] : v.warnings.map((w) => w.code).sort(),
      });
    }
    const service = await serviceVerdicts(tenant, root);
    assert.deepEqual(Object.fromEntries([...validated].sort()), Object.fromEntries([...service].sort()));
    const rejected = [...service.values()].filter((v) => v.verdict === 'rejected').length;
    assert.ok(rejected >= 10 && rejected < service.size, `${rejected} of ${service.size} rejected`);
  });
});
