export * from './redis-bootstrap';
export * from './runtime';
export * from './stage';
export * from './service-main';
export * from './command-line';
export * from './health';
export * from './shutdown';
export * from './startup-checks';
