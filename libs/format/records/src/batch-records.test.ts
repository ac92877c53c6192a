import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pairingKey, referenceBaseName } from '@callintake/naming';
import { RejectionError, type TenantConfig } from '@callintake/schemas';
import { readBatchRecords, type BatchRecord, type MetadataFile } from './batch-records';
import { readCsvRows } from './csv-rows';
import { mapRecord } from './map-record';
import { byteStream, collect, tenantWith } from '../test/support';

const tenant = tenantWith({
  timezone: 'America/New_York',
  metadata: {
    fields: {
      datetime: { to: 'callTime', type: 'datetime' },
      email: { to: 'userId' },
      filename: { to: 'recordingFile' },
      direction: { to: 'direction', type: 'enum', values: { outgoing: 'outbound', incoming: 'inbound' } },
      duration: { to: 'durationSec', type: 'integer' },
      amount: { to: 'amount', type: 'decimal' },
    },
    required: ['callTime', 'userId'],
  },
});

function fileOf(fileName: string, forTenant: TenantConfig = tenant): MetadataFile {
  return { tenant: forTenant, fileName, version: 3, receivedAt: '2024-03-12T10:00:00.000Z', seenSeq: 7 };
}

/** The rows as a batch reads them (the first row's per-call reading left out: see perCallRow). */
async function records(text: string, file: MetadataFile, chunkBytes?: number): Promise<BatchRecord[]> {
  const batches = await collect(readBatchRecords(byteStream(text, chunkBytes), file));
  return batches.flat().map((row) => {
    const { perCall: _perCall, ...rest } = row;
    return rest;
  });
}

/** How the first row reads if the file turns out to be a per-call CSV (one row only). */
async function perCallRow(text: string, file: MetadataFile): Promise<BatchRecord['perCall']> {
  const [first] = (await collect(readBatchRecords(byteStream(text), file))).flat();
  return first?.perCall;
}

/** What the handler made of each row before readBatchRecords: readCsvRows, then mapRecord per row. */
async function expected(text: string, file: MetadataFile, callTimeFromName?: string): Promise<BatchRecord[]> {
  const out: BatchRecord[] = [];
  for (const row of await collect(readCsvRows(byteStream(text)))) {
    if ('reason' in row) {
      out.push(row);
      continue;
    }
    try {
      const mapped = mapRecord(row.record, file.tenant, {
        line: row.line,
        ...(callTimeFromName ? { callTimeFromName } : {}),
      });
      const callTime = mapped.canonical.callTime ?? callTimeFromName;
      const canonical = { ...mapped.canonical, ...(callTime ? { callTime } : {}) };
      const reference = canonical.recordingFile ? referenceBaseName(canonical.recordingFile) : undefined;
      out.push({
        line: row.line,
        record: {
          tenantId: file.tenant.id,
          recordId: `${file.fileName}#${row.line}`,
          fileName: file.fileName,
          version: file.version,
          line: row.line,
          fields: mapped.fields,
          canonical,
          sha256: '',
          receivedAt: file.receivedAt,
          seenSeq: 7,
        },
        pairingStem: reference?.ok ? pairingKey(reference.baseName) : undefined,
      });
    } catch (error) {
      if (!(error instanceof RejectionError)) throw error;
      out.push({ line: row.line, reason: { ...error.reason, line: row.line } });
    }
  }
  return out;
}

const HEADER = 'datetime,email,filename,direction,duration,amount,notes';

