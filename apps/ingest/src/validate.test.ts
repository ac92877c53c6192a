// `npm run ingest -- validate DIR`: the customer's offline dry run, judged with the services'
// own naming, probing and metadata code; exit 1 when any file would be rejected.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeWav } from '@callintake/media';
import { tempDir, WORKSPACE_ROOT } from '@callintake/testing';
import type { PairingPrediction } from './predict-pairing';
import type { FileVerdict, MappingUsed } from './validate';

let dir: Awaited<ReturnType<typeof tempDir>>;
let good: string;
let mixed: string;
let tenants: string;

before(async () => {
  dir = await tempDir('validate');
  good = join(dir.path, 'good');
  mixed = join(dir.path, 'mixed');
  await mkdir(good);
  await mkdir(mixed);
  tenants = join(dir.path, 'tenants.yaml');
  await writeFile(
    tenants,
    'tenants:\n  - id: acme\n    source: { kind: local, root: up }\n    archive: { kind: local, root: ar }\n    metadata:\n      fields:\n        datetime: { to: callTime, type: datetime }\n        email: { to: userId }\n',
  );
  const wav = encodeWav({ sampleRateHz: 8000, channels: 2, durationSec: 1 });
  await writeFile(join(good, '20240312-091500_outbound_1001.wav'), wav);
  await writeFile(
    join(good, '20240312-091500_outbound_1001.json'),
    JSON.stringify({ datetime: '2024-03-12T13:15:00Z', email: 'a@example.com' }),
  );
  await writeFile(join(good, 'contacts_1.csv'), 'id,name\nC-1,Ana\n');
  await copyFile(
    join(WORKSPACE_ROOT, 'libs/format/media/test/fixtures/m4a-aac-mono.m4a'),
    join(good, 'ringcentral_ABC123.m4a'),
  );

  await writeFile(join(mixed, 'ok.wav'), wav);
  await writeFile(join(mixed, 'text.mp3'), 'hello, not audio');
  await writeFile(
    join(mixed, 'nested.json'),
    JSON.stringify({ datetime: '2024-03-12T13:15:00Z', email: 'a@example.com', extra: { deep: 1 } }),
  );
  await writeFile(
    join(mixed, 'batch.csv'),
    'datetime,email\n2024-03-12T13:15:00Z,a@example.com\nnot a date,b@example.com\n',
  );
  // Windows-1252 "é" (0xE9): the service refuses text that is not UTF-8, so must the dry run.
  await writeFile(
    join(mixed, 'excel.csv'),
    Buffer.concat([
      Buffer.from('datetime,email\n2024-03-12T13:15:00Z,ren'),
      Buffer.from([0xe9]),
      Buffer.from('@example.com\n'),
    ]),
  );
  await writeFile(join(mixed, 'notes.txt'), 'junk');
  await writeFile(join(mixed, 'upload.wav.part'), 'half');
  // As intake does: a customer's folder is walked, and each file in it is reported.
  await mkdir(join(mixed, 'sub'));
  await writeFile(join(mixed, 'sub', 'call.wav'), wav);
});
after(async () => dir.remove());

function validate(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.INGEST_TENANTS;
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', join(WORKSPACE_ROOT, 'apps/ingest/src/main.ts'), 'validate', ...args],
    {
      cwd: WORKSPACE_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env,
    },
  );
}

interface Report {
  dir: string;
  dataDir: string;
  mapping: MappingUsed;
  files: FileVerdict[];
  pairing: PairingPrediction;
  rejected: number;
}

/** The integration guide's own example metadata file. */
const GUIDE_EXAMPLE = JSON.stringify({
  datetime: '2021-05-11T21:59:59Z',
  email: 'email.of.user@test.com',
  filename: 'sftp/path/to/recording.mp3',
  direction: 'outbound',
});

async function folderWith(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const folder = join(dir.path, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(folder, file, '..'), { recursive: true });
    await writeFile(join(folder, file), content);
  }
  return folder;
}

