// The customer guide's rules that span files (issue 14), driven as a customer drives them: files
// into data/, results read from the calls and the downstream queues. One metadata per call and
// 48 hours per call whatever file carries it, end-of-call names, batches named by their
// timestamp, one recording per call, a waiting call that says why, and a reference that moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeWav } from '@callintake/media';
import { jobId, RetryLaterError, type JobData } from '@callintake/queues';
import type { Call } from '@callintake/schemas';
import { HOUR, metadataJson, pipelineHarness, RECORDING, STEM, wav, wavFor } from './support/world';

const harness = pipelineHarness('seed-rules');
const world = harness.world;

async function updatedJob(tenantId: string, call: Call | undefined) {
  const job = await harness.producer
    .queue('calls-updated')
    .getJob(jobId(tenantId, call?.id ?? '', `v${call?.version}`));
  return job?.data as JobData<'call-updated'> | undefined;
}

describe('one metadata source per call, and 48 hours per call whatever file carries it', () => {
  it('takes a second file for the same recording within the window as an update, flagged metadata-replaced', async () => {
    const w = await world();
    await w.put(RECORDING, wav);
    await w.put(`${STEM}.json`, metadataJson());
    await w.settle();
    w.clock.advance(2 * HOUR);
    await w.put('crm-export-0042.json', metadataJson({ campaign: 'autumn' }));
    await w.settle();

    const calls = await w.calls();
    assert.deepEqual(
      calls.map((c) => [c.id, c.status, c.metadata?.fileName, c.metadata?.fields['campaign']]),
      [[STEM, 'ready', 'crm-export-0042.json', 'autumn']],
      'one call, with the newer source',
    );
    assert.equal(calls[0]?.version, 2);
    assert.equal((await updatedJob(w.id, calls[0]))?.metadata?.fileName, 'crm-export-0042.json');
    assert.deepEqual(
      calls[0]?.lineage?.map((s) => [s.kind, s.fileName, s.version, s.current]),
      [
        ['recording', RECORDING, 1, true],
        ['metadata', `${STEM}.json`, 1, false],
        ['metadata', 'crm-export-0042.json', 1, true],
      ],
    );
    const asset = await w.state.assets.get(w.id, 'crm-export-0042.json');
    assert.deepEqual(
      asset?.warnings.map((warning) => [warning.code, warning.file]),
      [['metadata-replaced', `${STEM}.json`]],
    );
    assert.match(asset?.warnings[0]?.message ?? '', new RegExp(`call ${STEM}`));
  });

  it('refuses a batch row for a call past its window as update-window-closed, naming the call', async () => {
    const w = await world();
    await w.put(RECORDING, wav);
    await w.put(`${STEM}.json`, metadataJson());
    await w.settle();
    const before = (await w.calls())[0] as Call;
    w.clock.advance(72 * HOUR);
    // A batch named by its timestamp (the guide's advice); row 2 is late, row 3 a new call.
    await w.put(
      '20240315-100000.csv',
      [
        'datetime,email,filename,direction',
        `2024-03-12T09:30:00Z,late@acme.test,${RECORDING},outbound`,
        '2024-03-15T09:00:00Z,new@acme.test,20240315-090000_out_new.wav,outbound',
      ].join('\n'),
    );
    await w.settle();

    const call = await w.state.calls.get(w.id, STEM);
    assert.deepEqual(call, before, 'the call is unchanged');
    assert.equal(await harness.producer.queue('calls-updated').getJob(jobId(w.id, STEM, 'v2')), undefined);
    const report = await w.errorReport('20240315-100000.csv').catch(() => undefined);
    const asset = await w.state.assets.get(w.id, '20240315-100000.csv');
    assert.equal(asset?.state, 'processed', 'the batch is taken, its late row refused');
    const refused = asset?.warnings.find((warning) => warning.code === 'update-window-closed');
    assert.equal(refused?.line, 2);
    assert.equal(refused?.file, `${STEM}.json`);
    assert.match(refused?.message ?? '', new RegExp(`call ${STEM}`));
    assert.equal(report === undefined || JSON.stringify(report).includes('update-window-closed'), true);
  });

  it('measures the window to the upload time, not to when the file is parsed', async () => {
    const w = await world();
    await w.put(RECORDING, wav);
    await w.put(`${STEM}.json`, metadataJson());
    await w.settle();
    w.clock.advance(47 * HOUR); // 47.5 hours after the 09:30 call
    await w.put('crm-export-0043.json', metadataJson({ campaign: 'late but in time' }));
    await w.scan();
    w.clock.advance(6 * HOUR); // a backlog: parsed well after the window closed
    await w.settle();
    const [call] = await w.calls();
    assert.equal(call?.metadata?.fileName, 'crm-export-0043.json');
  });

  it('treats names equal after case folding as one call: the second metadata file replaces the first', async () => {
    const w = await world();
    await w.put(`${STEM}.json`, metadataJson({ filename: undefined }));
    await w.settle();
    await w.put(`${STEM.toUpperCase()}.json`, metadataJson({ filename: undefined, campaign: 'upper' }));
    await w.settle();
    await w.put(RECORDING, wav);
    await w.settle();
    const calls = await w.calls();
    assert.deepEqual(
      calls.map((c) => [c.id, c.status, c.metadata?.fileName]),
      [[STEM, 'ready', `${STEM.toUpperCase()}.json`]],
    );
  });
});

