import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryError } from '../../src/client/errors.js';
import {
  MAX_RETRY_AFTER_MS,
  backoffDelay,
  isRetryableStatus,
  parseRetryAfter,
  resolveRetry,
  sendBatch,
  type TransportConfig,
} from '../../src/client/transport.js';
import type { AnyClientCloudEvent, FetchLike, FetchResponseLike } from '../../src/client/types.js';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A scripted fetch: answers the replies in turn (the last one forever), recording every request. */
function scriptedFetch(replies: Reply[]) {
  const calls: Array<{ url: string; body: string; headers: Record<string, string>; at: number }> = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, body: init.body, headers: init.headers, at: Date.now() });
    const reply = replies[Math.min(calls.length - 1, replies.length - 1)]!;
    if (reply instanceof Error) throw reply;
    const headers = new Map(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const response: FetchResponseLike = {
      status: reply.status,
      headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
      text: async () => (typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {})),
    };
    return response;
  };
  return { fetch, calls };
}

const okFor = (n: number): Reply => ({
  status: 200,
  body: {
    results: Array.from({ length: n }, (_, i) => ({
      status: 'accepted',
      id: `e${i}`,
      position: i + 1,
      warnings: [],
    })),
    accepted: n,
    duplicates: 0,
    rejected: 0,
  },
});

const EVENTS = [{ id: 'e0' }, { id: 'e1' }] as unknown as AnyClientCloudEvent[];
const BODY = '[{"id":"e0"},{"id":"e1"}]';

function config(fetch: FetchLike, extra: Partial<TransportConfig> = {}): TransportConfig {
  return {
    url: 'http://service.test/v1/events',
    fetch,
    token: undefined,
    retry: resolveRetry({ baseMs: 1, maxMs: 5 }),
    requestTimeoutMs: 1000,
    ...extra,
  };
}

describe('client backoff', () => {
  const retry = resolveRetry({ baseMs: 200, maxMs: 30_000 });

  it('grows exponentially, with equal jitter: within [cap/2, cap]', () => {
    for (let attempt = 1; attempt <= 30; attempt++) {
      const cap = Math.min(30_000, 200 * 2 ** (attempt - 1));
      assert.equal(
        backoffDelay(attempt, retry, () => 0),
        cap / 2,
      );
      assert.equal(
        backoffDelay(attempt, retry, () => 0.999999),
        cap / 2 + (0.999999 * cap) / 2,
      );
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(attempt, retry);
        assert.ok(d >= cap / 2 && d <= cap, `attempt ${attempt}: ${d} not in [${cap / 2}, ${cap}]`);
      }
    }
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffDelay(n, retry, () => 1)),
      [200, 400, 800, 1600],
    );
  });

  it('is capped at maxMs', () => {
    assert.equal(
      backoffDelay(100, retry, () => 1),
      30_000,
    );
    assert.equal(
      backoffDelay(2000, retry, () => 1),
      30_000,
    );
  });

  it('spreads the retries of many clients (jitter)', () => {
    const delays = new Set(Array.from({ length: 100 }, () => backoffDelay(5, retry)));
    assert.ok(delays.size > 90);
  });

  it('has documented defaults and refuses nonsense', () => {
    assert.deepEqual(resolveRetry(), { maxAttempts: Infinity, baseMs: 200, maxMs: 30_000 });
    assert.deepEqual(resolveRetry({ maxAttempts: 3, baseMs: undefined }), {
      maxAttempts: 3,
      baseMs: 200,
      maxMs: 30_000,
    });
    assert.throws(() => resolveRetry({ maxAttempts: 0 }), RangeError);
    assert.throws(() => resolveRetry({ baseMs: 100, maxMs: 10 }), RangeError);
    assert.throws(() => resolveRetry({ baseMs: -1 }), RangeError);
    assert.throws(() => resolveRetry({ baseMs: 0 }), RangeError);
    assert.throws(() => resolveRetry({ maxMs: 2 ** 31 }), RangeError);
  });
});

describe('client Retry-After', () => {
  const now = Date.parse('2026-11-26T10:00:00Z');

  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 3 ', now), 3_000);
    assert.equal(parseRetryAfter('0', now), 0);
  });

  it('reads an HTTP-date, relative to now, never negative', () => {
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 10:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 09:59:00 GMT', now), 0);
    assert.equal(parseRetryAfter(new Date(now + 5_000).toUTCString(), now), 5_000);
  });

  it('clamps a huge value', () => {
    assert.equal(parseRetryAfter('99999999', now), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', now), MAX_RETRY_AFTER_MS);
  });

  it('ignores what it cannot read', () => {
    for (const value of [null, undefined, '', '  ', '-1', '1.5', 'soon', '12 s', 'Mon, 99 Foo 2026']) {
      assert.equal(parseRetryAfter(value, now), undefined, String(value));
    }
  });

  it('retries network errors, 5xx, 429 and 408; nothing else', () => {
    for (const status of [500, 502, 503, 504, 429, 408]) assert.equal(isRetryableStatus(status), true);
    for (const status of [400, 401, 403, 404, 409, 413, 415, 422])
      assert.equal(isRetryableStatus(status), false);
  });
});