describe('readBatchRecords', () => {
  it('gives what readCsvRows and mapRecord give, row by row, rejections included', async () => {
    const text = [
      HEADER,
      '2024-03-12T08:00:00Z,a@x.com,sftp/rec/20240312-080000_out_1.WAV,outgoing,93,12.5,"a, b"',
      '2024-03-12 08:00:00,b@x.com,b.wav,INCOMING,7,,plain', // no offset: tenant zone; blank decimal
      '2024-03-12T08:00:00Z,,c.wav,outgoing,1,1,missing user',
      '2024-03-12T08:00:00Z,d@x.com,../../etc/passwd,outgoing,1,1,unsafe',
      '2024-03-12T08:00:00Z,e@x.com,e.wav,sideways,1,1,bad enum',
      'yesterday,f@x.com,f.wav,outgoing,1,1,bad time',
      '2024-03-12T08:00:00+02:00,g@x.com,C:\\calls\\G.Mp3,outgoing,x,1,bad integer',
      '2024-03-12T08:00:00Z,h@x.com,h.wav,outgoing,1', // ragged
      '2024-03-12T08:00:00Z,i@x.com,"i\nj.wav",outgoing,1,1,quoted newline in a name',
      '2024-03-12T08:00:00.123456Z,k@x.com,%2e%2e%2fk.wav,outgoing,1,1,encoded climb',
      '2024-03-12T08:00:00Z,l@x.com,,outgoing,,,no file',
      '',
    ].join('\r\n');
    const file = fileOf('batch.csv');
    const got = await records(text, file);
    assert.deepEqual(got, await expected(text, file));
    assert.equal(got.filter((row) => 'reason' in row).length, 8);
  });

  it('gives the same when a column is named like a mapped target, or columns differ only in case', async () => {
    for (const text of [
      'datetime,email,userId\n2024-03-12T08:00:00Z,a@x.com,\n2024-03-12T08:00:00Z,a@x.com,sent\n',
      'DateTime,EMAIL,notes\n2024-03-12T08:00:00Z,a@x.com,n\n',
      'datetime,Email,EMAIL\n2024-03-12T08:00:00Z,a@x.com,b@x.com\n',
      '__proto__,datetime,email\nx,2024-03-12T08:00:00Z,a@x.com\n',
      '2,1,datetime,email\nb,a,2024-03-12T08:00:00Z,a@x.com\n',
      'datetime,email,recordingFile\n2024-03-12T08:00:00Z,a@x.com,dir/implicit.wav\n',
    ]) {
      const file = fileOf('batch.csv');
      assert.deepEqual(await records(text, file, 7), await expected(text, file), text);
    }
  });

  it('gives the same pairing keys for references read the fast way and the long way', async () => {
    const references = [
      'sftp/rec/X.WAV',
      'Rec.Final.Mp3',
      'no-extension',
      '.hidden',
      'dir/.hidden.wav',
      'trailing.',
      'a.b.',
      ' padded.wav ',
      'rec%201.wav',
      '100%.wav',
      'C:\\calls\\x.wav',
      'a\\b/c.WAV',
      'rec..wav',
      '..\\x.wav',
      'rec:1.wav',
      'Zoë Müller.WAV',
      'dir/ｒｅｃ.wav',
      '．．／rec.wav',
      'ＲＥＣ.WAV',
      '.',
      'dir/',
    ];
    const rows = references.map((reference) => `2024-03-12T08:00:00Z,a@x.com,"${reference}",outgoing,1,1,n`);
    const text = [HEADER, ...rows, ''].join('\n');
    const file = fileOf('batch.csv');
    const got = await records(text, file);
    assert.deepEqual(got, await expected(text, file));
    assert.equal(got.filter((row) => 'reason' in row).length, 4);
  });

  it('gives the same for required fields mapped, unmapped, missing as a column or sent blank', async () => {
    const requiring = (required: string[]) =>
      tenantWith({
        metadata: {
          fields: {
            datetime: { to: 'callTime', type: 'datetime' },
            email: { to: 'userId' },
            code: { to: 'code', type: 'enum', values: { a: 'alpha', b: '' } },
          },
          required,
        },
      });
    const text = [
      'datetime,email,code,notes',
      '2024-03-12T08:00:00Z,a@x.com,a,n',
      '2024-03-12T08:00:00Z,a@x.com,b,n',
      '2024-03-12T08:00:00Z,a@x.com,a,',
      '2024-03-12T08:00:00Z,a@x.com,a, ',
      ',a@x.com,a,n',
      '',
    ].join('\n');
    for (const required of [
      [],
      ['callTime', 'userId'],
      ['code'],
      ['notes'],
      ['missing'],
      ['notes', 'missing'],
    ]) {
      for (const fileName of ['batch.csv', '20240312-080000_out_7.csv']) {
        const file = fileOf(fileName, requiring(required));
        // A batch's name gives its rows no call time, whatever it looks like.
        assert.deepEqual(await records(text, file), await expected(text, file), `${required} ${fileName}`);
      }
    }
  });

  it('gives the same for headers with names that are awkward in source code', async () => {
    const awkward = tenantWith({
      metadata: {
        fields: {
          'h.email': { to: 'userId' },
          'a"b': { to: 'callTime', type: 'datetime' },
          'x\\y': { to: 'durationSec', type: 'integer' },
          constructor: { to: 'recordingFile' },
        },
      },
    });
    const header = '"h.email","a""b","x\\y",constructor,"}; throw 1; {","0",toString,"ü ${1}`"';
    const text = [
      header,
      'a@x.com,2024-03-12T08:00:00Z,3,dir/A.WAV,p,q,r,s',
      'a@x.com,2024-03-12T08:00:00Z,x,a.wav,p,q,r,s',
      ',2024-03-12T08:00:00Z,3,a.wav,p,q,r,s',
      'a@x.com,2024-03-12T08:00:00Z,3,../a.wav,p,q,r,s',
      '',
    ].join('\n');
    const file = fileOf('batch.csv', awkward);
    const got = await records(text, file);
    assert.deepEqual(got, await expected(text, file));
    assert.equal(got.filter((row) => 'reason' in row).length, 3);
  });

  it('gives batch rows no call time from the file name, even one named like a recording', async () => {
    const named = tenantWith({
      metadata: { fields: { email: { to: 'userId' } }, required: ['callTime', 'userId'] },
    });
    for (const name of ['20240312-080000_out_7.csv', '20240312-080000.csv']) {
      const file = fileOf(name, named);
      const text = 'email,callTime\na@x.com,\nb@x.com,2024-03-12T09:00:00Z\n';
      const got = await records(text, file);
      assert.deepEqual(got, await expected(text, file));
      assert.equal('reason' in got[0]! && got[0].reason.code, 'missing-field', name);
      assert.ok('record' in got[1]! && got[1].record.canonical.callTime === '2024-03-12T09:00:00.000Z');
    }
  });

  it('reads the first row as a per-call file would: its call time from a recording-shaped name', async () => {
    const named = tenantWith({
      metadata: { fields: { email: { to: 'userId' } }, required: ['callTime', 'userId'] },
    });
    const text = 'email,callTime\na@x.com,\n';
    const file = fileOf('20240312-080000_out_7.csv', named);
    const row = await perCallRow(text, file);
    assert.ok(row && 'record' in row, 'the per-call reading is accepted');
    assert.equal(row.record.canonical.callTime, '2024-03-12T08:00:00.000Z');
    assert.equal(row.record.callTimeFromName, 'start');
    assert.equal(row.record.recordId, '20240312-080000_out_7.csv');
    // A bare timestamp names a batch (the guide's advice): never a per-call file.
    assert.equal(await perCallRow(text, fileOf('20240312-080000.csv', named)), undefined);
    // At the call's end (tenant setting), less the record's duration when it has one.
    const atEnd = tenantWith({
      filenameTime: 'end',
      metadata: { fields: { email: { to: 'userId' }, secs: { to: 'durationSec', type: 'integer' } } },
    });
    const ended = await perCallRow('email,secs\na@x.com,90\n', fileOf('20240312-080000_out_7.csv', atEnd));
    assert.ok(ended && 'record' in ended);
    assert.equal(ended.record.canonical.callTime, '2024-03-12T07:58:30.000Z');
    assert.equal(ended.record.callTimeFromName, 'end');
  });

  it('keeps field order as mapRecord writes it', async () => {
    const text = 'notes,email,datetime\nn,a@x.com,2024-03-12T08:00:00Z\n';
    const [row] = await records(text, fileOf('batch.csv'));
    assert.ok(row !== undefined && 'record' in row);
    assert.deepEqual(Object.keys(row.record.fields), ['notes', 'userId', 'callTime']);
    assert.deepEqual(Object.keys(row.record.canonical), ['userId', 'callTime']);
  });
});
