// `npm run ingest -- validate DIR`: the customer's offline dry run, judged with the services'
// own naming, probing and metadata code; exit 1 when any file would be rejected.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeWav } from '@callintake/media';
import { tempDir, WORKSPACE_ROOT } from '@callintake/testing';
import type { FileVerdict } from './validate';

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
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', join(WORKSPACE_ROOT, 'apps/ingest/src/main.ts'), 'validate', ...args],
    {
      cwd: WORKSPACE_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
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
});
