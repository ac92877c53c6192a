// Who speaks on which channel of a call's recording (issue 14). The customer guide lets tenants
// put the caller on one channel and the contact on the other; this says which one is the rep,
// from the call's metadata field `agentChannel` or else the tenant's `recording.agentChannel`.
import type {
  AgentChannel,
  CallSpeakers,
  MediaFacts,
  MetadataRecord,
  RecordingRecord,
  TenantConfig,
} from '@callintake/schemas';

/**
 * The rep's channel and who said so. A metadata value wins, `none` included: a call whose own
 * metadata says "not known" is not labelled by the tenant-wide setting.
 */
export function agentChannelOf(
  metadataChannel: AgentChannel | undefined,
  tenantChannel: AgentChannel,
): { channel: AgentChannel; source: CallSpeakers['source'] } {
  return metadataChannel !== undefined
    ? { channel: metadataChannel, source: 'metadata' }
    : { channel: tenantChannel, source: 'tenant' };
}

/**
 * Speakers per channel, or undefined when not known. Only a recording of exactly two channels
 * gets them: `left`/`right` name the two sides of a stereo pair, and with more channels (a
 * conference bridge recording each participant, say) the others' speakers are unknown, so
 * labelling two of them would suggest a separation we cannot vouch for. A mono recording (or
 * one whose channels were not probed) needs diarization whatever the setting says; no warning
 * is added, since the call is complete and `recording.speakerSeparation` already says so.
 */
export function speakersOf(
  facts: Pick<MediaFacts, 'channels' | 'speakerSeparation'> | undefined,
  metadataChannel: AgentChannel | undefined,
  tenantChannel: AgentChannel,
): CallSpeakers | undefined {
  if (facts?.speakerSeparation !== 'channels' || facts.channels !== 2) return undefined;
  const { channel, source } = agentChannelOf(metadataChannel, tenantChannel);
  switch (channel) {
    case 'none':
      return undefined;
    case 'left':
      return { left: 'agent', right: 'customer', source };
    case 'right':
      return { left: 'customer', right: 'agent', source };
  }
}

/** `{ speakers }` for the call document's body when known, else nothing (see speakersOf). */
export function speakersPart(
  recording: Pick<RecordingRecord, 'facts'> | null,
  metadata: Pick<MetadataRecord, 'canonical'> | null,
  tenant: Pick<TenantConfig, 'recording'>,
): { speakers?: CallSpeakers } {
  const speakers = speakersOf(
    recording?.facts,
    metadata?.canonical.agentChannel,
    tenant.recording.agentChannel,
  );
  return speakers ? { speakers } : {};
}
