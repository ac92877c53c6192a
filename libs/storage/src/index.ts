export * from './types';
export { LocalUploadArea } from './local-upload-area';
export { LocalArchiveStore } from './local-archive-store';
export * from './factory';
