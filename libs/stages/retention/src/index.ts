export * from './sweep';
export * from './stage';
