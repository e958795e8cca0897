export * from './classifier.js';
export * from './state.js';
