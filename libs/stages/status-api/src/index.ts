export * from './errors';
export * from './app';
export * from './metrics';
export * from './openapi';
export * from './schemas';
export * from './stage';
