export * from './ingest-handler';
export * from './judge-crm';
export * from './stage';
