import type { Issue, Warning } from '../contract/codes.js';
import { utf8Length } from '../contract/utf8.js';
import { DeliveryError } from './errors.js';
import type { AnyClientCloudEvent, FetchLike, RetryOptions } from './types.js';

/** POST of one batch to /v1/events, with retries (exponential backoff, equal jitter, `Retry-After`). */

export interface ResolvedRetry {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The longest `Retry-After` honoured (a larger one is clamped). */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** The longest delay a timer can wait: setTimeout turns anything above into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function resolveRetry(options: RetryOptions = {}): ResolvedRetry {
  const retry = { maxAttempts: Infinity, baseMs: 200, maxMs: 30_000, ...stripUndefined(options) };
  if (!(retry.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be >= 1');
  // At least 1 ms: a zero delay would retry in a tight loop against a server that is down.
  if (!(retry.baseMs >= 1 && retry.baseMs <= MAX_TIMER_MS))
    throw new RangeError(`retry.baseMs must be a number in [1, ${MAX_TIMER_MS}]`);
  if (!(retry.maxMs >= retry.baseMs && retry.maxMs <= MAX_TIMER_MS))
    throw new RangeError(`retry.maxMs must be a number in [retry.baseMs, ${MAX_TIMER_MS}]`);
  return retry;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Delay before retry number `attempt` (1 = after the first failure): exponential, capped at `maxMs`, with
 * "equal jitter": uniformly within [cap/2, cap], where cap = min(maxMs, baseMs * 2^(attempt-1)).
 */
export function backoffDelay(
  attempt: number,
  retry: ResolvedRetry,
  random: () => number = Math.random,
): number {
  const cap = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.max(0, attempt - 1));
  return cap / 2 + (random() * cap) / 2;
}

/** `Retry-After` as a delay in ms: delta-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/** Network errors are retried too; of HTTP statuses, these. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** One result of a batch (SPEC §7). */
export type BatchResult =
  | {
      readonly status: 'accepted';
      readonly id: string;
      readonly position?: number | null;
      readonly warnings?: Warning[];
    }
  | { readonly status: 'duplicate'; readonly id: string; readonly position?: number | null }
  | { readonly status: 'rejected'; readonly id: string | null; readonly errors: Issue[] };

export type SendOutcome =
  | { readonly kind: 'ok'; readonly results: readonly BatchResult[] }
  | { readonly kind: 'too-large'; readonly error: DeliveryError }
  | { readonly kind: 'failed'; readonly error: DeliveryError }
  | { readonly kind: 'aborted' };

export interface TransportConfig {
  readonly url: string;
  readonly fetch: FetchLike;
  readonly token: string | (() => string | undefined | Promise<string | undefined>) | undefined;
  readonly retry: ResolvedRetry;
  readonly requestTimeoutMs: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function readResults(text: string, count: number): BatchResult[] | undefined {
  try {
    const body = JSON.parse(text) as { results?: unknown };
    const results = body.results;
    if (!Array.isArray(results) || results.length !== count) return undefined;
    const ok = results.every(
      (r) =>
        r !== null &&
        typeof r === 'object' &&
        ['accepted', 'duplicate', 'rejected'].includes((r as { status?: unknown }).status as string),
    );
    return ok ? (results as BatchResult[]) : undefined;
  } catch {
    return undefined;
  }
}

function problemDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { title?: unknown; detail?: unknown };
    const parts = [body.title, body.detail].filter((p): p is string => typeof p === 'string');
    if (parts.length > 0) return parts.join(': ');
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

/** Keepalive requests are sent only up to this body size. */
const KEEPALIVE_MAX_BYTES = 60_000;

/** fetch's own message ("fetch failed") with the reason Node keeps in `cause` (ECONNREFUSED, ENOTFOUND, …). */
function networkMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown }) : undefined;
  const reason =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return reason !== '' && !message.includes(reason) ? `${message} (${reason})` : message;
}

interface Failure {
  readonly message: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

async function attempt(
  config: TransportConfig,
  body: string,
  count: number,
  signal: AbortSignal,
): Promise<{ results: BatchResult[] } | { tooLarge: Failure } | Failure> {
  const headers: Record<string, string> = {
    'content-type': 'application/cloudevents-batch+json',
    accept: 'application/json',
  };
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  signal.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, config.requestTimeoutMs);
  let stage: 'token' | 'request' = 'token';
  try {
    // Everything awaited is raced against the timeout and close(): a token function or a custom fetch that never
    // answers must not hang the client.
    const aborted = new Promise<never>((_resolve, reject) => {
      const fail = (): void => reject(new Error('aborted'));
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => {}); // settled after the race at most: not an unhandled rejection
    const token =
      typeof config.token === 'function'
        ? await Promise.race([Promise.resolve().then(config.token), aborted])
        : config.token;
    if (token !== undefined && token !== '') headers['authorization'] = `Bearer ${token}`;
    stage = 'request';
    const response = await Promise.race([
      config.fetch(config.url, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
        // Lets a small final batch outlive the page in browsers. The quota is 64 KiB of body bytes, and a browser
        // refuses a larger keepalive request outright: count UTF-8 bytes (Cyrillic text is 2 a character).
        keepalive: body.length <= KEEPALIVE_MAX_BYTES && utf8Length(body) <= KEEPALIVE_MAX_BYTES,
      }),
      aborted,
    ]);
    const text = await Promise.race([response.text(), aborted]);
    const status = response.status;
    if (status >= 200 && status < 300) {
      const results = status === 200 ? readResults(text, count) : undefined;
      if (results !== undefined) return { results };
      // Not the service's answer (a proxy's page, a 202 or 204): nothing says the events were stored, and the
      // same ids make a retry safe.
      return { message: `HTTP ${status} without ${count} batch results`, retryable: true, status };
    }
    const failure: Failure = {
      message: `HTTP ${status}: ${problemDetail(text)}`,
      retryable: isRetryableStatus(status),
      status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), (config.now ?? Date.now)()),
    };
    return status === 413 ? { tooLarge: failure } : failure;
  } catch (error) {
    const timedOut = controller.signal.aborted && !signal.aborted;
    const message = timedOut
      ? stage === 'token'
        ? `the token function did not answer within ${config.requestTimeoutMs} ms`
        : `no answer within ${config.requestTimeoutMs} ms`
      : stage === 'token'
        ? `the token function failed: ${error instanceof Error ? error.message : String(error)}`
        : `network error: ${networkMessage(error)}`;
    return { message, retryable: true, cause: error };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}

