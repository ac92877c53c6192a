// The metadata-parser service: parses and maps metadata files into records for the matcher.
import { defineStage } from '@callintake/runtime';
import { assetJobFailureHook } from '@callintake/asset-lifecycle';
import { handleParseMetadata } from './parse-handler';

export const metadataParserStage = defineStage({
  name: 'metadata-parser',
  description: 'parses JSON, XML, YAML and CSV metadata, applies the tenant mapping and the update window',
  consumes: ['metadata-parse'],
  replicas: { min: 1, max: 20 },
  onJobFailure: (deps) => assetJobFailureHook(deps.state),
  handlers: (deps) => ({
    'metadata-parse': { 'parse-metadata': (payload, context) => handleParseMetadata(deps, payload, context) },
  }),
});
