export { METADATA_LIMITS } from './limits';
export type { RawValue, RawRecord } from './raw-record';
export type { CanonicalValues } from '@callintake/schemas';
export { parseSingleRecord, type SingleRecordExtension } from './parse-single-record';
export { readCsvRows, type CsvRow } from './csv-rows';
export { readCrmRows, type CrmRow } from './crm-rows';
export { mapRecord, type MappedRecord, type MapOptions } from './map-record';
export {
  metadataRecord,
  pairingStemOf,
  readBatchRecords,
  recordingNameTime,
  csvMayBePerCall,
  type NameTime,
  type PerCallRow,
  type BatchRecord,
  type MetadataFile,
} from './batch-records';
