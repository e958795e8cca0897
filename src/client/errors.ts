import type { ErrorCode, Issue } from '../contract/codes.js';
import type { AnyClientCloudEvent } from './types.js';

/**
 * An event the client refused to send: it breaks the contract (the server's own validator, same codes) or an
 * emission rule the client can see by itself (a second `entered` / `left` / `completed` in a session).
 */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
  /** The first error's code. */
  readonly code: ErrorCode;
  readonly errors: readonly Issue[];
  /** The event id, when the event had one. */
  readonly id: string | null;

  constructor(errors: readonly Issue[], id: string | null = null) {
    const first = errors[0] ?? { code: 'INVALID_ENVELOPE' as const, path: '', message: 'invalid event' };
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(`${first.code} at ${first.path || '(event)'}: ${first.message}${more}`);
    this.code = first.code;
    this.errors = errors.length > 0 ? errors : [first];
    this.id = id;
  }
}

/** `emit` on a full buffer with `overflow: 'throw'`. */
export class BufferOverflowError extends Error {
  override readonly name = 'BufferOverflowError';
  constructor(readonly maxBuffer: number) {
    super(`the client buffer is full (${maxBuffer} events waiting); the event was not queued`);
  }
}

/** `emit` after `close()`. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  constructor() {
    super('the client is closed');
  }
}

export interface DeliveryErrorInit {
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** Attempt number of this batch, from 1. */
  readonly attempt: number;
  /** true: the batch will be retried after `delayMs`; false: it was given up (see `events`). */
  readonly willRetry: boolean;
  readonly delayMs?: number;
  /** The events of the batch; when `willRetry` is false they were not delivered. */
  readonly events: readonly AnyClientCloudEvent[];
  readonly cause?: unknown;
}

/** A failed delivery attempt, or a batch given up. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly status: number | undefined;
  readonly attempt: number;
  readonly willRetry: boolean;
  readonly delayMs: number | undefined;
  readonly events: readonly AnyClientCloudEvent[];

  constructor(message: string, init: DeliveryErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.attempt = init.attempt;
    this.willRetry = init.willRetry;
    this.delayMs = init.delayMs;
    this.events = init.events;
  }
}
