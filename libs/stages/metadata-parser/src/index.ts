export * from './parse-handler';
