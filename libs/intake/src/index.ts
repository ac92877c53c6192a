export * from './layout';
export * from './rejection';
export * from './scan';
export * from './scan-handler';
export * from './local-watch';
export * from './asset-job';
export * from './hashing-stream';
