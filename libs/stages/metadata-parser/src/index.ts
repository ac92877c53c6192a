export * from './judge-metadata';
export * from './parse-handler';
export * from './stage';
