/**
 * Helpers of the HTTP integration tests: a runtime on a real SQLite file in a temp dir, the Fastify app built on
 * it (driven with `inject`, no port), and builders of the five client events. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openRuntime, resolveConfig, type Flags, type Runtime } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';

export type Json = Record<string, unknown>;
export type Response = LightMyRequestResponse;

/** Tokens of the auth tests (each at least 16 characters). */
export const TOKENS = {
  ingest: 'ingest-token-0123456789',
  read: 'read-token-0123456789ab',
  admin: 'admin-token-0123456789a',
} as const;
export const TOKENS_ENV = Object.entries(TOKENS)
  .map(([scope, token]) => `${scope}:${token}`)
  .join(',');

export interface HarnessOptions {
  /** Environment of resolveConfig (a plain object, never process.env). */
  readonly env?: Record<string, string>;
  readonly flags?: Flags;
  /** Written as the forms catalog and passed as the `forms` flag. */
  readonly forms?: Json;
  /** The bearer token every request of the harness carries unless told otherwise. */
  readonly token?: string;
}

export interface RequestOptions {
  /** A bearer token; `null` sends none; undefined uses the harness default. */
  readonly token?: string | null;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export class Harness {
  private constructor(
    readonly app: FastifyInstance,
    readonly runtime: Runtime,
    readonly dir: string,
    private readonly token: string | undefined,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const dir = mkdtempSync(join(tmpdir(), 'we-http-'));
    const flags: Flags = { db: join(dir, 'events.sqlite'), ...options.flags };
    if (options.forms !== undefined) {
      const path = join(dir, 'forms.json');
      writeFileSync(path, JSON.stringify(options.forms));
      flags['forms'] = path;
    }
    const runtime = await openRuntime(resolveConfig(flags, { ...options.env }));
    const app = await buildApp(runtime.httpContext());
    return new Harness(app, runtime, dir, options.token);
  }

  private headers(options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== undefined && token !== null) headers['authorization'] = `Bearer ${token}`;
    return headers;
  }