describe('end-of-call names (filenameTime: end)', () => {
  it('gives the call its start, while it waits and once same-name metadata without a time pairs', async () => {
    const w = await world({ filenameTime: 'end', metadata: { fields: { email: { to: 'userId' } } } });
    await w.put(RECORDING, wav); // 1.5 s, named at its end, 09:30:00
    await w.settle();
    assert.equal((await w.calls())[0]?.callTime, '2024-03-12T09:29:58.500Z', 'waiting');
    await w.put(`${STEM}.json`, JSON.stringify({ email: 'jdoe@acme.test' }));
    await w.settle();
    const [call] = await w.calls();
    assert.equal(call?.status, 'ready');
    assert.equal(call?.callTime, '2024-03-12T09:29:58.500Z', 'paired');
  });
});

describe('a batch named by its timestamp', () => {
  it('gives its rows no call time, and a one-row batch pairs by its fields, fuzzily too', async () => {
    const w = await world();
    await w.put('20240312-093000_out_jdoe.wav', wav);
    await w.put(
      '20240312-120000.csv',
      'datetime,email,direction\n2024-03-12T09:30:05Z,jdoe@acme.test,outbound\n',
    );
    await w.put('20240312-130000.csv', 'email,direction\nnotime@acme.test,outbound\n');
    await w.settle();
    const calls = await w.calls();
    const paired = calls.find((c) => c.status === 'ready');
    assert.equal(paired?.match?.method, 'fuzzy');
    assert.deepEqual([paired?.metadata?.fileName, paired?.metadata?.line], ['20240312-120000.csv', 2]);
    const untimed = await w.state.assets.get(w.id, '20240312-130000.csv');
    assert.equal(untimed?.state, 'rejected', 'a row without a time does not take the batch name as one');
    assert.equal(untimed?.reason?.code, 'missing-field');
    assert.equal(untimed?.reason?.field, 'callTime');
  });
});

