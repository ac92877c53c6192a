import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapRecord } from './map-record';
import { parseSingleRecord } from './parse-single-record';
import { rejectionOf, tenantWith } from '../test/support';

const guideTenant = tenantWith({
  timezone: 'America/New_York',
  metadata: {
    fields: {
      datetime: { to: 'callTime', type: 'datetime' },
      email: { to: 'userId' },
      filename: { to: 'recordingFile' },
      direction: { to: 'direction' },
    },
  },
});

describe('mapRecord', () => {
  it("maps the guide's example file", () => {
    const raw = parseSingleRecord(
      Buffer.from(
        '{"datetime": "2021-05-11T21:59:59Z", "email": "email.of.user@test.com", "filename": "sftp/path/to/recording.mp3", "direction": "outbound"}',
      ),
      'json',
    );
    const mapped = mapRecord(raw, guideTenant);
    assert.deepEqual(mapped.canonical, {
      callTime: '2021-05-11T21:59:59.000Z',
      userId: 'email.of.user@test.com',
      recordingFile: 'recording.mp3',
      direction: 'outbound',
    });
    assert.deepEqual(mapped.fields, mapped.canonical);
  });

  it('passes unmapped fields through unchanged under their own names', () => {
    const mapped = mapRecord(
      {
        datetime: '2021-05-11T21:59:59Z',
        email: 'a@b.c',
        'Deal Stage': ' Won ',
        score: 7,
        flag: false,
        empty: '',
        none: null,
      },
      guideTenant,
    );
    assert.deepEqual(mapped.fields, {
      callTime: '2021-05-11T21:59:59.000Z',
      userId: 'a@b.c',
      'Deal Stage': ' Won ',
      score: 7,
      flag: false,
      empty: '',
      none: null,
    });
    assert.deepEqual(mapped.canonical, { callTime: '2021-05-11T21:59:59.000Z', userId: 'a@b.c' });
  });

  it('matches source names exactly first, then case-insensitively', () => {
    const tenant = tenantWith({
      metadata: { fields: { Email: { to: 'userId' }, agent: { to: 'agentName' } }, required: [] },
    });
    assert.deepEqual(mapRecord({ EMAIL: 'a@b.c', AGENT: 'Ana' }, tenant).fields, {
      userId: 'a@b.c',
      agentName: 'Ana',
    });
    const both = mapRecord({ email: 'lower@b.c', Email: 'exact@b.c' }, tenant);
    assert.deepEqual(both.fields, { email: 'lower@b.c', userId: 'exact@b.c' });
  });

  it('refuses two sent fields that both match one mapping case-insensitively', () => {
    const tenant = tenantWith({ metadata: { fields: { email: { to: 'userId' } }, required: [] } });
    const reason = rejectionOf(() => mapRecord({ EMAIL: 'a', Email: 'b' }, tenant, { line: 4 }));
    assert.equal(reason.code, 'invalid-value');
    assert.equal(reason.line, 4);
  });

  it('reads a field sent under a canonical name as that canonical field, checked', () => {
    const tenant = tenantWith({ metadata: { required: [] } });
    const mapped = mapRecord(
      { callTime: '2021-05-11T21:59:59Z', recordingFile: 'a/b/c.wav', durationSec: '12', extra: 'x' },
      tenant,
    );
    assert.deepEqual(mapped.canonical, {
      callTime: '2021-05-11T21:59:59.000Z',
      recordingFile: 'c.wav',
      durationSec: 12,
    });
    assert.equal(mapped.fields['extra'], 'x');
    assert.equal(
      rejectionOf(() => mapRecord({ recordingFile: '../../etc/passwd' }, tenant)).code,
      'unsafe-reference',
    );
  });

  it('refuses a sent field that collides with a mapped name instead of dropping one', () => {
    const reason = rejectionOf(() =>
      mapRecord(
        { datetime: '2021-05-11T21:59:59Z', callTime: '2020-01-01T00:00:00Z', email: 'a' },
        guideTenant,
      ),
    );
    assert.equal(reason.code, 'invalid-value');
    assert.equal(reason.field, 'callTime');
    // An empty colliding column is harmless.
    assert.equal(
      mapRecord({ datetime: '2021-05-11T21:59:59Z', callTime: '', email: 'a' }, guideTenant).canonical
        .callTime,
      '2021-05-11T21:59:59.000Z',
    );
  });

  it('treats empty strings and null as absent for mapped fields', () => {
    const tenant = tenantWith({
      metadata: { fields: { email: { to: 'userId' }, n: { to: 'count', type: 'integer' } }, required: [] },
    });
    assert.deepEqual(mapRecord({ email: '  ', n: null }, tenant), { fields: {}, canonical: {} });
  });

  describe('types', () => {
    const typed = tenantWith({
      metadata: {
        required: [],
        fields: {
          name: { to: 'name', type: 'string' },
          count: { to: 'count', type: 'integer' },
          amount: { to: 'amount', type: 'decimal' },
          won: { to: 'won', type: 'boolean' },
          stage: { to: 'stage', type: 'enum', values: { W: 'won', L: 'lost', 'In Progress': 'open' } },
          duration: { to: 'durationSec', type: 'integer' },
          seconds: { to: 'talkSec', type: 'decimal' },
        },
      },
    });

    it('converts each type from text and from JSON values', () => {
      const mapped = mapRecord(
        {
          name: '  Ana  ',
          count: '+42',
          amount: '-1234.50',
          won: 'Yes',
          stage: 'in progress',
          duration: 93,
          seconds: 1.5,
        },
        typed,
      );
      assert.deepEqual(mapped.fields, {
        name: 'Ana',
        count: 42,
        amount: -1234.5,
        won: true,
        stage: 'open',
        durationSec: 93,
        talkSec: 1.5,
      });
      assert.deepEqual(mapped.canonical, { durationSec: 93 });
    });

    it('reads booleans as true/false, yes/no, y/n and 1/0', () => {
      const values = {
        true: true,
        FALSE: false,
        yes: true,
        No: false,
        y: true,
        N: false,
        '1': true,
        '0': false,
      } as const;
      for (const [text, expected] of Object.entries(values))
        assert.equal(mapRecord({ won: text }, typed).fields['won'], expected, text);
      assert.equal(mapRecord({ won: 1 }, typed).fields['won'], true);
    });

    it('refuses bad values, quoting the value and the expected form, with the line', () => {
      const cases: Array<[Record<string, string | number>, string, RegExp]> = [
        [{ count: '4.5' }, 'count', /"4\.5" is not an integer \(expected digits/],
        [{ count: 'twelve' }, 'count', /"twelve" is not an integer/],
        [{ count: 4.5 }, 'count', /"4\.5" is not an integer/],
        [{ amount: '1,234.5' }, 'amount', /"1,234\.5" is not a decimal number/],
        [{ amount: '12abc' }, 'amount', /not a decimal/],
        [{ won: 'maybe' }, 'won', /"maybe" is not a boolean \(expected true\/false/],
        [{ stage: 'X' }, 'stage', /"X" is not one of the allowed values \(W, L, In Progress\)/],
        [{ duration: '-5' }, 'durationSec', /negative/],
      ];
      for (const [raw, field, message] of cases) {
        const reason = rejectionOf(() => mapRecord(raw, typed, { line: 12 }));
        assert.equal(reason.code, 'invalid-value', JSON.stringify(raw));
        assert.equal(reason.field, field);
        assert.equal(reason.line, 12);
        assert.match(reason.message, message);
      }
    });

    it('names the source field when it differs from the mapped one', () => {
      const reason = rejectionOf(() => mapRecord({ duration: 'long' }, typed));
      assert.match(reason.message, /field "durationSec" \(from "duration"\): "long"/);
    });
  });

  it('requires a number for durationSec even when mapped as text', () => {
    const tenant = tenantWith({ metadata: { fields: { len: { to: 'durationSec' } }, required: [] } });
    assert.equal(mapRecord({ len: '93.5' }, tenant).canonical.durationSec, 93.5);
    assert.equal(rejectionOf(() => mapRecord({ len: '1:33' }, tenant)).code, 'invalid-value');
  });

  it('reads callTime as a datetime even when mapped as text', () => {
    const tenant = tenantWith({
      timezone: 'America/New_York',
      metadata: { fields: { when: { to: 'callTime' } }, required: [] },
    });
    assert.equal(
      mapRecord({ when: '2021-05-11T21:59:59' }, tenant).canonical.callTime,
      '2021-05-12T01:59:59.000Z',
    );
    const reason = rejectionOf(() => mapRecord({ when: 'yesterday' }, tenant));
    assert.equal(reason.code, 'invalid-value');
    assert.equal(reason.field, 'callTime');
    assert.match(reason.message, /"yesterday" is not a valid date and time \(expected ISO 8601/);
  });

  it('maps direction through the tenant directions, case-insensitively, after an enum', () => {
    assert.equal(
      mapRecord({ datetime: '2021-05-11T21:59:59Z', email: 'a', direction: 'OUT' }, guideTenant).canonical
        .direction,
      'outbound',
    );
    assert.equal(
      mapRecord({ datetime: '2021-05-11T21:59:59Z', email: 'a', direction: 'transfer' }, guideTenant)
        .canonical.direction,
      'transfer',
    );
    const tenant = tenantWith({
      directions: { inbound: 'inbound', outbound: 'outbound', eingehend: 'inbound' },
      metadata: {
        fields: { dir: { to: 'direction', type: 'enum', values: { I: 'Eingehend', O: 'outbound' } } },
        required: [],
      },
    });
    assert.equal(mapRecord({ dir: 'i' }, tenant).canonical.direction, 'inbound');
  });

  it('keeps canonical references as text whatever their type', () => {
    const tenant = tenantWith({
      metadata: { fields: { contact: { to: 'contactId', type: 'integer' } }, required: [] },
    });
    const mapped = mapRecord({ contact: '0042' }, tenant);
    assert.equal(mapped.canonical.contactId, '42');
    assert.equal(mapped.fields['contactId'], '42');
  });

  describe('required fields', () => {
    it('defaults to callTime and userId, naming the source field', () => {
      const reason = rejectionOf(() =>
        mapRecord({ datetime: '2021-05-11T21:59:59Z' }, guideTenant, { line: 7 }),
      );
      assert.deepEqual(reason, {
        code: 'missing-field',
        message: 'required field "userId" (from "email") is missing',
        field: 'userId',
        line: 7,
      });
    });

    it('lists every missing field', () => {
      const reason = rejectionOf(() => mapRecord({ other: 'x' }, guideTenant));
      assert.equal(reason.field, 'callTime');
      assert.match(reason.message, /"callTime" \(from "datetime"\), "userId" \(from "email"\) are missing/);
    });

    it('counts empty values as missing', () => {
      assert.equal(
        rejectionOf(() => mapRecord({ datetime: '2021-05-11T21:59:59Z', email: '' }, guideTenant)).field,
        'userId',
      );
    });

    it('counts callTime as present when it comes from the recording name', () => {
      const mapped = mapRecord({ email: 'a@b.c' }, guideTenant, {
        callTimeFromName: '2017-10-12T18:02:53.000Z',
      });
      assert.deepEqual(mapped.canonical, { userId: 'a@b.c' });
    });

    it('uses the tenant list, which may name custom fields', () => {
      const tenant = tenantWith({
        metadata: { fields: { Agent: { to: 'agentName' } }, required: ['agentName', 'queue'] },
      });
      assert.equal(rejectionOf(() => mapRecord({ Agent: 'Ana' }, tenant)).field, 'queue');
      assert.deepEqual(mapRecord({ Agent: 'Ana', queue: 'sales' }, tenant).fields, {
        agentName: 'Ana',
        queue: 'sales',
      });
    });
  });

  it('refuses nested values handed over by a caller', () => {
    const reason = rejectionOf(() =>
      mapRecord({ email: { a: 1 } } as unknown as Record<string, string>, guideTenant, { line: 3 }),
    );
    assert.deepEqual([reason.code, reason.field, reason.line], ['nested-field', 'userId', 3]);
  });

  it('carries the line on unsafe references', () => {
    const reason = rejectionOf(() =>
      mapRecord(
        { datetime: '2021-05-11T21:59:59Z', email: 'a', filename: 'file:///etc/passwd' },
        guideTenant,
        { line: 9 },
      ),
    );
    assert.deepEqual([reason.code, reason.field, reason.line], ['unsafe-reference', 'recordingFile', 9]);
  });
});
