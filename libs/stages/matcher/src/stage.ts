// The matcher service: pairs recordings with metadata and emits calls downstream.
import { defineStage } from '@callintake/runtime';
import { handleMatchMetadata, handleMatchRecording } from './match-handler';

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
    },
  }),
});
