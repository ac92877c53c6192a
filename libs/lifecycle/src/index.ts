export * from './layout';
export * from './version-id';
export * from './transitions';
export * from './rejection';
export * from './asset-job';
export * from './hashing-stream';
export * from './failure';
export * from './retry';
