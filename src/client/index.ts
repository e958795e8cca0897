/**
 * `webinar-events/client`: the typed producer SDK of the canonical client webinar events.
 * Browser-safe: no Node-only API (fetch, crypto.getRandomValues, setTimeout). See docs/client.md.
 */
export { createClient, MAX_BATCH_SIZE } from './client.js';
export { BufferOverflowError, ClientClosedError, ContractViolation, DeliveryError } from './errors.js';
export { backoffDelay, parseRetryAfter } from './transport.js';
export { createUuidV7, uuidv7, uuidv7Time, UUIDV7_PATTERN, type UuidV7Options } from './uuidv7.js';
export { validateEvent } from './validate.js';
export type * from './types.js';
export type { ErrorCode, Issue, Warning, WarningCode } from '../contract/codes.js';
export type { ClientEventType } from '../contract/events.js';
