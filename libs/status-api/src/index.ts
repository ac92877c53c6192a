export * from './errors';
export * from './app';
export * from './metrics';
