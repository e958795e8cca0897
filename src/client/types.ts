import type { Issue, Warning } from '../contract/codes.js';
import type { DeliveryError } from './errors.js';
import type {
  ClientEventType,
  ClientWebinarCompleted,
  ClientWebinarEntered,
  ClientWebinarFormSubmitted,
  ClientWebinarLeft,
  ClientWebinarRegistered,
  Payloads,
} from '../contract/events.js';

/**
 * The public types of the producer SDK, derived from the contract types (src/contract/events.ts).
 * The only narrowing added here is the one JSON Schema states with if/then and TypeScript cannot read from it:
 * `slot_id` exists only with `webinar_type: 'live'`.
 */

/** Flattens an intersection for readable hovers. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type KeysOfUnion<T> = T extends unknown ? keyof T : never;

/**
 * `P` with every key the contract type `T` does not define turned into `never`. Used as a parameter type
 * (`payload: Exact<T, P>` with `P extends T`) so that an unknown field is a type error even when the payload
 * is a variable rather than a fresh object literal.
 */
export type Exact<T, P> = P & { [K in Exclude<keyof P, KeysOfUnion<T>>]: never };

/** `client_webinar_registered` for a `live` webinar: `slot_id` is optional. */
export type LiveRegisteredPayload = Simplify<ClientWebinarRegistered & { webinar_type: 'live' }>;
/** `client_webinar_registered` for an `auto` webinar: `slot_id` is not allowed. */
export type AutoRegisteredPayload = Simplify<
  Omit<ClientWebinarRegistered, 'webinar_type' | 'slot_id'> & { webinar_type: 'auto'; slot_id?: never }
>;
export type RegisteredPayload = LiveRegisteredPayload | AutoRegisteredPayload;
export type EnteredPayload = ClientWebinarEntered;
export type LeftPayload = ClientWebinarLeft;
export type CompletedPayload = ClientWebinarCompleted;
export type FormSubmittedPayload = ClientWebinarFormSubmitted;

/** The documented leave reasons (any `^[a-z][a-z0-9_]{0,63}$` is valid; these are offered for completion). */
export type LeaveReason = 'user_exit' | 'session_end' | 'network_loss' | (string & {});

/** A client event as the SDK sends it: a structured-mode CloudEvent (SPEC §2). */
export interface ClientCloudEvent<T extends ClientEventType = ClientEventType> {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: T;
  readonly time: string;
  /** The participation session of a `client_webinar_entered`. */
  readonly sessionid?: string;
  readonly data: Payloads[T];
}
export type AnyClientCloudEvent = { [T in ClientEventType]: ClientCloudEvent<T> }[ClientEventType];

/** Options of every emit. */
export interface EmitOptions {
  /** The CloudEvents `id`; a fresh UUIDv7 by default. Pass a stable id to make a re-send a duplicate. */
  readonly id?: string;
  /** The CloudEvents `time` (RFC 3339 with an offset); now by default. */
  readonly time?: string;
}

/** Options of `entered`: the `sessionid` extension names the participation session. */
export interface EnteredOptions extends EmitOptions {
  readonly sessionid?: string;
}

export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'throw';

export interface RetryOptions {
  /** Attempts per batch, the first included; `Infinity` (default) retries until delivered or closed. */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff, in ms (default 200). */
  readonly baseMs?: number;
  /** Cap of one backoff delay, in ms (default 30000). A `Retry-After` from the server takes precedence. */
  readonly maxMs?: number;
}

/** The part of `fetch` the client uses; `globalThis.fetch` by default (browsers, Node 20+). */
export type FetchLike = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    keepalive?: boolean;
  },
) => Promise<FetchResponseLike>;

export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** An event the server stored (`accepted`) or had already stored (`duplicate`): delivered either way. */
export interface Delivery {
  readonly id: string;
  readonly type: ClientEventType;
  readonly status: 'accepted' | 'duplicate';
  readonly position: number | null;
  readonly warnings: readonly Warning[];
}

/** An event the server rejected (emission rule, conflict): never retried. */
export interface Rejection {
  readonly id: string;
  readonly type: ClientEventType;
  readonly event: AnyClientCloudEvent;
  readonly errors: readonly Issue[];
}

/** Events the buffer let go because it was full (see `overflow`). */
export interface Overflow {
  readonly policy: OverflowPolicy;
  readonly dropped: readonly AnyClientCloudEvent[];
}

export interface ClientOptions {
  /** Base URL of the service, e.g. `https://events.example.com` or `/webinar-events`; events go to `/v1/events`. */
  readonly endpoint: string;
  /** The CloudEvents `source` of every event, e.g. `/webinar-room`. */
  readonly source: string;
  /** Bearer token with the `ingest` scope, or a function returning the current one (called per request). */
  readonly token?: string | (() => string | undefined | Promise<string | undefined>);
  /** Most events per request (default 100, at most 1000). A full batch is sent at once. */
  readonly batchSize?: number;
  /** Most bytes of JSON per request (default 1 MiB; the server accepts 4 MiB). */
  readonly maxBatchBytes?: number;
  /** Longest time an event waits in the buffer before it is sent (default 1000 ms). */
  readonly flushIntervalMs?: number;
  /** Most events waiting in memory, the batch in flight aside (default 10000). */
  readonly maxBuffer?: number;
  /** What happens to an event that does not fit: drop the oldest waiting one, drop it, or throw. */
  readonly overflow?: OverflowPolicy;
  /** Timeout of one HTTP attempt (default 30000 ms); a timeout is retried like a network error. */
  readonly requestTimeoutMs?: number;
  readonly retry?: RetryOptions;
  readonly fetch?: FetchLike;
  readonly onOverflow?: (overflow: Overflow) => void;
  readonly onRejected?: (rejection: Rejection) => void;
  readonly onDelivered?: (deliveries: readonly Delivery[]) => void;
  /** Every failed delivery attempt (`error.willRetry`) and every batch given up (`error.events`). */
  readonly onError?: (error: DeliveryError) => void;
}

