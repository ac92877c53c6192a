export * from './logger';
export * from './tracing';
export * from './trace-export';
