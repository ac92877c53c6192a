import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toUtcIso } from './datetime';
import { mapRecord } from './map-record';
import { rejectionOf, tenantWith } from '../test/support';

function callTimeOf(
  value: string | number,
  mapping: Record<string, unknown> = {},
  timezone = 'America/New_York',
): string | undefined {
  const tenant = tenantWith({
    timezone,
    metadata: { fields: { when: { to: 'callTime', type: 'datetime', ...mapping } }, required: [] },
  });
  return mapRecord({ when: value }, tenant).canonical.callTime;
}

function problemOf(
  value: string | number,
  mapping: Record<string, unknown> = {},
  timezone = 'America/New_York',
): string {
  const tenant = tenantWith({
    timezone,
    metadata: { fields: { when: { to: 'callTime', type: 'datetime', ...mapping } }, required: [] },
  });
  const reason = rejectionOf(() => mapRecord({ when: value }, tenant));
  assert.equal(reason.code, 'invalid-value');
  assert.equal(reason.field, 'callTime');
  return reason.message;
}

describe('toUtcIso of UTC times to the second', () => {
  it('gives what the same time with a +00:00 offset gives, refusals included', () => {
    const outcome = (value: string) => {
      try {
        return toUtcIso(value, {}, 'America/New_York');
      } catch (error) {
        return error instanceof Error ? `refused: ${error.message}` : 'refused';
      }
    };
    let read = 0;
    for (const year of ['0099', '1969', '1970', '1999', '2000', '2023', '2024', '2100', '9999']) {
      for (const month of ['00', '01', '02', '04', '09', '10', '12', '13', '1a']) {
        for (const day of ['00', '01', '09', '10', '19', '20', '28', '29', '30', '31', '32']) {
          for (const time of ['00:00:00', '09:59:59', '23:59:59', '24:00:00', '23:60:00', '23:59:60']) {
            const value = `${year}-${month}-${day}T${time}Z`;
            const fast = outcome(value);
            const slow = outcome(`${value.slice(0, -1)}+00:00`);
            if (fast.startsWith('refused')) assert.ok(slow.startsWith('refused'), `${value}: ${slow}`);
            else assert.equal(fast, slow, value);
            if (!fast.startsWith('refused')) read++;
          }
        }
      }
    }
    assert.ok(read > 1000);
    assert.equal(outcome('2024-02-29T08:00:00Z'), '2024-02-29T08:00:00.000Z');
    assert.ok(outcome('2023-02-29T08:00:00Z').startsWith('refused'));
    assert.ok(outcome('1969-12-31T23:59:59Z').startsWith('refused'));
  });
});

describe('datetime values', () => {
  it('keeps the offset an ISO 8601 value carries', () => {
    assert.equal(callTimeOf('2021-05-11T21:59:59Z'), '2021-05-11T21:59:59.000Z');
    assert.equal(callTimeOf('2021-05-11T21:59:59+02:00'), '2021-05-11T19:59:59.000Z');
    assert.equal(callTimeOf('2021-05-11T21:59:59.250-05:00'), '2021-05-12T02:59:59.250Z');
  });

  it("reads values without an offset in the tenant's zone, summer and winter", () => {
    assert.equal(callTimeOf('2021-07-15T10:00:00'), '2021-07-15T14:00:00.000Z');
    assert.equal(callTimeOf('2021-01-15T10:00:00'), '2021-01-15T15:00:00.000Z');
    assert.equal(callTimeOf('2021-01-15T10:00:00', {}, 'UTC'), '2021-01-15T10:00:00.000Z');
  });

  it("prefers the mapping's zone to the tenant's", () => {
    assert.equal(
      callTimeOf('2021-07-15T10:00:00', { timezone: 'Europe/Berlin' }),
      '2021-07-15T08:00:00.000Z',
    );
  });

  it('accepts a space instead of the T', () => {
    assert.equal(callTimeOf('2021-07-15 10:00:00'), '2021-07-15T14:00:00.000Z');
    assert.equal(callTimeOf('2021-07-15 10:00:00Z'), '2021-07-15T10:00:00.000Z');
  });

  it('resolves the hour repeated when DST ends to the earlier instant', () => {
    assert.equal(callTimeOf('2021-11-07T01:30:00'), '2021-11-07T05:30:00.000Z');
    assert.equal(callTimeOf('2021-11-07T01:30:00-05:00'), '2021-11-07T06:30:00.000Z');
  });

  it('refuses a time skipped when DST starts', () => {
    assert.match(problemOf('2021-03-14T02:30:00'), /does not exist in America\/New_York/);
    assert.equal(callTimeOf('2021-03-14T03:30:00'), '2021-03-14T07:30:00.000Z');
  });

  it('reads a Luxon format, in the zone unless the format has an offset', () => {
    assert.equal(
      callTimeOf('05/11/2021 9:59 PM', { format: 'MM/dd/yyyy h:mm a' }),
      '2021-05-12T01:59:00.000Z',
    );
    assert.equal(callTimeOf('11.01.2021 09:30', { format: 'dd.MM.yyyy HH:mm' }), '2021-01-11T14:30:00.000Z');
    assert.equal(
      callTimeOf('2021-05-11 21:59 +0000', { format: 'yyyy-MM-dd HH:mm ZZZ' }),
      '2021-05-11T21:59:00.000Z',
    );
    assert.match(
      problemOf('2021-05-11T21:59:59Z', { format: 'MM/dd/yyyy h:mm a' }),
      /expected the format "MM\/dd\/yyyy h:mm a"/,
    );
  });

  it('reads Unix times in seconds and milliseconds, as numbers or text', () => {
    assert.equal(callTimeOf(1620770399, { epoch: 's' }), '2021-05-11T21:59:59.000Z');
    assert.equal(callTimeOf('1620770399', { epoch: 's' }), '2021-05-11T21:59:59.000Z');
    assert.equal(callTimeOf('1620770399.5', { epoch: 's' }), '2021-05-11T21:59:59.500Z');
    assert.equal(callTimeOf(1620770399123, { epoch: 'ms' }), '2021-05-11T21:59:59.123Z');
    assert.equal(callTimeOf(' 1620770399123 ', { epoch: 'ms' }), '2021-05-11T21:59:59.123Z');
    assert.match(problemOf('2021-05-11', { epoch: 's' }), /expected a Unix time in seconds/);
  });

  it('refuses times out of range, as from milliseconds read as seconds', () => {
    assert.match(problemOf(1620770399123, { epoch: 's' }), /out of range/);
    assert.match(problemOf('0001-01-01T00:00:00Z'), /out of range/);
  });

  it('refuses a number when no epoch is configured, and text that is not a time', () => {
    assert.match(problemOf(1620770399), /"1620770399" is not a date and time \(expected ISO 8601/);
    assert.match(problemOf('2021-13-45T10:00:00'), /"2021-13-45T10:00:00" is not a valid date and time/);
  });

  it('converts custom datetime fields the same way', () => {
    const tenant = tenantWith({
      timezone: 'America/New_York',
      metadata: { fields: { closed: { to: 'closedAt', type: 'datetime' } }, required: [] },
    });
    assert.deepEqual(mapRecord({ closed: '2021-01-15 10:00' }, tenant).fields, {
      closedAt: '2021-01-15T15:00:00.000Z',
    });
  });
});