/** Fields a session holds: lead, webinar and its type. `lead_id` is optional only for `entered`. */
export type SessionOptions = Simplify<
  Partial<Pick<ClientWebinarLeft, 'lead_id' | 'session_id'>> &
    Pick<ClientWebinarLeft, 'webinar_id' | 'webinar_type'>
>;
export type IdentifiedSessionOptions = Simplify<SessionOptions & Pick<ClientWebinarLeft, 'lead_id'>>;

export type SessionEnteredInput = Partial<Pick<ClientWebinarEntered, 'timestamp'>>;
export type SessionLeftInput = Simplify<
  { leave_reason: LeaveReason } & Partial<Pick<ClientWebinarLeft, 'left_at'>>
>;
export type SessionCompletedInput = Partial<Pick<ClientWebinarCompleted, 'completed_at'>>;
export type SessionFormSubmittedInput = Simplify<
  Pick<ClientWebinarFormSubmitted, 'form_id' | 'form_payload'> &
    Partial<Pick<ClientWebinarFormSubmitted, 'submitted_at'>>
>;

export interface SessionState {
  readonly entered: boolean;
  readonly left: boolean;
  readonly completed: boolean;
}

/** A participation session whose lead is not known yet: it can only record the entry, or learn its lead. */
export interface AnonymousSession {
  /** The session id: `sessionid` of the entry, `session_id` of what follows. */
  readonly id: string;
  readonly webinar_id: string;
  readonly webinar_type: SessionOptions['webinar_type'];
  /** Which once-per-session events this session has emitted. */
  readonly state: SessionState;
  /** Emits `client_webinar_entered` (at most once per session); `timestamp` defaults to now. */
  entered<P extends SessionEnteredInput>(
    input?: Exact<SessionEnteredInput, P>,
    options?: EmitOptions,
  ): string;
  /** Binds the session to its lead (once; the same lead again is a no-op) and returns it as a full session. */
  identify(lead_id: IdentifiedSessionOptions['lead_id']): Session;
}

/** A participation session of a known lead. */
export interface Session extends Omit<AnonymousSession, 'identify'> {
  readonly lead_id: string;
  identify(lead_id: IdentifiedSessionOptions['lead_id']): Session;
  /** Emits `client_webinar_left` (at most once per session); `left_at` defaults to now. */
  left<P extends SessionLeftInput>(input: Exact<SessionLeftInput, P>, options?: EmitOptions): string;
  /** Emits `client_webinar_completed` (at most once per session); `completed_at` defaults to now. */
  completed<P extends SessionCompletedInput>(
    input?: Exact<SessionCompletedInput, P>,
    options?: EmitOptions,
  ): string;
  /** Emits `client_webinar_form_submitted`; `submitted_at` defaults to now. */
  formSubmitted<P extends SessionFormSubmittedInput>(
    input: Exact<SessionFormSubmittedInput, P>,
    options?: EmitOptions,
  ): string;
}

export interface CloseOptions {
  /** How long `close()` waits for delivery (default 10000 ms); `Infinity` waits until delivered. */
  readonly timeoutMs?: number;
}

export interface CloseResult {
  /** Events not delivered when the timeout ran out (also reported through `onError`). */
  readonly undelivered: readonly AnyClientCloudEvent[];
  /**
   * Events given up earlier in the client's life — a 4xx answer, the attempts used up, a single event too large —
   * each already reported, with the events, through `onError` (`willRetry: false`). Not delivered either.
   */
  readonly givenUp: number;
}

export interface WebinarEventsClient {
  /** Emits `client_webinar_registered`. Validates, buffers, returns the event id; throws `ContractViolation`. */
  registered<P extends RegisteredPayload>(
    payload: Exact<RegisteredPayload, P>,
    options?: EmitOptions,
  ): string;
  /** Emits `client_webinar_entered`; `options.sessionid` links it to its session (see `session()`). */
  entered<P extends EnteredPayload>(payload: Exact<EnteredPayload, P>, options?: EnteredOptions): string;
  left<P extends LeftPayload>(payload: Exact<LeftPayload, P>, options?: EmitOptions): string;
  completed<P extends CompletedPayload>(payload: Exact<CompletedPayload, P>, options?: EmitOptions): string;
  formSubmitted<P extends FormSubmittedPayload>(
    payload: Exact<FormSubmittedPayload, P>,
    options?: EmitOptions,
  ): string;
  /** Opens a participation session with a new session id (or `session_id`, to resume one). */
  session(options: IdentifiedSessionOptions): Session;
  session(options: SessionOptions): AnonymousSession;
  /** Sends everything buffered now; resolves once every event emitted before the call is settled. */
  flush(): Promise<void>;
  /** Refuses new events, delivers what is buffered (within `timeoutMs`) and stops. */
  close(options?: CloseOptions): Promise<CloseResult>;
  /** Events buffered or in flight. */
  readonly pending: number;
}
