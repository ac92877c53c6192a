export * from './env';
export * from './tokens';
export * from './tenants-file';
