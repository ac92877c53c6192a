export * from './build-call';
export * from './crm-links';
export * from './match-handler';
export * from './fuzzy';
export * from './stage';
