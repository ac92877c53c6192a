import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wallClockToUtc } from './local-time';

const at = (year: number, month: number, day: number, hour: number, minute: number, second: number) => ({
  year,
  month,
  day,
  hour,
  minute,
  second,
});

describe('wallClockToUtc', () => {
  it('applies standard and daylight time of the zone', () => {
    assert.equal(wallClockToUtc(at(2021, 1, 15, 9, 30, 0), 'America/New_York'), '2021-01-15T14:30:00.000Z');
    assert.equal(wallClockToUtc(at(2021, 5, 11, 21, 59, 59), 'America/New_York'), '2021-05-12T01:59:59.000Z');
    assert.equal(wallClockToUtc(at(2021, 5, 11, 12, 0, 0), 'Asia/Kolkata'), '2021-05-11T06:30:00.000Z');
    assert.equal(wallClockToUtc(at(2021, 5, 11, 21, 59, 59), 'UTC'), '2021-05-11T21:59:59.000Z');
  });

  it('returns undefined for a time skipped by a DST gap', () => {
    assert.equal(wallClockToUtc(at(2021, 3, 14, 2, 0, 0), 'America/New_York'), undefined);
    assert.equal(wallClockToUtc(at(2021, 3, 14, 2, 30, 0), 'America/New_York'), undefined);
    assert.equal(wallClockToUtc(at(2021, 3, 28, 2, 30, 0), 'Europe/Berlin'), undefined);
  });

  it('accepts the times on both sides of a DST gap', () => {
    assert.equal(wallClockToUtc(at(2021, 3, 14, 1, 59, 59), 'America/New_York'), '2021-03-14T06:59:59.000Z');
    assert.equal(wallClockToUtc(at(2021, 3, 14, 3, 0, 0), 'America/New_York'), '2021-03-14T07:00:00.000Z');
  });

  it('resolves a repeated hour to the earlier instant', () => {
    // 01:30 on 2021-11-07 happens at -04:00 (EDT) and again at -05:00 (EST).
    assert.equal(wallClockToUtc(at(2021, 11, 7, 1, 30, 0), 'America/New_York'), '2021-11-07T05:30:00.000Z');
    assert.equal(wallClockToUtc(at(2021, 10, 31, 2, 30, 0), 'Europe/Berlin'), '2021-10-31T00:30:00.000Z');
  });

  it('returns undefined for dates and times that do not exist', () => {
    for (const time of [
      at(2021, 13, 45, 25, 0, 0),
      at(2021, 2, 29, 12, 0, 0),
      at(2021, 4, 31, 12, 0, 0),
      at(2021, 5, 11, 24, 0, 0),
      at(2021, 5, 11, 12, 60, 0),
      at(2021, 5, 11, 12, 0, 60),
      at(2021, 0, 1, 12, 0, 0),
    ]) {
      assert.equal(wallClockToUtc(time, 'America/New_York'), undefined, JSON.stringify(time));
    }
    assert.equal(wallClockToUtc(at(2020, 2, 29, 12, 0, 0), 'UTC'), '2020-02-29T12:00:00.000Z');
  });

  it('throws for a zone that is not valid, a configuration error', () => {
    assert.throws(
      () => wallClockToUtc(at(2021, 5, 11, 12, 0, 0), 'Mars/Olympus_Mons'),
      /not a valid time zone/,
    );
  });
});