describe('one recording per call', () => {
  const frame = Buffer.alloc(417);
  Buffer.from([0xff, 0xfb, 0x90, 0x00]).copy(frame); // MPEG-1 layer III, 128 kbit/s, 44.1 kHz
  const mp3 = Buffer.concat(Array.from({ length: 50 }, () => frame));

  it('rejects X.mp3 after X.wav as duplicate-recording naming the first, and pairs the first', async () => {
    const w = await world();
    await w.put(RECORDING, wav);
    await w.settle();
    await w.put(`${STEM}.mp3`, mp3);
    await w.put(`${STEM}.json`, metadataJson());
    await w.settle();
    const mp3Asset = await w.state.assets.get(w.id, `${STEM}.mp3`);
    assert.equal(mp3Asset?.state, 'rejected');
    assert.equal(mp3Asset?.reason?.code, 'duplicate-recording');
    assert.equal(mp3Asset?.reason?.file, RECORDING);
    assert.equal((await w.errorReport(`${STEM}.mp3`)).error.code, 'duplicate-recording');
    const calls = await w.calls();
    assert.deepEqual(
      calls.map((c) => [c.id, c.status, c.recording?.fileName]),
      [[STEM, 'ready', RECORDING]],
    );
  });

  it('decides look-alikes of one scan by name order, however their probes interleave', async () => {
    for (const order of ['as queued', 'reversed'] as const) {
      const w = await world();
      await w.put(RECORDING, wav);
      await w.put(`${STEM}.mp3`, mp3);
      await w.scan();
      const probes = await w.waiting('media-probe');
      assert.equal(probes.length, 2);
      if (order === 'reversed') probes.reverse();
      // The second probe waits (RetryLater) while the first seen is still being captured.
      const results = await Promise.allSettled(probes.map((job) => w.runJob('media-probe', job)));
      await w.settle();
      if (results.some((result) => result.status === 'rejected')) {
        for (const job of probes) await w.runJob('media-probe', job).catch(() => undefined);
        await w.settle();
      }
      const wavAsset = await w.state.assets.get(w.id, RECORDING);
      assert.equal(wavAsset?.reason?.code, 'duplicate-recording', order);
      assert.equal(wavAsset?.reason?.file, `${STEM}.mp3`, `${STEM}.mp3 sorts first (${order})`);
      assert.equal((await w.state.assets.get(w.id, `${STEM}.mp3`))?.state, 'processed');
    }
  });

  it('gives the key to the next look-alike when the first seen is rejected', async () => {
    const w = await world();
    await w.put(`${STEM}.mp3`, 'not audio at all');
    await w.put(RECORDING, wav);
    await w.put(`${STEM}.json`, metadataJson());
    await w.scan();
    // The .wav is probed first: it waits for the .mp3, seen first (name order), to be decided.
    const wavProbe = (await w.waiting('media-probe')).find((job) =>
      JSON.stringify(job.data).includes(RECORDING),
    );
    assert.ok(wavProbe);
    await assert.rejects(w.runJob('media-probe', wavProbe), RetryLaterError);
    await w.settle();
    assert.equal((await w.state.assets.get(w.id, `${STEM}.mp3`))?.reason?.code, 'format-mismatch');
    const [call] = await w.calls();
    assert.deepEqual([call?.status, call?.recording?.fileName], ['ready', RECORDING]);
  });

  it('rejects a name that differs only in case or Unicode normalisation as duplicate-recording', async () => {
    const w = await world();
    const nfc = '20240312-093000_out_jos\u00e9.wav';
    const nfd = '20240312-093000_out_jose\u0301.wav';
    await w.put(nfc, wav);
    await w.settle();
    await w.put(nfd, wav);
    await w.put('20240312-093000_OUT_JOS\u00c9.wav', wav);
    await w.settle();
    for (const name of [nfd, '20240312-093000_OUT_JOS\u00c9.wav']) {
      const asset = await w.state.assets.get(w.id, name);
      assert.equal(asset?.reason?.code, 'duplicate-recording', name);
      assert.equal(asset?.reason?.file, nfc);
    }
    assert.equal((await w.calls()).length, 1);
  });

  it('rejects the same bytes under another name as duplicate-content naming the first', async () => {
    const w = await world();
    const bytes = encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1, uniqueTag: 'once' });
    await w.put(RECORDING, bytes);
    await w.settle();
    await w.put('20240312-094500_out_jdoe.wav', bytes);
    await w.settle();
    const asset = await w.state.assets.get(w.id, '20240312-094500_out_jdoe.wav');
    assert.equal(asset?.reason?.code, 'duplicate-content');
    assert.equal(asset?.reason?.file, RECORDING);
    assert.deepEqual(
      (await w.calls()).map((c) => c.id),
      [STEM],
    );
  });
});

