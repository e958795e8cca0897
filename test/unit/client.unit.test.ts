import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Issue } from '../../src/contract/codes.js';
import { judgeEvent } from '../../src/intake/envelope.js';
import {
  BufferOverflowError,
  ClientClosedError,
  ContractViolation,
  UUIDV7_PATTERN,
  createClient,
  type ClientOptions,
  type DeliveryError,
  type Delivery,
  type FetchLike,
  type Overflow,
  type Rejection,
} from '../../src/client/index.js';

type Wire = Record<string, unknown> & { id: string; type: string; data: Record<string, unknown> };

/** A fake /v1/events: stores by id, answers batch results; `answer` may force a status or reject events. */
function fakeServer(
  options: {
    status?: (call: number, events: Wire[]) => number | undefined;
    reject?: (event: Wire) => Issue[] | undefined;
    delayMs?: number;
  } = {},
) {
  const stored = new Map<string, Wire>();
  const calls: Array<{ url: string; body: string; events: Wire[]; headers: Record<string, string> }> = [];
  const fetch: FetchLike = async (url, init) => {
    const events = JSON.parse(init.body) as Wire[];
    calls.push({ url, body: init.body, events, headers: init.headers });
    if (options.delayMs !== undefined) await new Promise((r) => setTimeout(r, options.delayMs));
    const reply = (status: number, body: unknown) => ({
      status,
      headers: { get: () => null },
      text: async () => JSON.stringify(body),
    });
    const forced = options.status?.(calls.length, events);
    if (forced !== undefined) return reply(forced, { title: `forced ${forced}` });
    const results = events.map((event) => {
      const errors = options.reject?.(event);
      if (errors !== undefined) return { status: 'rejected', id: event.id, errors };
      if (stored.has(event.id)) return { status: 'duplicate', id: event.id, position: 1 };
      stored.set(event.id, event);
      return { status: 'accepted', id: event.id, position: stored.size, warnings: [] };
    });
    return reply(200, { results });
  };
  return { fetch, stored, calls };
}