/**
 * Sends one batch until it gets batch results, a non-retryable answer, the attempts run out or `signal` aborts.
 * `onRetry` hears every failed attempt that will be retried. The body is the same bytes on every attempt, so
 * the server answers `duplicate` for what an earlier, unanswered attempt already stored.
 */
export async function sendBatch(
  config: TransportConfig,
  body: string,
  events: readonly AnyClientCloudEvent[],
  signal: AbortSignal,
  onRetry: (error: DeliveryError) => void,
): Promise<SendOutcome> {
  for (let n = 1; ; n++) {
    if (signal.aborted) return { kind: 'aborted' };
    const outcome = await attempt(config, body, events.length, signal);
    if (signal.aborted) return { kind: 'aborted' };
    if ('results' in outcome) return { kind: 'ok', results: outcome.results };
    if ('tooLarge' in outcome) {
      const f = outcome.tooLarge;
      return {
        kind: 'too-large',
        error: new DeliveryError(f.message, { ...f, attempt: n, willRetry: false, events }),
      };
    }
    const willRetry = outcome.retryable && n < config.retry.maxAttempts;
    const delayMs = willRetry
      ? Math.max(outcome.retryAfterMs ?? 0, backoffDelay(n, config.retry, config.random))
      : undefined;
    const error = new DeliveryError(outcome.message, {
      status: outcome.status,
      attempt: n,
      willRetry,
      delayMs,
      events,
      cause: outcome.cause,
    });
    if (!willRetry) return { kind: 'failed', error };
    onRetry(error);
    if (!(await sleep(delayMs!, signal))) return { kind: 'aborted' };
  }
}
