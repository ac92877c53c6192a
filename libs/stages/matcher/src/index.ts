export * from './build-call';
export * from './crm-links';
export * from './match-handler';
export * from './pair-by-hand';
export * from './refresh-crm';
export * from './fuzzy';
export * from './stage';
export * from './note-rejection';
