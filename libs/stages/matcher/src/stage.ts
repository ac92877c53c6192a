// The matcher service: pairs recordings with metadata and emits calls downstream.
import { defineStage } from '@callintake/runtime';
import { handleMatchMetadata, handleMatchRecording } from './match-handler';
import { handleNoteRejection } from './note-rejection';
import { handlePairByHand } from './pair-by-hand';
import { handleRefreshCallCrm } from './refresh-crm';

export const matcherStage = defineStage({
  name: 'matcher',
  description:
    'pairs recordings with metadata, builds the call document and emits calls-ready / calls-updated',
  consumes: ['call-match'],
  replicas: { min: 1, max: 20 },
  handlers: (deps) => ({
    'call-match': {
      'match-recording': (payload, context) => handleMatchRecording(deps, payload, context),
      'match-metadata': (payload, context) => handleMatchMetadata(deps, payload, context),
      'pair-by-hand': (payload, context) => handlePairByHand(deps, payload, context),
      'refresh-call-crm': (payload, context) => handleRefreshCallCrm(deps, payload, context),
      'note-rejection': (payload, context) => handleNoteRejection(deps, payload, context),
    },
  }),
});
