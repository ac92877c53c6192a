// The call document's rules, without Redis: status, call time from the recording name, field
// precedence, versioning and when a call counts as ready.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Call, TenantConfig } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord } from '@callintake/state';
import { localTenant } from '@callintake/testing';
import { buildCall, callTimeFromRecording, statusOf, type CallParts } from './build-call';

const tenant = (overrides: Record<string, unknown> = {}): TenantConfig =>
  localTenant('/srv/callintake', overrides);
const T1 = new Date('2024-03-12T10:00:00Z');
const T2 = new Date('2024-03-12T11:00:00Z');
const T3 = new Date('2024-03-12T12:00:00Z');

function recording(overrides: Partial<RecordingRecord> = {}): RecordingRecord {
  return {
    tenantId: 'acme',
    fileName: '20240312-093000_out_jdoe.wav',
    versionId: '100-1',
    version: 1,
    facts: {
      container: 'wav',
      codec: 'pcm_s16le',
      durationSec: 90.4,
      channels: 2,
      sampleRateHz: 8000,
      sizeBytes: 100,
      speakerSeparation: 'channels',
      probed: true,
    },
    archiveUri: 'file:///archive/recordings/v1/20240312-093000_out_jdoe.wav',
    sha256: 'a'.repeat(64),
    name: { pattern: 'timestamp', timestamp: '2024-03-12T09:30:00.000Z', direction: 'outbound', uid: 'jdoe' },
    warnings: [],
    capturedAt: T1.toISOString(),
    ...overrides,
  };
}

function metadata(overrides: Partial<MetadataRecord> = {}): MetadataRecord {
  return {
    tenantId: 'acme',
    recordId: '20240312-093000_out_jdoe.json',
    fileName: '20240312-093000_out_jdoe.json',
    version: 1,
    fields: { callTime: '2024-03-12T09:29:58.000Z', userId: 'jdoe@acme.test', campaign: 'spring' },
    canonical: { callTime: '2024-03-12T09:29:58.000Z', userId: 'jdoe@acme.test' },
    sha256: 'b'.repeat(64),
    receivedAt: T1.toISOString(),
    ...overrides,
  };
}

function parts(overrides: Partial<CallParts> = {}): CallParts {
  return {
    id: '20240312-093000_out_jdoe',
    tenant: tenant(),
    recording: recording(),
    metadata: metadata(),
    crm: {},
    method: 'name',
    now: T1,
    ...overrides,
  };
}

function built(existing: Call | null, input: CallParts): Call {
  return buildCall(existing, input) ?? assert.fail('expected a new call version');
}

describe('statusOf', () => {
  it('is ready with both parts, and says which part is missing otherwise', () => {
    assert.equal(statusOf(parts()), 'ready');
    assert.equal(statusOf(parts({ metadata: null })), 'awaiting_metadata');
    assert.equal(statusOf(parts({ recording: null })), 'awaiting_recording');
  });

  it('makes metadata alone ready for metadata-only tenants, but never a recording alone', () => {
    const metadataOnly = tenant({ metadata: { metadataOnly: true } });
    assert.equal(statusOf(parts({ tenant: metadataOnly, recording: null })), 'ready');
    assert.equal(statusOf(parts({ tenant: metadataOnly, metadata: null })), 'awaiting_metadata');
  });
});

describe('callTimeFromRecording', () => {
  it("is the name's timestamp when names carry the call start", () => {
    assert.equal(callTimeFromRecording(recording(), tenant()), '2024-03-12T09:30:00.000Z');
  });

  it('subtracts the duration when names carry the call end', () => {
    assert.equal(
      callTimeFromRecording(recording(), tenant({ filenameTime: 'end' })),
      '2024-03-12T09:28:29.600Z',
    );
  });

  it('falls back to the timestamp when the duration is unknown (unprobed arf)', () => {
    const unprobed = recording({ facts: { container: 'arf', sizeBytes: 100, probed: false } });
    assert.equal(
      callTimeFromRecording(unprobed, tenant({ filenameTime: 'end' })),
      '2024-03-12T09:30:00.000Z',
    );
  });

  it('is undefined for a name without a timestamp', () => {
    const named = recording({
      fileName: 'ringcentral_BXyT30eVTWlZjUA.mp3',
      name: { pattern: 'external-id', source: 'ringcentral', externalId: 'BXyT30eVTWlZjUA' },
    });
    assert.equal(callTimeFromRecording(named, tenant()), undefined);
  });
});

