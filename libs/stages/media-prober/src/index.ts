export * from './probe-handler';
export * from './stage';
