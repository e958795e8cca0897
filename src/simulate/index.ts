export * from './delivery-queue.js';
export * from './faults.js';
export * from './generator.js';
export * from './prng.js';
export * from './types.js';
