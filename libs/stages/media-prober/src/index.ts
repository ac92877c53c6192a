export * from './probe-handler';
