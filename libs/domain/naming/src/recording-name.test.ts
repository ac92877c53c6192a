import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecordingName, recordingNameWarning } from './recording-name';
import type { RecordingNameOptions } from './recording-name';

// The tenant defaults of the spec.
const directions = {
  inbound: 'inbound',
  outbound: 'outbound',
  internal: 'internal',
  screenshare: 'screenshare',
  in: 'inbound',
  out: 'outbound',
};
const utc: RecordingNameOptions = { timezone: 'UTC', directions };
const newYork: RecordingNameOptions = { timezone: 'America/New_York', directions };

describe('parseRecordingName: yyyyMMdd-HHmmss_dir_uid.ext', () => {
  it("reads the guide's example as a uid with no direction", () => {
    assert.deepEqual(parseRecordingName('20171012-140253_joe_baducci.wav', utc), {
      fileName: '20171012-140253_joe_baducci.wav',
      stem: '20171012-140253_joe_baducci',
      extension: 'wav',
      pattern: 'timestamp',
      timestamp: '2017-10-12T14:02:53.000Z',
      uid: 'joe_baducci',
    });
  });

  it('reads a known direction segment as the direction and the rest as the uid', () => {
    assert.deepEqual(parseRecordingName('20210511-215959_outbound_1234.wav', utc), {
      fileName: '20210511-215959_outbound_1234.wav',
      stem: '20210511-215959_outbound_1234',
      extension: 'wav',
      pattern: 'timestamp',
      timestamp: '2021-05-11T21:59:59.000Z',
      direction: 'outbound',
      uid: '1234',
    });
  });

  it('maps a direction alias to its canonical value and keeps underscores in the uid', () => {
    const parsed = parseRecordingName('20210511-215959_in_ext_42.mp3', utc);
    assert.equal(parsed.direction, 'inbound');
    assert.equal(parsed.uid, 'ext_42');
    assert.equal(parsed.extension, 'mp3');
  });

  it('looks directions up case-insensitively, in names and in the mapping', () => {
    assert.equal(parseRecordingName('20210511-215959_OutBound_1234.WAV', utc).direction, 'outbound');
    const custom = { timezone: 'UTC', directions: { INCOMING: 'inbound', Screen: 'screenshare' } };
    assert.equal(parseRecordingName('20210511-215959_incoming_7.wav', custom).direction, 'inbound');
    const screen = parseRecordingName('20210511-215959_SCREEN_Joe.wav', custom);
    assert.equal(screen.direction, 'screenshare');
    assert.equal(screen.uid, 'Joe');
  });

  it("uses only the tenant's mapping: an unmapped word is part of the uid", () => {
    const custom = { timezone: 'UTC', directions: { incoming: 'inbound' } };
    const parsed = parseRecordingName('20210511-215959_outbound_1234.wav', custom);
    assert.equal(parsed.direction, undefined);
    assert.equal(parsed.uid, 'outbound_1234');
  });

  it('does not take Object.prototype members for directions', () => {
    const parsed = parseRecordingName('20210511-215959_constructor_1.wav', utc);
    assert.equal(parsed.direction, undefined);
    assert.equal(parsed.uid, 'constructor_1');
  });

  it('accepts a timestamp with no uid after it', () => {
    const bare = parseRecordingName('20210511-215959.wav', utc);
    assert.equal(bare.pattern, 'timestamp');
    assert.equal(bare.timestamp, '2021-05-11T21:59:59.000Z');
    assert.equal('uid' in bare, false);
    assert.equal('direction' in bare, false);

    const directionOnly = parseRecordingName('20210511-215959_outbound.wav', utc);
    assert.equal(directionOnly.pattern, 'timestamp');
    assert.equal(directionOnly.direction, 'outbound');
    assert.equal('uid' in directionOnly, false);

    assert.equal('uid' in parseRecordingName('20210511-215959_outbound_.wav', utc), false);
  });

  it('reads the timestamp in the tenant zone: EST and EDT', () => {
    assert.equal(
      parseRecordingName('20210115-093000_out_1.wav', newYork).timestamp,
      '2021-01-15T14:30:00.000Z',
    );
    assert.equal(
      parseRecordingName('20210511-215959_out_1.wav', newYork).timestamp,
      '2021-05-12T01:59:59.000Z',
    );
  });

  it('takes the earlier instant for a time in the repeated hour', () => {
    assert.equal(
      parseRecordingName('20211107-013000_out_1.wav', newYork).timestamp,
      '2021-11-07T05:30:00.000Z',
    );
  });

  it('marks a timestamp skipped by a DST gap as unrecognized', () => {
    const parsed = parseRecordingName('20210314-023000_out_1.wav', newYork);
    assert.equal(parsed.pattern, 'unrecognized');
    assert.equal(parsed.timestamp, undefined);
    assert.equal(parsed.uid, undefined);
    // The same wall-clock time exists in UTC.
    assert.equal(parseRecordingName('20210314-023000_out_1.wav', utc).pattern, 'timestamp');
  });

  it('marks a timestamp that is no real date or time as unrecognized, without throwing', () => {
    for (const name of [
      '20211345-250000_out_1.wav',
      '20210230-120000_x.wav',
      '20210511-240000_x.wav',
      '20210511-126000.wav',
    ]) {
      const parsed = parseRecordingName(name, utc);
      assert.equal(parsed.pattern, 'unrecognized', name);
      assert.equal(parsed.timestamp, undefined, name);
    }
  });

  it('requires exactly the timestamp shape', () => {
    for (const name of [
      '2021051-215959_x.wav',
      '20210511215959_x.wav',
      '20210511-215959-x.wav',
      '20210511-215959x.wav',
    ]) {
      assert.notEqual(parseRecordingName(name, utc).pattern, 'timestamp', name);
    }
  });
});

