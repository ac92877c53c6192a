export * from './judge-recording';
export * from './probe-handler';
export * from './stage';
