export * from './clock';
export * from './keys';
export * from './cas';
export type {
  CanonicalValues,
  MetadataRecord,
  ParsedNameFacts,
  RecordingRecord,
} from '@callintake/schemas';
export * from './pagination';
export * from './asset-repository';
export * from './call-repository';
export * from './capture-repositories';
export * from './observation-repository';
export * from './crm-repository';
export * from './lock';
export * from './state-store';
export * from './metrics-repository';