const at = '2026-11-26T10:00:00Z';
const base = { lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live', session_id: 'S-1' } as const;
const payloads = {
  registered: {
    lead_id: 'L-1',
    webinar_id: 'W-1',
    webinar_type: 'live',
    slot_id: 'slot',
    registered_at: at,
    source: 'landing',
  },
  entered: { lead_id: 'L-1', webinar_id: 'W-1', timestamp: at },
  left: { ...base, left_at: at, leave_reason: 'user_exit' },
  completed: { ...base, completed_at: at },
  formSubmitted: { ...base, submitted_at: at, form_id: 'F-1', form_payload: { rating: 5 } },
} as const;

function client(fetch: FetchLike, extra: Partial<ClientOptions> = {}) {
  return createClient({
    endpoint: 'http://service.test/',
    source: '/webinar-room',
    fetch,
    flushIntervalMs: 10_000,
    retry: { baseMs: 1, maxMs: 5 },
    ...extra,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The ContractViolation a call throws. */
function violation(emit: () => unknown): ContractViolation {
  try {
    emit();
  } catch (error) {
    assert.ok(error instanceof ContractViolation, String(error));
    return error;
  }
  assert.fail('expected a ContractViolation');
}

describe('client emits', () => {
  it('builds CloudEvents: UUIDv7 id, source, type, time now, data; one typed function per event', async () => {
    const server = fakeServer();
    const c = client(server.fetch);
    const before = Date.now();
    const ids = [
      c.registered(payloads.registered),
      c.entered(payloads.entered, { sessionid: 'S-1' }),
      c.left(payloads.left),
      c.completed(payloads.completed),
      c.formSubmitted(payloads.formSubmitted),
    ];
    for (const id of ids) assert.match(id, UUIDV7_PATTERN);
    assert.deepEqual([...ids].sort(), ids, 'ids increase in emission order');
    assert.equal(c.pending, 5);
    await c.flush();
    assert.equal(c.pending, 0);
    assert.equal(server.calls.length, 1);
    const sent = server.calls[0]!.events;
    assert.equal(server.calls[0]!.url, 'http://service.test/v1/events');
    assert.deepEqual(
      sent.map((e) => e.type),
      [
        'client_webinar_registered',
        'client_webinar_entered',
        'client_webinar_left',
        'client_webinar_completed',
        'client_webinar_form_submitted',
      ],
    );
    assert.deepEqual(
      sent.map((e) => e.id),
      ids,
    );
    for (const event of sent) {
      assert.equal(event.specversion, '1.0');
      assert.equal(event.source, '/webinar-room');
      const time = Date.parse(event['time'] as string);
      assert.ok(time >= before - 1 && time <= Date.now() + 1);
      assert.equal(judgeEvent(event).ok, true);
    }
    assert.equal(sent[1]!['sessionid'], 'S-1');
    assert.equal('sessionid' in sent[2]!, false);
    assert.deepEqual(sent[4]!.data, payloads.formSubmitted);
    await c.close();
  });

  it('takes an id and a time when given (a stable id makes a re-send a duplicate)', async () => {
    const server = fakeServer();
    const deliveries: Delivery[] = [];
    const c = client(server.fetch, { onDelivered: (d) => deliveries.push(...d) });
    assert.equal(
      c.completed(payloads.completed, { id: 'completion-1', time: '2026-11-26T11:00:00+03:00' }),
      'completion-1',
    );
    c.completed(payloads.completed, { id: 'completion-1' });
    await c.flush();
    assert.equal(server.calls[0]!.events[0]!['time'], '2026-11-26T11:00:00+03:00');
    assert.deepEqual(
      deliveries.map((d) => [d.id, d.status]),
      [
        ['completion-1', 'accepted'],
        ['completion-1', 'duplicate'],
      ],
    );
    await c.close();
  });

  it('sends what was validated, even if the caller mutates its objects afterwards', async () => {
    const server = fakeServer();
    const c = client(server.fetch);
    const form = { ...payloads.formSubmitted, form_payload: { rating: 5 } as Record<string, unknown> };
    c.formSubmitted(form);
    form.form_payload['rating'] = 1;
    (form as Record<string, unknown>)['extra'] = true;
    await c.close();
    assert.deepEqual(server.calls[0]!.events[0]!.data['form_payload'], { rating: 5 });
  });
});

describe('client validation: the server validator, the same codes', () => {
  const cases: Array<[string, string, Record<string, unknown>, string[]]> = [
    ['registered', 'missing field', { ...payloads.registered, lead_id: undefined }, ['MISSING_FIELD']],
    ['registered', 'unknown field', { ...payloads.registered, utm: 'x' }, ['UNKNOWN_FIELD']],
    ['registered', 'slot_id with auto', { ...payloads.registered, webinar_type: 'auto' }, ['INVALID_FIELD']],
    ['registered', 'wrong type', { ...payloads.registered, webinar_type: 'hybrid' }, ['INVALID_FIELD']],
    [
      'entered',
      'timestamp without offset',
      { ...payloads.entered, timestamp: '2026-11-26T10:00:00' },
      ['INVALID_FIELD'],
    ],
    ['entered', 'session_id in entered', { ...payloads.entered, session_id: 'S' }, ['UNKNOWN_FIELD']],
    ['left', 'bad leave_reason', { ...payloads.left, leave_reason: 'User Exit' }, ['INVALID_FIELD']],
    ['left', 'number lead_id', { ...payloads.left, lead_id: 7 }, ['INVALID_FIELD']],
    ['completed', 'empty webinar_id', { ...payloads.completed, webinar_id: '' }, ['INVALID_FIELD']],
    [
      'formSubmitted',
      'form_payload not an object',
      { ...payloads.formSubmitted, form_payload: [] },
      ['INVALID_FIELD'],
    ],
    [
      'formSubmitted',
      'form_payload over 16 KiB',
      { ...payloads.formSubmitted, form_payload: { text: 'x'.repeat(17_000) } },
      ['INVALID_FIELD'],
    ],
    ['completed', 'several problems', { lead_id: 'L', extra: 1 }, ['MISSING_FIELD', 'UNKNOWN_FIELD']],
  ];

  for (const [method, title, payload, codes] of cases) {
    it(`${method}: ${title} → ${codes.join(', ')}, nothing sent`, async () => {
      const server = fakeServer();
      const c = client(server.fetch) as unknown as Record<string, (p: unknown) => string> & {
        pending: number;
      };
      const error = violation(() => c[method]!(payload));
      assert.deepEqual([...new Set(error.errors.map((e) => e.code))].sort(), [...codes].sort());
      assert.equal(error.code, error.errors[0]!.code);
      // the very errors the server's judge gives for the same CloudEvent
      const type = {
        registered: 'client_webinar_registered',
        entered: 'client_webinar_entered',
        left: 'client_webinar_left',
        completed: 'client_webinar_completed',
        formSubmitted: 'client_webinar_form_submitted',
      }[method];
      const judged = judgeEvent({
        specversion: '1.0',
        id: 'x',
        source: '/webinar-room',
        type,
        data: JSON.parse(JSON.stringify(payload)),
      });
      assert.equal(judged.ok, false);
      if (!judged.ok) assert.deepEqual(error.errors, judged.errors);
      assert.equal(c.pending, 0);
      await (c as unknown as { close(): Promise<unknown> }).close();
      assert.equal(server.calls.length, 0);
    });
  }

  it('validates the envelope: a bad id, time or sessionid is INVALID_ENVELOPE', () => {
    const c = client(fakeServer().fetch);
    assert.deepEqual(
      violation(() => c.left(payloads.left, { id: '' })).errors.map((e) => [e.code, e.path]),
      [['INVALID_ENVELOPE', '/id']],
    );
    assert.deepEqual(
      violation(() => c.left(payloads.left, { time: 'yesterday' })).errors.map((e) => [e.code, e.path]),
      [['INVALID_ENVELOPE', '/time']],
    );
    assert.deepEqual(
      violation(() => c.entered(payloads.entered, { sessionid: '' })).errors.map((e) => [e.code, e.path]),
      [['INVALID_ENVELOPE', '/sessionid']],
    );
  });

  it('refuses a form_payload that is not JSON (a cycle) with a path to it', () => {
    const c = client(fakeServer().fetch);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const error = violation(() => c.formSubmitted({ ...payloads.formSubmitted, form_payload: cyclic }));
    assert.deepEqual(
      error.errors.map((e) => [e.code, e.path]),
      [['INVALID_FIELD', '/data/form_payload']],
    );
  });

  it('refuses a source the server refuses, at construction', () => {
    for (const source of ['', 'webinar-events/classifier', 'a\u0000b']) {
      assert.throws(
        () => createClient({ endpoint: '/e', source, fetch: fakeServer().fetch }),
        (error: unknown) => error instanceof ContractViolation && error.code === 'INVALID_ENVELOPE',
      );
    }
  });

  it('refuses bad options', () => {
    const fetch = fakeServer().fetch;
    assert.throws(() => createClient({ endpoint: '', source: '/s', fetch }), TypeError);
    assert.throws(() => createClient({ endpoint: '/e', source: '/s', fetch, batchSize: 0 }), RangeError);
    assert.throws(() => createClient({ endpoint: '/e', source: '/s', fetch, batchSize: 1001 }), RangeError);
    assert.throws(() => createClient({ endpoint: '/e', source: '/s', fetch, maxBuffer: 0 }), RangeError);
    assert.throws(
      () => createClient({ endpoint: '/e', source: '/s', fetch, overflow: 'block' as 'throw' }),
      RangeError,
    );
    // Timers cannot wait longer than 2^31 - 1 ms (setTimeout would fire at once), and a zero backoff would spin.
    for (const bad of [
      { requestTimeoutMs: 2 ** 31 },
      { flushIntervalMs: 2 ** 31 },
      { retry: { maxMs: 2 ** 31 } },
      { retry: { baseMs: 0, maxMs: 0 } },
    ])
      assert.throws(() => createClient({ endpoint: '/e', source: '/s', fetch, ...bad }), RangeError);
  });
});

describe('client sessions', () => {
  it('opens a session with a new id: entered carries sessionid, the rest session_id', async () => {
    const server = fakeServer();
    const c = client(server.fetch);
    const s = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live' });
    const other = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live' });
    assert.match(s.id, UUIDV7_PATTERN);
    assert.notEqual(s.id, other.id);
    s.entered();
    s.left({ leave_reason: 'network_loss' });
    s.formSubmitted({ form_id: 'F-1', form_payload: { q: 'a' } });
    s.formSubmitted({ form_id: 'F-1', form_payload: { q: 'b' } }, { id: 'form-2' });
    s.completed({ completed_at: at });
    await c.close();
    const [entered, left, form1, form2, completed] = server.calls.flatMap((call) => call.events);
    assert.equal(entered!['sessionid'], s.id);
    assert.deepEqual(Object.keys(entered!.data).sort(), ['lead_id', 'timestamp', 'webinar_id']);
    for (const event of [left, form1, form2, completed]) {
      assert.equal(event!.data['session_id'], s.id);
      assert.equal(event!.data['lead_id'], 'L-1');
      assert.equal(event!.data['webinar_type'], 'live');
    }
    assert.equal(left!.data['leave_reason'], 'network_loss');
    assert.equal(completed!.data['completed_at'], at);
    assert.equal(form2!.id, 'form-2');
    const now = Date.now();
    for (const [event, field] of [
      [entered, 'timestamp'],
      [left, 'left_at'],
      [form1, 'submitted_at'],
    ] as const) {
      assert.ok(Math.abs(Date.parse(event!.data[field] as string) - now) < 5_000, `${field} defaults to now`);
    }
  });

  it('refuses a second entered, left or completed with REPEATED_IN_SESSION', async () => {
    const c = client(fakeServer().fetch);
    const s = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'auto' });
    assert.deepEqual(s.state, { entered: false, left: false, completed: false });
    s.entered();
    s.left({ leave_reason: 'user_exit' });
    assert.deepEqual(s.state, { entered: true, left: true, completed: false });
    s.completed();
    assert.deepEqual(s.state, { entered: true, left: true, completed: true });
    const repeated = [
      [violation(() => s.entered()), '/sessionid'],
      [violation(() => s.left({ leave_reason: 'user_exit' })), '/data/session_id'],
      [violation(() => s.completed()), '/data/session_id'],
    ] as const;
    for (const [error, path] of repeated) {
      assert.deepEqual(
        error.errors.map((e) => [e.code, e.path]),
        [['REPEATED_IN_SESSION', path]],
      );
    }
    assert.equal(c.pending, 3);
    await c.close();
  });

  it('an emit refused by the contract does not use up the once-per-session event', async () => {
    const c = client(fakeServer().fetch);
    const s = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live' });
    assert.equal(violation(() => s.left({ leave_reason: 'Bad Reason' })).code, 'INVALID_FIELD');
    assert.match(s.left({ leave_reason: 'user_exit' }), UUIDV7_PATTERN);
    await c.close();
  });

  it('an entered dropped by a full buffer (drop-newest) leaves the session without it', async () => {
    const c = client(fakeServer().fetch, { maxBuffer: 1, overflow: 'drop-newest', flushIntervalMs: 60_000 });
    c.entered(payloads.entered); // fills the buffer
    const s = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live' });
    s.entered();
    assert.equal(s.state.entered, false, 'the event was dropped, so the session may emit it again');
    await c.flush();
    s.entered();
    assert.equal(s.state.entered, true);
    await c.close();
  });

  it('an entered dropped later by a full buffer (drop-oldest, the default) is forgotten by its session', async () => {
    const c = client(fakeServer().fetch, { maxBuffer: 1, flushIntervalMs: 60_000 });
    const s = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live' });
    s.entered();
    assert.equal(s.state.entered, true);
    c.entered(payloads.entered); // the buffer is full: the session's entered is the oldest, dropped
    assert.equal(s.state.entered, false);
    s.entered(); // may be emitted again, and is not dropped while it waits alone
    c.left({ ...payloads.left, session_id: 'S-2' }); // drops the second entered too: forgotten again
    assert.equal(s.state.entered, false);
    await c.close();
  });

  it('an anonymous session records the entry, then learns its lead', async () => {
    const server = fakeServer();
    const c = client(server.fetch);
    const anonymous = c.session({ webinar_id: 'W-1', webinar_type: 'auto' });
    anonymous.entered();
    const runtimeMisuse = anonymous as unknown as { left(input: object): string };
    assert.deepEqual(
      violation(() => runtimeMisuse.left({ leave_reason: 'user_exit' })).errors.map((e) => [e.code, e.path]),
      [['MISSING_FIELD', '/data/lead_id']],
    );
    const s = anonymous.identify('L-7');
    assert.equal(s.identify('L-7'), s);
    assert.equal(violation(() => s.identify('L-8')).code, 'SESSION_MISMATCH');
    s.completed();
    await c.close();
    const [entered, completed] = server.calls.flatMap((call) => call.events);
    assert.equal('lead_id' in entered!.data, false);
    assert.equal(entered!['sessionid'], anonymous.id);
    assert.equal(completed!.data['lead_id'], 'L-7');
    assert.equal(completed!.data['session_id'], anonymous.id);
  });

  it('refuses fields the session owns, and may resume a given session id', () => {
    const c = client(fakeServer().fetch);
    const s = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live', session_id: 'resumed-1' });
    assert.equal(s.id, 'resumed-1');
    const loose = s as unknown as { left(input: object): string };
    assert.deepEqual(
      violation(() => loose.left({ leave_reason: 'user_exit', lead_id: 'L-2' })).errors.map((e) => [
        e.code,
        e.path,
      ]),
      [['INVALID_FIELD', '/data/lead_id']],
    );
  });
});

describe('client batching and delivery', () => {
  it('sends a full batch at once, the rest on flush', async () => {
    const server = fakeServer();
    const c = client(server.fetch, { batchSize: 3 });
    for (let i = 0; i < 7; i++) c.entered(payloads.entered);
    await sleep(20);
    assert.deepEqual(
      server.calls.map((call) => call.events.length),
      [3, 3],
    );
    assert.equal(c.pending, 1);
    await c.flush();
    assert.deepEqual(
      server.calls.map((call) => call.events.length),
      [3, 3, 1],
    );
    await c.close();
  });

  it('sends a partial batch after flushIntervalMs', async () => {
    const server = fakeServer();
    const c = client(server.fetch, { batchSize: 100, flushIntervalMs: 40 });
    c.entered(payloads.entered);
    c.entered(payloads.entered);
    await sleep(10);
    assert.equal(server.calls.length, 0);
    await sleep(100);
    assert.deepEqual(
      server.calls.map((call) => call.events.length),
      [2],
    );
    await c.close();
  });

  it('bounds a batch by bytes', async () => {
    const server = fakeServer();
    const c = client(server.fetch, { maxBatchBytes: 20_000 });
    for (let i = 0; i < 6; i++) {
      c.formSubmitted({ ...payloads.formSubmitted, form_payload: { text: 'x'.repeat(8_000) } });
    }
    await c.close();
    assert.ok(server.calls.length >= 3);
    for (const call of server.calls) assert.ok(call.body.length <= 20_000);
    assert.equal(server.stored.size, 6);
  });

  it('keeps one batch in flight at a time, in emission order', async () => {
    const server = fakeServer({ delayMs: 5 });
    const c = client(server.fetch, { batchSize: 2 });
    const ids = Array.from({ length: 9 }, () => c.entered(payloads.entered));
    await c.close();
    assert.deepEqual(
      server.calls.flatMap((call) => call.events.map((e) => e.id)),
      ids,
    );
  });

  it('retries with the same ids and bytes, then reports duplicates as delivered', async () => {
    const server = fakeServer({ status: (n) => (n === 2 ? 503 : undefined) });
    const realFetch = server.fetch;
    // the first attempt is stored but its answer is lost
    let first = true;
    const lossy: FetchLike = async (url, init) => {
      const response = await realFetch(url, init);
      if (first) {
        first = false;
        throw new TypeError('fetch failed: socket hang up');
      }
      return response;
    };
    const deliveries: Delivery[] = [];
    const errors: DeliveryError[] = [];
    const c = client(lossy, { onDelivered: (d) => deliveries.push(...d), onError: (e) => errors.push(e) });
    const ids = [c.entered(payloads.entered), c.left(payloads.left)];
    await c.close();
    assert.equal(server.calls.length, 3);
    assert.equal(new Set(server.calls.map((call) => call.body)).size, 1, 'the same bytes on every attempt');
    assert.deepEqual(
      deliveries.map((d) => [d.id, d.status]),
      ids.map((id) => [id, 'duplicate']),
    );
    assert.deepEqual(
      errors.map((e) => [e.status, e.willRetry]),
      [
        [undefined, true],
        [503, true],
      ],
    );
    assert.equal(server.stored.size, 2);
  });

  it('reports a rejected event through onRejected and never retries it', async () => {
    const issue: Issue = { code: 'ALREADY_REGISTERED', path: '/data/lead_id', message: 'already registered' };
    const server = fakeServer({
      reject: (e) => (e.type === 'client_webinar_registered' ? [issue] : undefined),
    });
    const rejections: Rejection[] = [];
    const deliveries: Delivery[] = [];
    const c = client(server.fetch, {
      onRejected: (r) => rejections.push(r),
      onDelivered: (d) => deliveries.push(...d),
    });
    const id = c.registered(payloads.registered);
    c.entered(payloads.entered);
    await c.close();
    assert.equal(server.calls.length, 1);
    assert.equal(rejections.length, 1);
    assert.equal(rejections[0]!.id, id);
    assert.equal(rejections[0]!.type, 'client_webinar_registered');
    assert.deepEqual(rejections[0]!.errors, [issue]);
    assert.equal(rejections[0]!.event.data.lead_id, 'L-1');
    assert.deepEqual(
      deliveries.map((d) => d.status),
      ['accepted'],
    );
  });

  it('splits a batch the server finds too large (413)', async () => {
    const server = fakeServer({ status: (_n, events) => (events.length > 2 ? 413 : undefined) });
    const c = client(server.fetch, { batchSize: 7 });
    const ids = Array.from({ length: 7 }, () => c.entered(payloads.entered));
    await c.close();
    assert.deepEqual([...server.stored.keys()], ids);
  });

  it('gives up a batch on a non-retryable answer (401), reporting its events', async () => {
    const server = fakeServer({ status: () => 401 });
    const errors: DeliveryError[] = [];
    const c = client(server.fetch, { token: 'wrong', onError: (e) => errors.push(e) });
    const id = c.entered(payloads.entered);
    await c.flush();
    assert.equal(server.calls.length, 1);
    assert.equal(server.calls[0]!.headers['authorization'], 'Bearer wrong');
    assert.equal(errors.length, 1);
    assert.deepEqual(
      [errors[0]!.status, errors[0]!.willRetry, errors[0]!.events.map((e) => e.id)],
      [401, false, [id]],
    );
    // Given up, so not delivered: close says how many, beside what it aborted itself.
    assert.deepEqual(await c.close(), { undelivered: [], givenUp: 1 });
  });

  it('an exception in a callback does not stop delivery', async () => {
    const server = fakeServer();
    const c = client(server.fetch, {
      batchSize: 1,
      onDelivered: () => {
        throw new Error('bug in the callback');
      },
    });
    c.entered(payloads.entered);
    c.entered(payloads.entered);
    await c.close();
    assert.equal(server.stored.size, 2);
  });
});

describe('client buffer overflow', () => {
  // A server that never answers keeps everything in the buffer.
  const stalled: FetchLike = () => new Promise(() => {});

  it('drop-oldest (default) lets the oldest waiting event go and tells onOverflow', async () => {
    const server = fakeServer();
    const overflows: Overflow[] = [];
    const c = client(server.fetch, { maxBuffer: 3, onOverflow: (o) => overflows.push(o) });
    const ids = Array.from({ length: 5 }, () => c.entered(payloads.entered));
    assert.equal(c.pending, 3);
    assert.deepEqual(
      overflows.map((o) => [o.policy, o.dropped.map((e) => e.id)]),
      [
        ['drop-oldest', [ids[0]]],
        ['drop-oldest', [ids[1]]],
      ],
    );
    await c.close();
    assert.deepEqual([...server.stored.keys()], ids.slice(2));
  });

  it('drop-newest refuses the new event (the id is still returned) and tells onOverflow', async () => {
    const server = fakeServer();
    const overflows: Overflow[] = [];
    const c = client(server.fetch, {
      maxBuffer: 2,
      overflow: 'drop-newest',
      onOverflow: (o) => overflows.push(o),
    });
    const ids = Array.from({ length: 3 }, () => c.entered(payloads.entered));
    assert.deepEqual(
      overflows.map((o) => [o.policy, o.dropped.map((e) => e.id)]),
      [['drop-newest', [ids[2]]]],
    );
    await c.close();
    assert.deepEqual([...server.stored.keys()], ids.slice(0, 2));
  });

  it('throw refuses the new event with BufferOverflowError', async () => {
    const overflows: Overflow[] = [];
    const c = client(fakeServer().fetch, {
      maxBuffer: 2,
      overflow: 'throw',
      onOverflow: (o) => overflows.push(o),
    });
    c.entered(payloads.entered);
    c.entered(payloads.entered);
    assert.throws(() => c.entered(payloads.entered), BufferOverflowError);
    assert.equal(overflows.length, 0, 'nothing was dropped: the emit threw, and that is the report');
    assert.equal(c.pending, 2);
    await c.close();
  });

  it('the batch in flight does not count against maxBuffer', async () => {
    const c = client(stalled, { maxBuffer: 2, batchSize: 2, overflow: 'throw' });
    c.entered(payloads.entered);
    c.entered(payloads.entered); // a full batch: now in flight
    await sleep(5);
    c.entered(payloads.entered);
    c.entered(payloads.entered);
    assert.throws(() => c.entered(payloads.entered), BufferOverflowError);
    assert.equal(c.pending, 4);
    const closed = await c.close({ timeoutMs: 20 });
    assert.equal(closed.undelivered.length, 4);
  });
});

describe('client close and flush', () => {
  it('close delivers what is buffered; emits after it throw ClientClosedError', async () => {
    const server = fakeServer();
    const c = client(server.fetch);
    c.entered(payloads.entered);
    const s = c.session({ lead_id: 'L-1', webinar_id: 'W-1', webinar_type: 'live' });
    assert.deepEqual(await c.close(), { undelivered: [], givenUp: 0 });
    assert.equal(server.stored.size, 1);
    assert.throws(() => c.entered(payloads.entered), ClientClosedError);
    assert.throws(() => s.entered(), ClientClosedError);
    assert.throws(
      () => c.session({ lead_id: 'L', webinar_id: 'W', webinar_type: 'live' }),
      ClientClosedError,
    );
    assert.deepEqual(await c.close(), { undelivered: [], givenUp: 0 }, 'close is idempotent');
  });

  it('close gives up after timeoutMs against a dead server, returning the undelivered events in order', async () => {
    const errors: DeliveryError[] = [];
    const dead: FetchLike = async () => {
      throw new TypeError('fetch failed: ECONNREFUSED');
    };
    const c = client(dead, { batchSize: 2, onError: (e) => errors.push(e) });
    const ids = Array.from({ length: 5 }, () => c.entered(payloads.entered));
    const started = Date.now();
    const result = await c.close({ timeoutMs: 50 });
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(
      result.undelivered.map((e) => e.id),
      ids,
    );
    const last = errors[errors.length - 1]!;
    assert.equal(last.willRetry, false);
    assert.deepEqual(
      last.events.map((e) => e.id),
      ids,
    );
    assert.ok(errors.slice(0, -1).every((e) => e.willRetry));
  });

  it('close gives up on a token function that never answers', async () => {
    const errors: DeliveryError[] = [];
    const c = client(fakeServer().fetch, {
      token: () => new Promise<string>(() => {}),
      requestTimeoutMs: 20,
      onError: (e) => errors.push(e),
    });
    const id = c.entered(payloads.entered);
    const result = await c.close({ timeoutMs: 100 });
    assert.deepEqual(
      result.undelivered.map((e) => e.id),
      [id],
    );
    assert.match(errors[0]!.message, /the token function did not answer within 20 ms/);
  });

  it('flush waits for the events emitted before it, not for later ones', async () => {
    let release: () => void = () => {};
    let calls = 0;
    const server = fakeServer();
    const slowSecond: FetchLike = async (url, init) => {
      calls++;
      if (calls === 2) await new Promise<void>((r) => (release = r));
      return server.fetch(url, init);
    };
    const c = client(slowSecond, { batchSize: 1 });
    c.entered(payloads.entered);
    const flushed = c.flush();
    c.entered(payloads.entered); // emitted after the flush: it may still be in flight when flush resolves
    await flushed;
    assert.equal(server.stored.size, 1);
    release();
    await c.close();
    assert.equal(server.stored.size, 2);
  });
});

describe('client runs in browsers', () => {
  it('reaches no Node-only module or global from webinar-events/client', () => {
    const entry = new URL('../../src/client/index.js', import.meta.url);
    const seen = new Set<string>();
    const bare = new Set<string>();
    const queue = [entry.href];
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    while (queue.length > 0) {
      const href = queue.pop()!;
      if (seen.has(href)) continue;
      seen.add(href);
      const code = readFileSync(fileURLToPath(href), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|\s)\/\/.*$/gm, '$1');
      for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
        const specifier = match[1]!;
        if (specifier.startsWith('.')) queue.push(new URL(specifier, href).href);
        else bare.add(specifier);
      }
      const where = fileURLToPath(href);
      for (const global of [/\bBuffer\b/, /\bprocess\./, /\brequire\(/, /__dirname/, /\bsetImmediate\b/]) {
        assert.doesNotMatch(code, global, `${where} uses ${global.source}`);
      }
    }
    for (const specifier of bare) assert.equal(builtins.has(specifier), false, `imports ${specifier}`);
    // Ajv's compiler is not reached: the validators were generated at build time; only a runtime helper is.
    assert.deepEqual([...bare].sort(), ['@sinclair/typebox', 'ajv/dist/runtime/ucs2length.js']);
    const modules = [...seen].map((h) => h.slice(h.indexOf('/dist/') + 6));
    assert.ok(modules.includes('src/intake/envelope.js'), 'the server validator is the one used');
    assert.ok(modules.includes('src/contract/payload-validators.fast.generated.js'));
    for (const href of seen) {
      assert.doesNotMatch(readFileSync(fileURLToPath(href), 'utf8'), /\bnew Function\b|\beval\(/, href);
    }
    assert.ok(
      !modules.some((m) => /intake\/(index|content-hash)\.js$|derived-ids/.test(m)),
      modules.join(', '),
    );
  });
});
