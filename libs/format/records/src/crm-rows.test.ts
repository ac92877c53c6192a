import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readCrmRows, type CrmRow } from './crm-rows';
import { asyncRejectionOf, byteStream, collect } from '../test/support';

const crmRows = (text: string, idColumn?: string, chunkBytes?: number): Promise<CrmRow[]> =>
  collect(readCrmRows(byteStream(text, chunkBytes), idColumn));

describe('readCrmRows', () => {
  it('reads each row with its id and every column as sent', async () => {
    const all = await crmRows(
      '\uFEFFid,name,email\r\nC-1,Ana Lima, ana@x.com \r\nC-2,"Bo, Jr.",bo@x.com\r\n',
    );
    assert.deepEqual(all, [
      { line: 2, id: 'C-1', record: { id: 'C-1', name: 'Ana Lima', email: ' ana@x.com ' } },
      { line: 3, id: 'C-2', record: { id: 'C-2', name: 'Bo, Jr.', email: 'bo@x.com' } },
    ]);
  });

  it("uses the tenant's id column, matched case-insensitively, and trims the id", async () => {
    const all = await crmRows('Name,ContactKey\nAna, K1 \n', 'contactkey');
    assert.deepEqual(all, [{ line: 2, id: 'K1', record: { Name: 'Ana', ContactKey: ' K1 ' } }]);
  });

  it("defaults the id column to 'id'", async () => {
    const all = await collect(readCrmRows(byteStream('ID,name\n7,x\n')));
    assert.deepEqual(all, [{ line: 2, id: '7', record: { ID: '7', name: 'x' } }]);
  });

  it('rejects the file when the header has no id column', async () => {
    const reason = await asyncRejectionOf(() => crmRows('name,email\nAna,a@x.com\n', 'id'));
    assert.deepEqual(reason, { code: 'missing-id', message: 'no "id" column in header', line: 1 });
  });

  it('reports a row with an empty id by line', async () => {
    const all = await crmRows('id,name\n1,a\n  ,b\n3,c\n');
    assert.deepEqual(all[1], {
      line: 3,
      reason: { code: 'missing-id', message: 'the "id" column is empty', field: 'id', line: 3 },
    });
    assert.equal(all.length, 3);
  });

  it('reports ragged rows by line, with quoted newlines counted', async () => {
    const all = await crmRows('id,note\n1,"multi\nline"\n2\n3,ok\n');
    assert.deepEqual(all[0], { line: 2, id: '1', record: { id: '1', note: 'multi\nline' } });
    assert.deepEqual(all[1], {
      line: 4,
      reason: { code: 'parse-error', message: 'the row has 1 field, the header has 2', line: 4 },
    });
    assert.deepEqual(all[2], { line: 5, id: '3', record: { id: '3', note: 'ok' } });
  });

  it('rejects a duplicate column, and reads an empty file as no rows', async () => {
    const reason = await asyncRejectionOf(() => crmRows('id,name,name\n1,a,b\n'));
    assert.deepEqual(reason, { code: 'parse-error', message: 'duplicate column "name"', line: 1 });
    assert.deepEqual(await crmRows(''), []);
  });

  it('decodes multi-byte characters split across 1-byte chunks', async () => {
    const all = await crmRows('id,name\n1,Zoë 😀\r\n2,Łukasz\n', 'id', 1);
    assert.deepEqual(all, [
      { line: 2, id: '1', record: { id: '1', name: 'Zoë 😀' } },
      { line: 3, id: '2', record: { id: '2', name: 'Łukasz' } },
    ]);
  });
});