describe('ingest validate', () => {
  it('exits 0 when every file would be taken, and describes what it found', () => {
    const result = validate(good, '--tenants', tenants);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /ACCEPTED 20240312-091500_outbound_1001\.wav +\(recording\) wav\/pcm_s16le 1 s, 2 ch, 8000 Hz/,
    );
    assert.match(result.stdout, /ACCEPTED ringcentral_ABC123\.m4a +\(recording\) mp4\/aac .* 1 ch, 16000 Hz/);
    assert.match(result.stdout, /ACCEPTED contacts_1\.csv +\(crm-batch\) 1 rows accepted, 0 rejected/);
  });

  it('exits 1 with a specific reason per rejected file, in text and in JSON', () => {
    const text = validate(mixed, '--tenants', tenants, '--tenant', 'acme');
    assert.equal(text.status, 1, text.stdout + text.stderr);
    assert.match(
      text.stdout,
      /REJECTED text\.mp3 +\(recording\) format-mismatch: expected .* but content looks like plain text/,
    );
    assert.match(text.stdout, /REJECTED nested\.json +\(call-metadata\) nested-field \[extra\]/);
    assert.match(text.stdout, /warning line 3: invalid-value/);
    assert.match(text.stdout, /warning: unrecognized-name: recording name does not follow/);

    const json = validate(mixed, '--tenants', tenants, '--json');
    assert.equal(json.status, 1);
    const report = JSON.parse(json.stdout) as { files: FileVerdict[]; rejected: number };
    const byFile = Object.fromEntries(report.files.map((f) => [f.file, f]));
    assert.equal(byFile['ok.wav']?.verdict, 'accepted');
    assert.equal(byFile['text.mp3']?.reason?.code, 'format-mismatch');
    assert.equal(byFile['notes.txt']?.reason?.code, 'unsupported-type');
    assert.equal(byFile['upload.wav.part']?.verdict, 'ignored');
    assert.equal(byFile['sub/call.wav']?.reason?.code, 'nested-directory');
    assert.deepEqual(byFile['batch.csv']?.rows, { accepted: 1, rejected: 1 });
    assert.equal(byFile['excel.csv']?.reason?.code, 'parse-error');
    assert.match(byFile['excel.csv']?.reason?.message ?? '', /UTF-8/);
    assert.equal(report.rejected, 5);
  });

  it('names a bad tenants file key instead of judging files', () => {
    const broken = join(dir.path, 'broken.yaml');
    spawnSync('sh', ['-c', `printf 'tenants:\\n  - id: Bad Id\\n' > ${broken}`]);
    const result = validate(good, '--tenants', broken);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /tenants\[0\]\.id: must match \[a-z0-9-\]\+/);
  });

  it('says which mapping it used: without --tenants, the guide example mapping, which takes the guide example', async () => {
    const folder = await folderWith('guide', { 'guide.json': GUIDE_EXAMPLE });
    const text = validate(folder);
    assert.equal(text.status, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /^tenant mapping: none given\n/);
    assert.match(text.stdout, /email -> userId/);
    assert.match(text.stdout, /judged with the integration guide's example mapping/);
    assert.match(text.stdout, /ACCEPTED guide\.json/);

    const json = validate(folder, '--json');
    const report = JSON.parse(json.stdout) as Report;
    assert.equal(report.mapping.from, 'default');
    assert.equal(report.mapping.fields['email'], 'userId (string)');
    assert.deepEqual(report.mapping.required, ['callTime', 'userId']);

    const named = JSON.parse(validate(folder, '--tenants', tenants, '--json').stdout) as Report;
    assert.equal(named.mapping.from, 'tenants-file');
    assert.equal(named.mapping.tenant, 'acme');
    assert.equal(named.mapping.tenantsFile, tenants);
    const withFile = validate(folder, '--tenants', tenants);
    assert.match(
      withFile.stdout,
      new RegExp(`^tenant mapping: acme from ${tenants.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  it("skips the service's own processed/ and rejected/, whether DIR is the upload area or its data/", async () => {
    const root = await folderWith('live', {
      'data/20240312-091500_outbound_1001.json': JSON.stringify({
        datetime: '2024-03-12T13:15:00Z',
        email: 'a@example.com',
      }),
      'data/processed/20240312-091500_outbound_1001.wav': 'moved here once captured',
      'data/rejected/notes.txt': 'junk',
      'data/rejected/notes.txt.error.json': '{}',
    });
    for (const target of [root, join(root, 'data')]) {
      const result = validate(target, '--json');
      assert.equal(result.status, 0, result.stdout + result.stderr);
      const report = JSON.parse(result.stdout) as Report;
      assert.equal(report.dataDir, join(root, 'data'));
      assert.deepEqual(
        report.files.map((f) => f.file),
        ['20240312-091500_outbound_1001.json'],
      );
    }
    assert.match(validate(root).stdout, /judging .*live\/data: .*live holds data\//);
  });

  it('predicts the one-recording-per-call rejections: same bytes, and the same name up to extension and case', async () => {
    const bytes = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1, uniqueTag: 'same' });
    const folder = await folderWith('duplicates', {
      'a-first.wav': bytes,
      'b-copy.wav': bytes,
      '20240312-091500_out_jdoe.wav': encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 2 }),
      '20240312-091500_OUT_JDOE.WAV': encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 3 }),
    });
    const json = validate(folder, '--json');
    assert.equal(json.status, 1, 'a rejected file makes validate exit 1');
    const { files } = JSON.parse(json.stdout) as { files: FileVerdict[] };
    const verdicts = Object.fromEntries(
      files.map((f) => [f.file, [f.verdict, f.reason?.code, f.reason?.file]]),
    );
    assert.deepEqual(verdicts, {
      'a-first.wav': ['accepted', undefined, undefined],
      'b-copy.wav': ['rejected', 'duplicate-content', 'a-first.wav'],
      // Byte order: upper case sorts first, and name order decides within one upload.
      '20240312-091500_OUT_JDOE.WAV': ['accepted', undefined, undefined],
      '20240312-091500_out_jdoe.wav': ['rejected', 'duplicate-recording', '20240312-091500_OUT_JDOE.WAV'],
    });
  });

  it('predicts which metadata pairs with which recording, or why none, in text and JSON', async () => {
    // Each recording its own bytes: the same bytes twice would be a duplicate-content.
    const wavs = (tag: string) =>
      encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1, uniqueTag: tag });
    const m4a = await readFile(join(WORKSPACE_ROOT, 'libs/format/media/test/fixtures/m4a-aac-mono.m4a'));
    const meta = (fields: Record<string, string>) =>
      JSON.stringify({ datetime: '2024-03-12T09:15:00Z', email: 'a@example.com', ...fields });
    const folder = await folderWith('pairing', {
      '20240312-091500_outbound_1001.wav': wavs('20240312-091500_outbound_1001.wav'),
      '20240312-091500_outbound_1001.json': meta({}),
      '20240312-091600_inbound_1002.wav': wavs('20240312-091600_inbound_1002.wav'),
      'crm-export-7.json': meta({ filename: 'sftp/calls/20240312-091600_inbound_1002.wav' }),
      'ringcentral_BXyT30eVTWlZjUA.m4a': m4a,
      'BXyT30eVTWlZjUA.json': meta({}),
      'lost.json': meta({ filename: 'nowhere.wav', datetime: '2024-03-13T09:15:00Z' }),
      '20240312-091730_outbound_1003.wav': wavs('20240312-091730_outbound_1003.wav'),
      'near.json': meta({ datetime: '2024-03-12T09:18:00Z' }),
      'batch.csv':
        'datetime,email,filename\n2024-03-12T09:15:00Z,a@example.com,gone.wav\n2024-03-12T09:15:00Z,b@example.com,other.wav\n',
      '20240312-093000_outbound_1009.wav': wavs('20240312-093000_outbound_1009.wav'),
    });
    const json = validate(folder, '--json');
    assert.equal(json.status, 0, json.stdout + json.stderr);
    const { pairing } = JSON.parse(json.stdout) as Report;
    assert.deepEqual(pairing.pairs, [
      {
        metadata: '20240312-091500_outbound_1001.json',
        recording: '20240312-091500_outbound_1001.wav',
        method: 'name',
      },
      {
        metadata: 'BXyT30eVTWlZjUA.json',
        recording: 'ringcentral_BXyT30eVTWlZjUA.m4a',
        method: 'external-id',
      },
      { metadata: 'crm-export-7.json', recording: '20240312-091600_inbound_1002.wav', method: 'reference' },
    ]);
    const unpaired = Object.fromEntries(pairing.unpairedMetadata.map((m) => [m.metadata, m]));
    assert.match(
      unpaired['lost.json']?.why ?? '',
      /recordingFile "nowhere\.wav": no recording by that name in this folder/,
    );
    assert.match(unpaired['batch.csv#2']?.why ?? '', /"gone\.wav": no recording by that name/);
    assert.ok(unpaired['batch.csv#3']);
    assert.match(
      unpaired['near.json']?.why ?? '',
      /fuzzy: decided by the service among 20240312-091730_outbound_1003\.wav/,
    );
    assert.deepEqual(unpaired['near.json']?.fuzzyCandidates, ['20240312-091730_outbound_1003.wav']);
    assert.deepEqual(
      pairing.unpairedRecordings.map((r) => r.recording),
      ['20240312-091730_outbound_1003.wav', '20240312-093000_outbound_1009.wav'],
    );

    const text = validate(folder);
    assert.equal(text.status, 0);
    assert.match(
      text.stdout,
      /pairs:\n {2}20240312-091500_outbound_1001\.json -> 20240312-091500_outbound_1001\.wav {2}\(by name\)/,
    );
    assert.match(text.stdout, /crm-export-7\.json -> 20240312-091600_inbound_1002\.wav {2}\(by reference\)/);
    assert.match(
      text.stdout,
      /metadata without a recording:\n(?: {2}.*\n)* {2}lost\.json: recordingFile "nowhere\.wav"/,
    );
    assert.match(
      text.stdout,
      /recordings without metadata:\n {2}20240312-091730_outbound_1003\.wav: no metadata/,
    );
  });

  it("takes the README's tenants example as written, its enum mapping included", async () => {
    const readme = await readFile(join(WORKSPACE_ROOT, 'README.md'), 'utf8');
    const example = /### Tenants file[\s\S]*?```yaml\n(tenants:[\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'README has a tenants example');
    const file = join(dir.path, 'readme-tenants.yaml');
    await writeFile(file, example);
    const meta = (direction: string) =>
      JSON.stringify({ datetime: '2021-05-11T21:59:59Z', email: 'a@example.com', direction });
    const folder = await folderWith('readme', {
      'outbound.json': meta('outbound'),
      'outgoing.json': meta('Outgoing'),
      'inbound.json': meta('inbound'),
      'sideways.json': meta('sideways'),
    });
    const result = validate(folder, '--tenants', file, '--json');
    assert.equal(result.status, 1, result.stdout + result.stderr);
    const byFile = Object.fromEntries((JSON.parse(result.stdout) as Report).files.map((f) => [f.file, f]));
    assert.equal(byFile['outbound.json']?.verdict, 'accepted');
    assert.equal(byFile['outgoing.json']?.verdict, 'accepted');
    assert.equal(byFile['inbound.json']?.verdict, 'accepted');
    assert.equal(byFile['sideways.json']?.reason?.code, 'invalid-value');
    assert.equal(byFile['sideways.json']?.reason?.field, 'direction');
  });
});
