export * from './redis-bootstrap';
export * from './runtime';
export * from './services';
export * from './health';
