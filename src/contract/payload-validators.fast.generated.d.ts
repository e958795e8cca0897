// The module scripts/generate-validators.ts writes next to the compiled contract at build time (npm run build):
// Ajv's standalone code for every payload schema, stopping at the first error. No code is compiled at run time.
import type { ValidateFunction } from 'ajv';
import type { EventType } from './events.js';

export declare const VALIDATORS: { readonly [T in EventType]: ValidateFunction };
