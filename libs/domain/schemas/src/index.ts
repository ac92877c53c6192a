export * from './reasons';
export * from './asset';
export * from './call';
export * from './tenants';
export * from './captured';
