// The canonical field `agentChannel` (issue 14): left, right or none, case-insensitively, from
// its own name, a mapped name or a tenant enum; anything else is invalid-value naming the field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readBatchRecords } from './batch-records';
import { mapRecord } from './map-record';
import { byteStream, collect, rejectionOf, tenantWith } from '../test/support';

const noRequired = tenantWith({ metadata: { required: [] } });

describe('agentChannel', () => {
  it('is read under its own name, lower-cased, as a canonical field', () => {
    for (const [sent, expected] of [
      ['left', 'left'],
      ['RIGHT', 'right'],
      [' None ', 'none'],
    ] as const) {
      const mapped = mapRecord({ agentChannel: sent }, noRequired);
      assert.equal(mapped.canonical.agentChannel, expected, sent);
      assert.equal(mapped.fields['agentChannel'], expected, sent);
    }
  });

  it('refuses any other value as invalid-value, naming the field, the value and the choices', () => {
    const reason = rejectionOf(() => mapRecord({ agentChannel: 'center' }, noRequired, { line: 4 }));
    assert.equal(reason.code, 'invalid-value');
    assert.equal(reason.field, 'agentChannel');
    assert.equal(reason.line, 4);
    assert.match(
      reason.message,
      /field "agentChannel": "center" is not one of the allowed values \(left, right, none\)/,
    );
    assert.equal(rejectionOf(() => mapRecord({ agentChannel: 1 }, noRequired)).code, 'invalid-value');
  });

  it('is read from a mapped source field, naming that source when refused', () => {
    const tenant = tenantWith({ metadata: { fields: { rep_side: { to: 'agentChannel' } }, required: [] } });
    assert.equal(mapRecord({ rep_side: 'Left' }, tenant).canonical.agentChannel, 'left');
    const reason = rejectionOf(() => mapRecord({ rep_side: 'L' }, tenant));
    assert.equal(reason.field, 'agentChannel');
    assert.match(reason.message, /field "agentChannel" \(from "rep_side"\): "L"/);
  });

  it("goes through the tenant's enum values first, whose results must still be ours", () => {
    const tenant = tenantWith({
      metadata: {
        fields: { side: { to: 'agentChannel', type: 'enum', values: { A: 'Left', B: 'right', M: 'none' } } },
        required: [],
      },
    });
    assert.equal(mapRecord({ side: 'a' }, tenant).canonical.agentChannel, 'left');
    assert.equal(mapRecord({ side: 'M' }, tenant).canonical.agentChannel, 'none');
    const reason = rejectionOf(() => mapRecord({ side: 'left' }, tenant));
    assert.equal(reason.code, 'invalid-value');
    assert.match(reason.message, /"left" is not one of the allowed values \(A, B, M\)/);
  });

  it('is checked the same way in batch CSV rows, row by row', async () => {
    const text = 'agentChannel,note\nLEFT,a\ncentre,b\n,c\n';
    const rows = (
      await collect(
        readBatchRecords(byteStream(text), {
          tenant: noRequired,
          fileName: 'batch.csv',
          version: 1,
          receivedAt: '2024-03-12T10:00:00.000Z',
        }),
      )
    ).flat();
    const outcome = rows.map((row) =>
      'reason' in row ? `${row.reason.code} ${row.reason.field}` : (row.record.canonical.agentChannel ?? '-'),
    );
    assert.deepEqual(outcome, ['left', 'invalid-value agentChannel', '-']);
  });
});
