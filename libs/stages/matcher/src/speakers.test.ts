// Which channel is the rep: the metadata field over the tenant setting, and speakers only for a
// two-channel recording.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MediaFacts } from '@callintake/schemas';
import { localTenant } from '@callintake/testing';
import { speakersOf, speakersPart } from './speakers';

type ChannelFacts = Pick<MediaFacts, 'channels' | 'speakerSeparation'>;
const STEREO: ChannelFacts = { channels: 2, speakerSeparation: 'channels' };
const MONO: ChannelFacts = { channels: 1, speakerSeparation: 'diarization' };

describe('speakersOf', () => {
  it('knows no speakers while neither the metadata nor the tenant names a channel', () => {
    assert.equal(speakersOf(STEREO, undefined, 'none'), undefined);
  });

  it('labels both channels from the tenant setting', () => {
    assert.deepEqual(speakersOf(STEREO, undefined, 'left'), {
      left: 'agent',
      right: 'customer',
      source: 'tenant',
    });
    assert.deepEqual(speakersOf(STEREO, undefined, 'right'), {
      left: 'customer',
      right: 'agent',
      source: 'tenant',
    });
  });

  it("lets the call's metadata win, and its none mean unknown even when the tenant names one", () => {
    assert.deepEqual(speakersOf(STEREO, 'right', 'left'), {
      left: 'customer',
      right: 'agent',
      source: 'metadata',
    });
    assert.deepEqual(speakersOf(STEREO, 'left', 'none'), {
      left: 'agent',
      right: 'customer',
      source: 'metadata',
    });
    assert.equal(speakersOf(STEREO, 'none', 'left'), undefined);
  });

  it('gives none for a mono, multichannel, unprobed or missing recording', () => {
    assert.equal(speakersOf(MONO, 'left', 'left'), undefined);
    assert.equal(speakersOf({ channels: 4, speakerSeparation: 'channels' }, 'left', 'left'), undefined);
    assert.equal(speakersOf({}, 'left', 'left'), undefined, 'arf: channels not knowable');
    assert.equal(speakersOf(undefined, 'left', 'left'), undefined, 'no recording yet');
  });
});

describe('speakersPart', () => {
  const tenant = localTenant('/srv/callintake', { recording: { agentChannel: 'left' } });

  it('reads the tenant setting, the metadata field and the recording facts of the call parts', () => {
    const stereo = { facts: { container: 'wav', sizeBytes: 1, probed: true, ...STEREO } };
    assert.deepEqual(speakersPart(stereo, null, tenant), {
      speakers: { left: 'agent', right: 'customer', source: 'tenant' },
    });
    assert.deepEqual(speakersPart(stereo, { canonical: { agentChannel: 'right' } }, tenant), {
      speakers: { left: 'customer', right: 'agent', source: 'metadata' },
    });
    assert.deepEqual(speakersPart(null, { canonical: { agentChannel: 'right' } }, tenant), {});
    assert.deepEqual(speakersPart(stereo, null, localTenant('/srv/callintake')), {}, 'default none');
  });
});
