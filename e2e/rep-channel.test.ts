// Which stereo channel is the rep (issue 14), end to end: the tenant's `recording.agentChannel`,
// the call's own metadata field `agentChannel` over it, and `speakers` on the call document only
// for a two-channel recording. Files go into data/ the way a customer drops them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeWav } from '@callintake/media';
import type { Call } from '@callintake/schemas';
import { MAPPING, metadataJson, pipelineHarness, RECORDING, STEM, wav } from './support/world';

const world = pipelineHarness('rep-channel').world;
const monoWav = encodeWav({ sampleRateHz: 8000, channels: 1, durationSec: 1.5 });

/** The one call of a world after a recording and its metadata were dropped and settled. */
async function callOf(
  overrides: Record<string, unknown>,
  metadataFields: Record<string, unknown>,
  recording: Buffer = wav,
): Promise<Call> {
  const w = await world(overrides);
  await w.put(RECORDING, recording);
  await w.put(`${STEM}.json`, metadataJson(metadataFields));
  await w.settle();
  const calls = await w.calls();
  assert.equal(calls.length, 1);
  const call = calls[0] as Call;
  assert.equal(call.status, 'ready');
  return call;
}

describe('the rep channel of a stereo recording', () => {
  it('is unknown by default: the call has no speakers', async () => {
    const call = await callOf({}, {});
    assert.equal(call.recording?.channels, 2);
    assert.equal(call.speakers, undefined);
    assert.ok(!('speakers' in call), 'no speakers key at all');
  });

  it("comes from the tenant's recording.agentChannel", async () => {
    const call = await callOf({ recording: { agentChannel: 'left' } }, {});
    assert.deepEqual(call.speakers, { left: 'agent', right: 'customer', source: 'tenant' });
  });

  it('is labelled from the tenant while the recording waits for its metadata', async () => {
    const w = await world({ recording: { agentChannel: 'right' } });
    await w.put(RECORDING, wav);
    await w.settle();
    const [call] = await w.calls();
    assert.equal(call?.status, 'awaiting_metadata');
    assert.deepEqual(call?.speakers, { left: 'customer', right: 'agent', source: 'tenant' });
  });

  it("is overridden per call by the metadata's agentChannel, case-insensitively", async () => {
    const call = await callOf({ recording: { agentChannel: 'left' } }, { agentChannel: 'RIGHT' });
    assert.deepEqual(call.speakers, { left: 'customer', right: 'agent', source: 'metadata' });
    assert.equal(call.metadata?.fields['agentChannel'], 'right');
  });

  it("is read from the tenant's own field name and values through an enum mapping", async () => {
    const call = await callOf(
      {
        metadata: {
          fields: {
            ...MAPPING,
            repSide: { to: 'agentChannel', type: 'enum', values: { L: 'left', R: 'right' } },
          },
        },
      },
      { repSide: 'l' },
    );
    assert.deepEqual(call.speakers, { left: 'agent', right: 'customer', source: 'metadata' });
  });

  it('is unknown for a call whose metadata says none, whatever the tenant says', async () => {
    const call = await callOf({ recording: { agentChannel: 'left' } }, { agentChannel: 'none' });
    assert.equal(call.speakers, undefined);
  });

  it('labels no channels of a mono recording, and adds no warning', async () => {
    const call = await callOf({ recording: { agentChannel: 'left' } }, { agentChannel: 'left' }, monoWav);
    assert.equal(call.recording?.channels, 1);
    assert.equal(call.recording?.speakerSeparation, 'diarization');
    assert.equal(call.speakers, undefined);
    assert.deepEqual(call.warnings, []);
  });

  it('rejects metadata with any other agentChannel as invalid-value, naming the field and value', async () => {
    const w = await world({ recording: { agentChannel: 'left' } });
    await w.put(RECORDING, wav);
    await w.put(`${STEM}.json`, metadataJson({ agentChannel: 'centre' }));
    await w.settle();
    const report = await w.errorReport(`${STEM}.json`);
    assert.equal(report.error.code, 'invalid-value');
    assert.equal(report.error.field, 'agentChannel');
    assert.match(report.error.message, /"centre" is not one of the allowed values \(left, right, none\)/);
    assert.deepEqual(await w.dataFiles('data/rejected'), [`${STEM}.json`, `${STEM}.json.error.json`]);
    const [call] = await w.calls();
    assert.equal(call?.status, 'awaiting_metadata', 'the recording still waits for good metadata');
    assert.equal(call?.metadata, undefined);
  });
});