describe('buildCall', () => {
  it('builds a new ready call at version 1, ready from that version', () => {
    const call = built(null, parts());
    assert.equal(call.status, 'ready');
    assert.equal(call.version, 1);
    assert.equal(call.createdAt, T1.toISOString());
    assert.equal(call.updatedAt, T1.toISOString());
    assert.equal(call.readyAt, T1.toISOString());
    assert.equal(call.readyVersion, 1);
    assert.deepEqual(call.match, { method: 'name', score: 1 });
    assert.deepEqual(call.recording, {
      fileName: '20240312-093000_out_jdoe.wav',
      ...recording().facts,
      archiveUri: recording().archiveUri,
    });
    assert.deepEqual(call.metadata, {
      fileName: '20240312-093000_out_jdoe.json',
      version: 1,
      fields: metadata().fields,
    });
  });

  it('prefers the metadata for call time, user and direction, and falls back to the name', () => {
    const withMetadata = built(
      null,
      parts({
        metadata: metadata({
          canonical: { callTime: '2024-03-12T09:29:58.000Z', userId: 'jdoe@acme.test', direction: 'inbound' },
        }),
      }),
    );
    assert.equal(withMetadata.callTime, '2024-03-12T09:29:58.000Z');
    assert.equal(withMetadata.userId, 'jdoe@acme.test');
    assert.equal(withMetadata.direction, 'inbound');

    const alone = built(null, parts({ metadata: null }));
    assert.equal(alone.status, 'awaiting_metadata');
    assert.equal(alone.callTime, '2024-03-12T09:30:00.000Z');
    assert.equal(alone.userId, 'jdoe');
    assert.equal(alone.direction, 'outbound');
    assert.equal(alone.match, undefined, 'no match without both parts');
    assert.equal(alone.readyAt, undefined);
    assert.equal(alone.readyVersion, undefined);
  });

  it('uses the start time derived from an end-time name when metadata gives none', () => {
    const call = built(null, parts({ tenant: tenant({ filenameTime: 'end' }), metadata: null }));
    assert.equal(call.callTime, '2024-03-12T09:28:29.600Z');
  });

  it('returns undefined when nothing material changed, whatever the clock says', () => {
    const first = built(null, parts());
    assert.equal(buildCall(first, parts({ now: T2 })), undefined);
    // Same content in another key order is still the same.
    const reordered = metadata({
      fields: { campaign: 'spring', userId: 'jdoe@acme.test', callTime: '2024-03-12T09:29:58.000Z' },
    });
    assert.equal(buildCall(first, parts({ metadata: reordered, now: T2 })), undefined);
    // A round trip through storage (JSON) changes nothing either.
    assert.equal(buildCall(JSON.parse(JSON.stringify(first)) as Call, parts({ now: T2 })), undefined);
  });

  it('bumps the version on a change and keeps when and at which version the call became ready', () => {
    const first = built(null, parts());
    const updated = built(
      first,
      parts({
        metadata: metadata({ version: 2, fields: { ...metadata().fields, campaign: 'summer' } }),
        now: T2,
      }),
    );
    assert.equal(updated.version, 2);
    assert.equal(updated.createdAt, T1.toISOString());
    assert.equal(updated.updatedAt, T2.toISOString());
    assert.equal(updated.readyAt, T1.toISOString());
    assert.equal(updated.readyVersion, 1);
    assert.equal(updated.metadata?.version, 2);
    assert.equal(updated.metadata?.fields['campaign'], 'summer');
  });

  it('marks readiness at the version where the call became ready', () => {
    const waiting = built(null, parts({ metadata: null }));
    const ready = built(waiting, parts({ now: T2 }));
    assert.equal(ready.version, 2);
    assert.equal(ready.readyAt, T2.toISOString());
    assert.equal(ready.readyVersion, 2);
    assert.equal(ready.createdAt, T1.toISOString());

    const later = built(
      ready,
      parts({ crm: { contactId: { type: 'contacts', id: 'C-1', record: null } }, now: T3 }),
    );
    assert.equal(later.version, 3);
    assert.equal(later.readyAt, T2.toISOString());
    assert.equal(later.readyVersion, 2);
  });

  it('carries the recording warnings and the resolved CRM links', () => {
    const warning = {
      code: 'unrecognized-name',
      message: 'the name does not follow yyyyMMdd-hhmmss_dir_uid',
    } as const;
    const call = built(
      null,
      parts({
        recording: recording({ warnings: [warning] }),
        crm: { contactId: { type: 'contacts', id: 'C-1', record: { id: 'C-1' } } },
      }),
    );
    assert.deepEqual(call.warnings, [warning]);
    assert.deepEqual(call.crm, { contactId: { type: 'contacts', id: 'C-1', record: { id: 'C-1' } } });
  });

  it('builds a metadata-only call with no recording part', () => {
    const call = built(null, parts({ recording: null, id: 'ext-42' }));
    assert.equal(call.status, 'awaiting_recording');
    assert.equal(call.recording, undefined);
    assert.equal(call.callTime, '2024-03-12T09:29:58.000Z');
  });
});
