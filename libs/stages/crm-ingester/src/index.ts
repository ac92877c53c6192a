export * from './ingest-handler';
export * from './stage';
