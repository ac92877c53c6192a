// The media-prober service: probes, archives and records each recording version.
import { defineStage } from '@callintake/runtime';
import { assetJobFailureHook } from '@callintake/asset-lifecycle';
import { handleProbeRecording } from './probe-handler';

export const mediaProberStage = defineStage({
  name: 'media-prober',
  description:
    'probes recordings with bounded reads, copies them to the archive and records their media facts',
  consumes: ['media-probe'],
  replicas: { min: 1, max: 20 },
  onJobFailure: (deps) => assetJobFailureHook(deps.state),
  handlers: (deps) => ({
    'media-probe': { 'probe-recording': (payload, context) => handleProbeRecording(deps, payload, context) },
  }),
});
