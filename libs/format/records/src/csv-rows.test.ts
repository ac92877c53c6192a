import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { RawRecord } from './raw-record';
import { readCsvRows, type CsvRow } from './csv-rows';
import { asyncRejectionOf, byteStream, collect } from '../test/support';

const rows = (text: string | Buffer, chunkBytes?: number): Promise<CsvRow[]> =>
  collect(readCsvRows(byteStream(text, chunkBytes)));

function records(all: CsvRow[]): Array<{ line: number; record: RawRecord }> {
  return all.filter((row): row is { line: number; record: RawRecord } => 'record' in row);
}

describe('readCsvRows', () => {
  it('keys each row by the header and numbers it by its line', async () => {
    const all = await rows(
      'datetime,email,filename\n2021-05-11T21:59:59Z,a@test.com,sftp/a.mp3\n2021-05-12T10:00:00Z,b@test.com,b.mp3\n',
    );
    assert.deepEqual(all, [
      { line: 2, record: { datetime: '2021-05-11T21:59:59Z', email: 'a@test.com', filename: 'sftp/a.mp3' } },
      { line: 3, record: { datetime: '2021-05-12T10:00:00Z', email: 'b@test.com', filename: 'b.mp3' } },
    ]);
  });

  it('keeps values as sent, as text', async () => {
    const [row] = await rows('id,duration,note\n007, 93.5 ,\n');
    assert.deepEqual(row, { line: 2, record: { id: '007', duration: ' 93.5 ', note: '' } });
  });

  it('strips a UTF-8 BOM and trims header names', async () => {
    const all = await rows('\uFEFFid , email\n1,a@b.c\n');
    assert.deepEqual(all, [{ line: 2, record: { id: '1', email: 'a@b.c' } }]);
  });

  it('reads Excel-style quoting: commas, doubled quotes and newlines inside fields', async () => {
    const all = await rows('id,note\r\n1,"a, b"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n');
    assert.deepEqual(all, [
      { line: 2, record: { id: '1', note: 'a, b' } },
      { line: 3, record: { id: '2', note: 'say "hi"' } },
      { line: 4, record: { id: '3', note: 'two\nlines' } },
    ]);
  });

  it('numbers rows by physical line after quoted newlines', async () => {
    const text = 'id,note\n1,"first\nsecond\nthird"\n2,plain\n3,"x\n\ny"\n4,end\n';
    const all = await rows(text);
    assert.deepEqual(
      all.map((row) => row.line),
      [2, 5, 6, 9],
    );
  });

  it('reads CRLF, LF and mixed newlines alike, also split across chunks', async () => {
    const text = 'id,email\r\n1,a@b.c\n2,d@e.f\r\n\r\n3,g@h.i\r4,j@k.l';
    for (const chunkBytes of [1, 2, 3, 7, 1024]) {
      const all = await rows(text, chunkBytes);
      assert.deepEqual(
        all,
        [
          { line: 2, record: { id: '1', email: 'a@b.c' } },
          { line: 3, record: { id: '2', email: 'd@e.f' } },
          { line: 5, record: { id: '3', email: 'g@h.i' } },
          { line: 6, record: { id: '4', email: 'j@k.l' } },
        ],
        `chunks of ${chunkBytes} bytes`,
      );
    }
  });

  it('decodes multi-byte UTF-8 split across 1-byte chunks', async () => {
    const text = 'name,note\r\nJosé Müller,"😀 ünïcødé, 日本語"\r\nZoë,"emoji 👩‍💻\r\nacross lines"\r\n';
    const all = await rows(text, 1);
    assert.deepEqual(all, [
      { line: 2, record: { name: 'José Müller', note: '😀 ünïcødé, 日本語' } },
      { line: 3, record: { name: 'Zoë', note: 'emoji 👩‍💻\nacross lines' } },
    ]);
  });

  it('accepts a stream that already decodes to strings', async () => {
    const all = await collect(readCsvRows(Readable.from(['\uFEFFa,b\n1,', '2\n'])));
    assert.deepEqual(all, [{ line: 2, record: { a: '1', b: '2' } }]);
  });

  it('reports a ragged row by line and goes on', async () => {
    const all = await rows('a,b,c\n1,2,3\n1,2\n1,2,3,4\n4,5,6\n');
    assert.deepEqual(all[0], { line: 2, record: { a: '1', b: '2', c: '3' } });
    assert.deepEqual(all[1], {
      line: 3,
      reason: { code: 'parse-error', message: 'the row has 2 fields, the header has 3', line: 3 },
    });
    assert.deepEqual(all[2], {
      line: 4,
      reason: { code: 'parse-error', message: 'the row has 4 fields, the header has 3', line: 4 },
    });
    assert.deepEqual(all[3], { line: 5, record: { a: '4', b: '5', c: '6' } });
  });

  it('reports a malformed quote by line', async () => {
    const all = await rows('a,b\n1,"x"y\n2,ok\n');
    assert.equal(all[0]?.line, 2);
    assert.ok(all[0] !== undefined && 'reason' in all[0] && all[0].reason.code === 'parse-error');
  });

  it('reports a quoted field left open at the end of the file', async () => {
    const all = await rows('a,b\n1,ok\n2,"never closed\n3,x\n');
    assert.deepEqual(all[0], { line: 2, record: { a: '1', b: 'ok' } });
    assert.ok(all[1] !== undefined && 'reason' in all[1]);
    assert.equal(all[1].line, 3);
    assert.match(all[1].reason.message, /never closed/);
  });

  it('skips empty, blank and delimiter-only lines', async () => {
    const all = await rows('a,b\n\n1,2\n   \n,\n  ,  \n3,4\n\n');
    assert.deepEqual(records(all), [
      { line: 3, record: { a: '1', b: '2' } },
      { line: 7, record: { a: '3', b: '4' } },
    ]);
    assert.equal(all.length, 2);
  });

  it('gives no rows for an empty or header-only file', async () => {
    assert.deepEqual(await rows(''), []);
    assert.deepEqual(await rows('a,b\r\n'), []);
    assert.deepEqual(await rows('a,b'), []);
  });

  it('reads a last row without a newline', async () => {
    assert.deepEqual(await rows('a,b\n1,2'), [{ line: 2, record: { a: '1', b: '2' } }]);
  });

  it('rejects the whole file for a duplicate or unnamed column', async () => {
    const duplicate = await asyncRejectionOf(() => rows('id,email,id\n1,a,2\n'));
    assert.deepEqual(duplicate, { code: 'parse-error', message: 'duplicate column "id"', line: 1 });
    const unnamed = await asyncRejectionOf(() => rows('id,,email\n1,2,3\n'));
    assert.equal(unnamed.code, 'parse-error');
    assert.equal(unnamed.line, 1);
  });

  it('rejects a file that is not UTF-8', async () => {
    const latin1 = Buffer.from('name\nJosé\n', 'latin1');
    const reason = await asyncRejectionOf(() => rows(latin1, 1));
    assert.equal(reason.code, 'parse-error');
    assert.match(reason.message, /UTF-8/);
  });

  it('keeps memory bounded when a quote is never closed', async () => {
    const runaway = 'a,b\n1,"' + 'x,'.repeat(700 * 1024) + '\n';
    const reason = await asyncRejectionOf(() => rows(runaway));
    assert.equal(reason.code, 'parse-error');
    assert.equal(reason.line, 2);
    assert.match(reason.message, /quote/);
  });

  it('keeps a __proto__ column as an ordinary field', async () => {
    const [row] = await rows('__proto__,a\nx,1\n');
    assert.ok(row !== undefined && 'record' in row);
    assert.equal(Object.getPrototypeOf(row.record), Object.prototype);
    assert.deepEqual(Object.entries(row.record), [
      ['__proto__', 'x'],
      ['a', '1'],
    ]);
  });

  it('reads rows across many pieces with the right line numbers', async () => {
    const lines = ['id,note'];
    for (let i = 0; i < 20_000; i++) lines.push(i % 7 === 0 ? `${i},"multi\nline ${i}"` : `${i},plain ${i}`);
    const all = await rows(lines.join('\r\n') + '\r\n', 4096);
    assert.equal(all.length, 20_000);
    let expectedLine = 2;
    for (const [i, row] of all.entries()) {
      assert.equal(row.line, expectedLine);
      assert.ok('record' in row && row.record['id'] === String(i));
      expectedLine += i % 7 === 0 ? 2 : 1;
    }
  });

  it('reads the source only as fast as rows are consumed, and closes it on break', async () => {
    let pulled = 0;
    const total = 1000;
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('id\n');
      for (let i = 0; i < total; i++) {
        pulled++;
        yield Buffer.from(`${i}\n`.repeat(100));
      }
    }
    const stream = Readable.from(source(), { highWaterMark: 1 });
    for await (const row of readCsvRows(stream)) {
      if (row.line > 10) break;
    }
    assert.ok(pulled < total / 2, `pulled ${pulled} chunks`);
    assert.equal(stream.destroyed, true);
  });

  it('closes the source when the file is rejected', async () => {
    const stream = byteStream('id,id\n' + '1,2\n'.repeat(50_000), 1024);
    await asyncRejectionOf(() => collect(readCsvRows(stream)));
    assert.equal(stream.destroyed, true);
  });

  it('still serves rows in order when next() is called before the last call settled', async () => {
    const iterator = readCsvRows(byteStream('id\n1\n2\n3\n', 1));
    const [first, second, third, fourth] = await Promise.all([
      iterator.next(),
      iterator.next(),
      iterator.next(),
      iterator.next(),
    ]);
    assert.deepEqual(
      [first, second, third].map((result) => result.value?.line),
      [2, 3, 4],
    );
    assert.equal(fourth?.done, true);
  });

  it('lets a caller hash the bytes through a data listener while rows are read', async () => {
    const text = 'id,note\n' + Array.from({ length: 5000 }, (_, i) => `${i},"n ${i}"`).join('\n') + '\n';
    const stream = byteStream(text, 100);
    let seen = 0;
    stream.on('data', (chunk: Buffer) => (seen += chunk.length));
    const all = await collect(readCsvRows(stream));
    assert.equal(all.length, 5000);
    assert.equal(seen, Buffer.byteLength(text));
  });
});