  /** POST /v1/events with a JSON value (serialized), a raw string or raw bytes. */
  post(body: unknown, options: RequestOptions = {}): Promise<Response> {
    const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    return this.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload,
      headers: { 'content-type': options.contentType ?? 'application/json', ...this.headers(options) },
    });
  }

  get(url: string, options: RequestOptions = {}): Promise<Response> {
    return this.app.inject({ method: 'GET', url, headers: this.headers(options) });
  }

  evaluate(webinarId: string, options: RequestOptions = {}): Promise<Response> {
    return this.app.inject({
      method: 'POST',
      url: `/v1/webinars/${encodeURIComponent(webinarId)}/evaluate`,
      headers: this.headers(options),
    });
  }

  /** GET that must answer 200; returns the parsed body. */
  async read<T = Json>(url: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.get(url, options);
    assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    return response.json<T>();
  }

  /** POSTs events one by one; each must be accepted (202). Returns the verdicts. */
  async accept(...events: Json[]): Promise<Json[]> {
    const verdicts: Json[] = [];
    for (const event of events) {
      const response = await this.post(event);
      assert.equal(response.statusCode, 202, `${String(event['id'])}: ${response.body}`);
      verdicts.push(response.json<Json>());
    }
    return verdicts;
  }

  /** Waits until the in-process classifier and router have caught up. */
  async drain(): Promise<void> {
    await this.runtime.processors!.drain();
  }

  /** Every event of the feed (optionally of one type), paging through it. */
  async feed(type?: string): Promise<Json[]> {
    const events: Json[] = [];
    let after = 0;
    for (;;) {
      const query = `after=${after}&limit=500${type === undefined ? '' : `&type=${type}`}`;
      const page = await this.read<{ events: Json[]; next: number }>(`/v1/events?${query}`);
      if (page.events.length === 0) return events;
      events.push(...page.events);
      after = page.next;
    }
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.runtime.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The payload fields of a derived event in the feed. */
export const dataOf = (event: Json): Json => event['data'] as Json;

/** The error codes of a problem body or a rejected verdict. */
export function codesOf(body: Json): string[] {
  return ((body['errors'] as Json[] | undefined) ?? []).map((e) => String(e['code']));
}

/** The warning codes of a verdict or a timeline event. */
export function warningsOf(body: Json): string[] {
  return ((body['warnings'] as Json[] | undefined) ?? []).map((w) => String(w['code']));
}

/** Asserts a problem+json answer with `status` whose first error is `code`; returns the body. */
export function assertProblem(response: Response, status: number, code: string): Json {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json<Json>();
  assert.equal(body['status'], status);
  assert.equal(body['code'], code);
  assert.equal(typeof body['title'], 'string');
  assert.equal(typeof body['type'], 'string');
  // The README's shape: {type, title, status, code, detail, errors?}, detail saying what this request did wrong.
  assert.equal(typeof body['detail'], 'string', `no detail in ${response.body}`);
  return body;
}

/** Asserts `errors[{code, path, message}]` in a problem body (or verdict) with `code` at `path`. */
export function assertIssue(body: Json, code: string, path: string): void {
  const errors = body['errors'] as Json[] | undefined;
  assert.ok(Array.isArray(errors) && errors.length > 0, `no errors in ${JSON.stringify(body)}`);
  for (const e of errors) {
    assert.equal(typeof e['code'], 'string');
    assert.equal(typeof e['path'], 'string');
    assert.equal(typeof e['message'], 'string');
    assert.ok(String(e['message']).length > 0);
  }
  assert.ok(
    errors.some((e) => e['code'] === code && e['path'] === path),
    `expected ${code} at "${path}" in ${JSON.stringify(errors)}`,
  );
}

// ---- event builders (SPEC §1–2) ----

let counter = 0;
const at = (minute: number): string => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();

/** A structured CloudEvent; `extra` adds envelope attributes (`id` overrides the generated one). */
export function cloudEvent(type: string, data: Json, extra: Json = {}): Json {
  return { specversion: '1.0', id: `ev-${++counter}`, source: '/webinar-room', type, data, ...extra };
}

export interface Who {
  readonly lead: string;
  readonly webinar: string;
  readonly type?: 'live' | 'auto';
}

export const registered = (w: Who, extra: Json = {}): Json =>
  cloudEvent(
    'client_webinar_registered',
    {
      lead_id: w.lead,
      webinar_id: w.webinar,
      webinar_type: w.type ?? 'live',
      registered_at: at(0),
      source: 'landing/autumn',
    },
    extra,
  );

/** An entry of session `session` (the `sessionid` extension); `lead: null` makes it anonymous. */
export const entered = (
  w: { lead: string | null; webinar: string },
  session: string | undefined,
  extra: Json = {},
): Json =>
  cloudEvent(
    'client_webinar_entered',
    w.lead === null
      ? { webinar_id: w.webinar, timestamp: at(1) }
      : { lead_id: w.lead, webinar_id: w.webinar, timestamp: at(1) },
    { time: at(1), ...(session === undefined ? {} : { sessionid: session }), ...extra },
  );

export const left = (w: Who, session: string, extra: Json = {}): Json =>
  cloudEvent(
    'client_webinar_left',
    {
      lead_id: w.lead,
      webinar_id: w.webinar,
      webinar_type: w.type ?? 'live',
      session_id: session,
      left_at: at(50),
      leave_reason: 'user_exit',
    },
    extra,
  );

export const completed = (w: Who, session: string, extra: Json = {}): Json =>
  cloudEvent(
    'client_webinar_completed',
    {
      lead_id: w.lead,
      webinar_id: w.webinar,
      webinar_type: w.type ?? 'live',
      session_id: session,
      completed_at: at(55),
    },
    extra,
  );

export const formSubmitted = (w: Who, session: string, formId: string, extra: Json = {}): Json =>
  cloudEvent(
    'client_webinar_form_submitted',
    {
      lead_id: w.lead,
      webinar_id: w.webinar,
      webinar_type: w.type ?? 'live',
      session_id: session,
      submitted_at: at(58),
      form_id: formId,
      form_payload: { rating: 5, comments: ['great'] },
    },
    extra,
  );

/** A copy of `event` with its `data` changed (`undefined` removes a field). */
export function withData(event: Json, changes: Record<string, unknown>): Json {
  const data: Json = { ...dataOf(event) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete data[key];
    else data[key] = value;
  }
  return { ...event, data };
}

/** Error bodies must not leak internals: stack frames or file paths. */
export function assertNoInternals(response: Response): void {
  for (const needle of ['at /', '/work/', '.js:', '.ts:', 'node_modules']) {
    assert.ok(
      !response.body.includes(needle),
      `${response.statusCode} body leaks "${needle}": ${response.body.slice(0, 300)}`,
    );
  }
}
