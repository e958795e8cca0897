export * from './classifier-processor.js';
export * from './clock.js';
export * from './ingest.js';
export * from './processor-runner.js';
export * from './router-processor.js';
export * from './report.js';
export * from './relay-processor.js';
export * from './group-commit.js';
