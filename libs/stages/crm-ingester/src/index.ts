export * from './ingest-handler';
