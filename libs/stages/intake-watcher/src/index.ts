export * from './intake-rules';
export * from './scan';
export * from './scan-handler';
export * from './local-watch';
export * from './stage';
