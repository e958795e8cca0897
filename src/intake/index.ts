export * from './content-hash.js';
export * from './dry-run.js';
export * from './envelope.js';
export * from './forms-catalog.js';
export * from './rules.js';
export * from './state.js';
export * from './verdict.js';
export * from './batch.js';