describe('client transport', () => {
  it('posts the batch as application/cloudevents-batch+json, with the bearer token', async () => {
    const { fetch, calls } = scriptedFetch([okFor(2)]);
    const outcome = await sendBatch(
      config(fetch, { token: 'secret-token' }),
      BODY,
      EVENTS,
      new AbortController().signal,
      () => {},
    );
    assert.equal(outcome.kind, 'ok');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.url, 'http://service.test/v1/events');
    assert.equal(calls[0]!.headers['content-type'], 'application/cloudevents-batch+json');
    assert.equal(calls[0]!.headers['authorization'], 'Bearer secret-token');
  });

  it('asks a token function on every attempt', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 503 }, okFor(2)]);
    let n = 0;
    const token = async () => `token-${++n}`;
    await sendBatch(config(fetch, { token }), BODY, EVENTS, new AbortController().signal, () => {});
    assert.deepEqual(
      calls.map((c) => c.headers['authorization']),
      ['Bearer token-1', 'Bearer token-2'],
    );
  });

  it('retries network errors, 500, 503 and 429 with the same body, then delivers', async () => {
    const { fetch, calls } = scriptedFetch([
      new TypeError('fetch failed'),
      { status: 500 },
      { status: 503 },
      { status: 429 },
      okFor(2),
    ]);
    const retries: DeliveryError[] = [];
    const outcome = await sendBatch(config(fetch), BODY, EVENTS, new AbortController().signal, (e) =>
      retries.push(e),
    );
    assert.equal(outcome.kind, 'ok');
    assert.equal(calls.length, 5);
    assert.ok(
      calls.every((c) => c.body === BODY),
      'the same bytes on every attempt',
    );
    assert.deepEqual(
      retries.map((e) => [e.attempt, e.status, e.willRetry]),
      [
        [1, undefined, true],
        [2, 500, true],
        [3, 503, true],
        [4, 429, true],
      ],
    );
    assert.ok(retries.every((e) => e.events === EVENTS));
  });

  it('honours Retry-After (seconds) on 503', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 503, headers: { 'Retry-After': '1' } }, okFor(2)]);
    const retries: DeliveryError[] = [];
    await sendBatch(config(fetch), BODY, EVENTS, new AbortController().signal, (e) => retries.push(e));
    assert.equal(retries[0]!.delayMs, 1000);
    assert.ok(calls[1]!.at - calls[0]!.at >= 990, `waited ${calls[1]!.at - calls[0]!.at} ms`);
  });

  it('honours Retry-After (HTTP-date) on 429', async () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    const { fetch } = scriptedFetch([
      { status: 429, headers: { 'retry-after': 'Thu, 26 Nov 2026 10:00:02 GMT' } },
      okFor(2),
    ]);
    const retries: DeliveryError[] = [];
    const controller = new AbortController();
    const outcome = sendBatch(config(fetch, { now: () => now }), BODY, EVENTS, controller.signal, (e) => {
      retries.push(e);
      controller.abort();
    });
    assert.deepEqual(await outcome, { kind: 'aborted' });
    assert.equal(retries[0]!.delayMs, 2000);
  });

  it('never waits less than the backoff, even with Retry-After: 0', async () => {
    const { fetch } = scriptedFetch([{ status: 503, headers: { 'retry-after': '0' } }, okFor(2)]);
    const retries: DeliveryError[] = [];
    await sendBatch(config(fetch, { random: () => 0 }), BODY, EVENTS, new AbortController().signal, (e) =>
      retries.push(e),
    );
    assert.equal(retries[0]!.delayMs, 0.5);
  });

  it('does not retry other 4xx: the batch fails at once', async () => {
    for (const status of [400, 401, 403, 404, 415, 422]) {
      const { fetch, calls } = scriptedFetch([
        { status, body: { title: 'No', detail: 'because' }, headers: { 'retry-after': '1' } },
      ]);
      const retries: DeliveryError[] = [];
      const outcome = await sendBatch(config(fetch), BODY, EVENTS, new AbortController().signal, (e) =>
        retries.push(e),
      );
      assert.equal(outcome.kind, 'failed');
      assert.equal(calls.length, 1);
      assert.equal(retries.length, 0);
      if (outcome.kind === 'failed') {
        assert.equal(outcome.error.status, status);
        assert.equal(outcome.error.willRetry, false);
        assert.match(outcome.error.message, /because/);
        assert.equal(outcome.error.events, EVENTS);
      }
    }
  });

  it('reports 413 as too large (the client splits the batch)', async () => {
    const { fetch } = scriptedFetch([{ status: 413 }]);
    const outcome = await sendBatch(config(fetch), BODY, EVENTS, new AbortController().signal, () => {});
    assert.equal(outcome.kind, 'too-large');
  });

  it('gives up after maxAttempts', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 503 }]);
    const retries: DeliveryError[] = [];
    const outcome = await sendBatch(
      config(fetch, { retry: resolveRetry({ maxAttempts: 3, baseMs: 1, maxMs: 2 }) }),
      BODY,
      EVENTS,
      new AbortController().signal,
      (e) => retries.push(e),
    );
    assert.equal(calls.length, 3);
    assert.equal(retries.length, 2);
    assert.equal(outcome.kind, 'failed');
    if (outcome.kind === 'failed')
      assert.deepEqual([outcome.error.attempt, outcome.error.willRetry], [3, false]);
  });

  it('retries a 200 that does not carry one result per event', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 200, body: '<html>' }, okFor(1), okFor(2)]);
    const outcome = await sendBatch(config(fetch), BODY, EVENTS, new AbortController().signal, () => {});
    assert.equal(outcome.kind, 'ok');
    assert.equal(calls.length, 3);
  });

  it('times out a hanging request and retries it', async () => {
    let n = 0;
    const fetch: FetchLike = (_url, init) => {
      n++;
      if (n === 1) {
        return new Promise((_resolve, reject) =>
          init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
        );
      }
      return scriptedFetch([okFor(2)]).fetch(_url, init);
    };
    const retries: DeliveryError[] = [];
    const outcome = await sendBatch(
      config(fetch, { requestTimeoutMs: 30 }),
      BODY,
      EVENTS,
      new AbortController().signal,
      (e) => retries.push(e),
    );
    assert.equal(outcome.kind, 'ok');
    assert.match(retries[0]!.message, /no answer within 30 ms/);
  });

  it('stops when aborted during the backoff', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 503, headers: { 'retry-after': '60' } }]);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    const outcome = await sendBatch(config(fetch), BODY, EVENTS, controller.signal, () => {});
    assert.deepEqual(outcome, { kind: 'aborted' });
    assert.equal(calls.length, 1);
    assert.ok(Date.now() - started < 1000);
  });
});