describe('parseRecordingName: <source>_<externalId>.ext', () => {
  it("reads the guide's RingCentral example", () => {
    assert.deepEqual(parseRecordingName('ringcentral_BXyT30eVTWlZjUA.mp3', utc), {
      fileName: 'ringcentral_BXyT30eVTWlZjUA.mp3',
      stem: 'ringcentral_BXyT30eVTWlZjUA',
      extension: 'mp3',
      pattern: 'external-id',
      source: 'ringcentral',
      externalId: 'BXyT30eVTWlZjUA',
    });
  });

  it('splits at the first underscore', () => {
    const parsed = parseRecordingName('Five9_abc_def-1.wav', utc);
    assert.equal(parsed.pattern, 'external-id');
    assert.equal(parsed.source, 'Five9');
    assert.equal(parsed.externalId, 'abc_def-1');
  });

  it('needs a letters-and-digits source and a non-empty id', () => {
    for (const name of ['ring-central_abc.mp3', '_abc.mp3', 'ringcentral_.mp3', 'ringcentral.mp3']) {
      assert.equal(parseRecordingName(name, utc).pattern, 'unrecognized', name);
    }
  });
});

describe('parseRecordingName: anything else', () => {
  it('is unrecognized and keeps the name parts', () => {
    assert.deepEqual(parseRecordingName('Monday call.WAV', utc), {
      fileName: 'Monday call.WAV',
      stem: 'Monday call',
      extension: 'wav',
      pattern: 'unrecognized',
    });
  });

  it("does not special-case the guide's stray space", () => {
    assert.equal(parseRecordingName('20171012- 140253_joe_baducci.xml', utc).pattern, 'unrecognized');
  });
});

describe('recordingNameWarning', () => {
  it('warns for unrecognized names only', () => {
    assert.deepEqual(recordingNameWarning(parseRecordingName('Monday call.wav', utc)), {
      code: 'unrecognized-name',
      field: 'fileName',
      message:
        'recording name does not follow yyyyMMdd-hhmmss_dir_uid.ext; it can still pair by name, reference or external id',
    });
    assert.equal(recordingNameWarning(parseRecordingName('20210511-215959_out_1.wav', utc)), undefined);
    assert.equal(recordingNameWarning(parseRecordingName('ringcentral_BXyT30eVTWlZjUA.mp3', utc)), undefined);
  });
});
