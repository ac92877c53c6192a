export type { RangeReader } from './range-reader';
export { bufferReader, countingReader } from './range-reader';
export type { ProbeOptions } from './probe';
export { MAX_MEDIA_BYTES, probeMedia } from './probe';
export type { SniffedContainer } from './sniff';
export { sniffContainer } from './sniff';
export type { EncodeWavOptions } from './wav-encoder';
export { encodeWav, stampTag } from './wav-encoder';
export { withTimeLimit } from './time-limit';