describe('client transport: what the SDK audit found', () => {
  it('a token function that never answers times out like a request, and the next attempt asks again', async () => {
    let calls = 0;
    const { fetch } = scriptedFetch([okFor(2)]);
    const retries: DeliveryError[] = [];
    const token = (): Promise<string> | string => (++calls === 1 ? new Promise<string>(() => {}) : 'tok');
    const outcome = await sendBatch(
      config(fetch, { token, requestTimeoutMs: 20 }),
      BODY,
      EVENTS,
      new AbortController().signal,
      (e) => retries.push(e),
    );
    assert.equal(outcome.kind, 'ok');
    assert.equal(calls, 2);
    assert.match(retries[0]!.message, /^the token function did not answer within 20 ms$/);
  });

  it('keepalive only for bodies up to 60,000 UTF-8 bytes, not characters', async () => {
    const seen: boolean[] = [];
    const fetch: FetchLike = async (_url, init) => {
      seen.push(init.keepalive === true);
      return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify({ results: [] }) };
    };
    const none = [] as unknown as AnyClientCloudEvent[];
    for (const body of ['a'.repeat(40_000), 'я'.repeat(40_000), 'a'.repeat(60_001)])
      await sendBatch(config(fetch), body, none, new AbortController().signal, () => {});
    assert.deepEqual(seen, [true, false, false]);
  });

  it('a 2xx that is not the batch results (a 202, a 204, a proxy page) is retried, not taken as delivered or lost', async () => {
    for (const odd of [
      { status: 202 },
      { status: 204, body: '' },
      { status: 200, body: '<!doctype html>' },
    ]) {
      const { fetch, calls } = scriptedFetch([odd, okFor(2)]);
      const retries: DeliveryError[] = [];
      const outcome = await sendBatch(config(fetch), BODY, EVENTS, new AbortController().signal, (e) =>
        retries.push(e),
      );
      assert.equal(outcome.kind, 'ok', JSON.stringify(odd));
      assert.equal(calls.length, 2);
      assert.match(retries[0]!.message, new RegExp(`^HTTP ${odd.status} without 2 batch results$`));
    }
  });

  it('a network error names its cause (ECONNREFUSED), which fetch keeps out of its message', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const { fetch } = scriptedFetch([refused, okFor(2)]);
    const retries: DeliveryError[] = [];
    await sendBatch(config(fetch), BODY, EVENTS, new AbortController().signal, (e) => retries.push(e));
    assert.equal(retries[0]!.message, 'network error: fetch failed (ECONNREFUSED)');
  });
});
