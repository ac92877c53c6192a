export * from './parse-handler';
export * from './stage';
