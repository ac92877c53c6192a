// File-name rules of intake: which names to wait for, what kind of asset a name is, what a
// recording's name says about its call, and how names and references pair.
export { isTemporaryName } from './temporary-name';
export {
  MEDIA_EXTENSIONS,
  METADATA_EXTENSIONS,
  isMediaExtension,
  isMetadataExtension,
  splitExtension,
} from './extensions';
export type { MediaExtension, MetadataExtension, SplitName } from './extensions';
export { classifyFileName } from './classify';
export type { FileClassification } from './classify';
export { parseRecordingName, recordingNameWarning } from './recording-name';
export type { ParsedRecordingName, RecordingNameOptions, RecordingNamePattern } from './recording-name';
export { wallClockToUtc } from './local-time';
export type { WallClockTime } from './local-time';
export { referenceBaseName } from './reference';
export type { ReferenceResult } from './reference';
export { metadataPairingKey, pairingKey, recordingPairingKey, referencePairingKey, stemKey } from './pairing';
export { boundedFileName, MAX_NAME_BYTES, truncateUtf8 } from './bounded-name';
