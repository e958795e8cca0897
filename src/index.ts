/**
 * webinar-events as a library: the contract (schemas, types, validators), the intake judge and rules, the pure
 * classifier and router, and the runtime (store, HTTP app) the CLI is built on. The producer SDK is
 * `webinar-events/client`.
 */
export * from './contract/index.js';
export * from './intake/index.js';
export * from './attendance/index.js';
export * from './routing/index.js';
export { openRuntime, openStore, openBus, resolveConfig, type Config, type Runtime } from './config.js';
export { buildApp } from './http/app.js';
export type { EventStore, StoreTx } from './store/port.js';
