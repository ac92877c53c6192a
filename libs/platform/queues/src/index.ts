export * from './registry';
export * from './connection';
export * from './producer';
export * from './worker';
export * from './job-trace';
export * from './job-options';
export * from './attempts';