describe('a call whose file was rejected', () => {
  it('says why it waits for its recording', async () => {
    const w = await world();
    await w.put(`${STEM}.json`, metadataJson({ filename: undefined }));
    await w.settle();
    await w.put(RECORDING, 'this is not audio');
    await w.settle();
    const [call] = await w.calls();
    assert.equal(call?.status, 'awaiting_recording');
    assert.equal(call?.statusReason?.file, RECORDING);
    assert.equal(call?.statusReason?.code, 'format-mismatch');
    assert.match(call?.statusReason?.message ?? '', /was rejected/);
  });

  it('says why it waits for its metadata, also when the rejection came first; a good file clears it', async () => {
    const w = await world();
    await w.put(`${STEM}.json`, '{"datetime": "2024-03-12T09:30:00Z"}'); // no email: missing-field
    await w.settle();
    await w.put(RECORDING, wav);
    await w.settle();
    const [waiting] = await w.calls();
    assert.equal(waiting?.status, 'awaiting_metadata');
    assert.deepEqual(
      [waiting?.statusReason?.code, waiting?.statusReason?.file, waiting?.statusReason?.field],
      ['missing-field', `${STEM}.json`, 'userId'],
    );
    await w.put(`${STEM}.json`, metadataJson());
    await w.settle();
    const [ready] = await w.calls();
    assert.equal(ready?.status, 'ready');
    assert.equal(ready?.statusReason, undefined);
  });
});

describe('a metadata update that moves its reference to another recording', () => {
  it('sends the old call back to awaiting_metadata, with calls-updated saying so', async () => {
    const w = await world();
    const other = '20240312-094000_out_jdoe.wav';
    await w.put(RECORDING, wav);
    await w.put(other, wav);
    await w.put('export-7.json', metadataJson());
    await w.settle();
    const first = (await w.state.calls.get(w.id, STEM)) as Call;
    assert.equal(first.status, 'ready');

    w.clock.advance(HOUR);
    await w.put('export-7.json', metadataJson({ filename: other }));
    await w.settle();
    const moved = await w.state.calls.get(w.id, '20240312-094000_out_jdoe');
    assert.equal(moved?.status, 'ready');
    assert.equal(moved?.metadata?.fileName, 'export-7.json');
    const old = (await w.state.calls.get(w.id, STEM)) as Call;
    assert.equal(old.status, 'awaiting_metadata');
    assert.equal(old.metadata, undefined);
    assert.equal(old.version, first.version + 1);
    assert.equal((await updatedJob(w.id, old))?.status, 'awaiting_metadata');
    // The old recording can take metadata again.
    await w.put(`${STEM}.json`, metadataJson({ campaign: 'again' }));
    await w.settle();
    const again = (await w.state.calls.get(w.id, STEM)) as Call;
    assert.equal(again.status, 'ready');
    assert.equal(again.metadata?.fileName, `${STEM}.json`);
    assert.deepEqual(wavFor(RECORDING).length, again.recording?.sizeBytes);
  });
});

describe('a field given twice in one metadata file', () => {
  it('is refused alike in JSON, YAML and XML, naming the field', async () => {
    const w = await world();
    await w.put(
      'twice.json',
      '{"datetime": "2024-03-12T09:30:00Z", "email": "a@acme.test",\n "email": "b@acme.test"}',
    );
    await w.put('twice.yaml', 'datetime: 2024-03-12T09:30:00Z\nemail: a@acme.test\nemail: b@acme.test\n');
    await w.put(
      'twice.xml',
      '<call><datetime>2024-03-12T09:30:00Z</datetime><email>a@acme.test</email><email>b@acme.test</email></call>',
    );
    await w.settle();
    for (const name of ['twice.json', 'twice.yaml', 'twice.xml']) {
      const { error } = await w.errorReport(name);
      assert.deepEqual([error.code, error.field], ['parse-error', 'email'], name);
    }
  });
});
