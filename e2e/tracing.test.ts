// One file followed from scan to calls-ready: each service runs its own workers on its own
// Redis connections, and the only thing that carries a trace from one to the next is the job
// (its options: opts.telemetry.metadata). An in-memory tracer registered through
// @opentelemetry/api records every span.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeWav } from '@callintake/media';
import { jobId, traceCarrierOf } from '@callintake/queues';
import { silentLogger } from '@callintake/telemetry';
import {
  localTenant,
  removeNamespace,
  startRecordingTracer,
  tempDir,
  testRedisEnv,
  uniqueNamespace,
  waitFor,
  type RecordedSpan,
  type RecordingTracer,
} from '@callintake/testing';
import { Runtime, type RunningService, type ServiceName } from '@callintake/runtime';
import { startService } from '@callintake/services';

const namespace = uniqueNamespace('tracing');
const STEM = '20240312-093000_out_jdoe';
const RECORDING = `${STEM}.wav`;
const METADATA = `${STEM}.json`;
const SERVICES: ServiceName[] = ['media-prober', 'metadata-parser', 'matcher', 'intake-watcher'];

let tracer: RecordingTracer;
let folder: { path: string; remove(): Promise<void> };
const runtimes: Runtime[] = [];
const services: RunningService[] = [];

before(async () => {
  tracer = startRecordingTracer();
  folder = await tempDir('tracing');
  const tenant = localTenant(folder.path, { id: 'traced' });
  const data = join(folder.path, 'upload', 'data');
  await mkdir(data, { recursive: true });
  await writeFile(join(data, RECORDING), encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1 }));
  await writeFile(
    join(data, METADATA),
    JSON.stringify({ datetime: '2024-03-12T09:30:00Z', email: 'jdoe@acme.test', direction: 'outbound' }),
  );
  for (const name of SERVICES) {
    const runtime = await Runtime.create({
      service: name,
      env: { ...testRedisEnv(), REDIS_NAMESPACE: namespace },
      tenants: [tenant],
      logger: silentLogger(),
    });
    runtimes.push(runtime);
    services.push(await startService(name, runtime));
  }
});

after(async () => {
  for (const service of services) await service.stop();
  for (const runtime of runtimes) await runtime.close();
  tracer?.stop();
  await removeNamespace(namespace);
  await folder?.remove();
});

function traceIdOf(traceparent: string | undefined): { traceId: string; spanId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent ?? '');
  assert.ok(match, `a W3C traceparent: ${traceparent}`);
  return { traceId: match[1] as string, spanId: match[2] as string };
}

/** A span and its ancestors, nearest first. */
function chain(spans: RecordedSpan[], from: RecordedSpan): RecordedSpan[] {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const path = [from];
  for (let span = from; span.parentSpanId;) {
    const parent = byId.get(span.parentSpanId);
    assert.ok(parent, `span ${span.name} has its parent ${span.parentSpanId} recorded`);
    path.push(parent);
    span = parent;
  }
  return path;
}

describe('tracing across services', () => {
  it('follows each file in one trace of its own, from scan to the calls-ready job', async () => {
    const producer = runtimes[0]?.producer;
    assert.ok(producer);
    const ready = await waitFor(async () => producer.queue('calls-ready').getJob(jobId('traced', STEM)), {
      what: 'the call on calls-ready',
      timeoutMs: 30_000,
    });
    // Downstream consumers get the call document itself as job data, and the trace beside it.
    assert.deepEqual(ready.data, await runtimes[0]?.state.calls.get('traced', STEM));
    const carried = traceIdOf(traceCarrierOf(ready)?.['traceparent']);

    // The job was added inside the matcher's span, which ends right after. A stage's span ends
    // after it handed its file on (the template enqueues, then moves and records), so the next
    // stage's span may end first: wait until every span of both files is recorded.
    const ended = (recorded: RecordedSpan[], file: string, name: string) =>
      recorded.some(
        (span) =>
          span.name === name &&
          String(
            span.attributes['messaging.message.id'] ?? span.attributes['callintake.file'] ?? '',
          ).includes(file),
      );
    const spans = await waitFor(
      async () => {
        const recorded = tracer.spans();
        const complete =
          recorded.some((span) => span.spanId === carried.spanId) &&
          ended(recorded, RECORDING, 'media-probe probe-recording') &&
          ended(recorded, METADATA, 'metadata-parse parse-metadata') &&
          ended(recorded, RECORDING, 'call-match match-recording') &&
          ended(recorded, METADATA, 'call-match match-metadata');
        return complete ? recorded : null;
      },
      { what: 'every span of both files' },
    );

    const takeSpan = (file: string) => {
      const found = spans.filter(
        (span) => span.name === 'intake take-file' && span.attributes['callintake.file'] === file,
      );
      assert.equal(found.length, 1, `one take-file span for ${file}`);
      return found[0] as RecordedSpan;
    };
    const scans = spans.filter((span) => span.name === 'intake-scan scan-source');
    assert.ok(scans.length > 0, 'scan spans are recorded');
    const traces = new Map<string, string>();
    for (const [file, stage] of [
      [RECORDING, 'media-probe probe-recording'],
      [METADATA, 'metadata-parse parse-metadata'],
    ] as const) {
      const take = takeSpan(file);
      // A trace of its own, linked to the scan that found it.
      assert.equal(take.parentSpanId, undefined, `${file} starts its own trace`);
      assert.equal(take.links.length, 1);
      assert.ok(
        scans.some(
          (scan) => scan.spanId === take.links[0]?.spanId && scan.traceId === take.links[0]?.traceId,
        ),
        `${file}'s trace links to the scan that took it`,
      );
      const mentioning = spans.filter((span) =>
        String(span.attributes['messaging.message.id'] ?? span.attributes['callintake.file'] ?? '').includes(
          file,
        ),
      );
      assert.deepEqual(
        mentioning.map((span) => span.name).sort(),
        [
          'intake take-file',
          stage,
          file === RECORDING ? 'call-match match-recording' : 'call-match match-metadata',
        ].sort(),
        `the spans of ${file}`,
      );
      for (const span of mentioning)
        assert.equal(span.traceId, take.traceId, `${span.name} is in ${file}'s trace`);
      // Each is the child of the stage before it.
      const match = mentioning.find((span) => span.name.startsWith('call-match')) as RecordedSpan;
      assert.deepEqual(
        chain(spans, match).map((span) => span.name),
        [match.name, stage, 'intake take-file'],
      );
      traces.set(file, take.traceId);
    }
    assert.notEqual(traces.get(RECORDING), traces.get(METADATA), 'two files, two traces');

    // The calls-ready job continues the trace of the match that made the call ready.
    const emitter = spans.find((span) => span.spanId === carried.spanId) as RecordedSpan;
    assert.match(emitter.name, /^call-match match-(recording|metadata)$/);
    assert.equal(emitter.traceId, carried.traceId);
    assert.ok([...traces.values()].includes(carried.traceId), 'calls-ready carries one of the files’ traces');
  });
});
