/**
 * Helpers of the scale-runtime tests (PostgreSQL + NATS JetStream, SPEC §6, §8): real `serve` and `worker` child
 * processes, a fresh PostgreSQL schema per test chosen through the connection string, HTTP calls with timeouts,
 * and a JetStream tap that reads the shared stream after the point where the test started. Not a test file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsEventBus } from '../../src/bus/nats-bus.js';
import { messageId } from '../../src/bus/port.js';
import { leadFunnel, shuffled } from './story.js';
import { STREAM_NAME, SUBJECT_PREFIX } from '../../src/contract/index.js';
import { freePort } from './process-helpers.js';
import { ServiceChild } from './service-child.js';
import { freshSchema, natsUrl, postgresUrl, serviceAvailable } from './services.js';

export type Json = Record<string, unknown>;

const HTTP_TIMEOUT_MS = 20_000;

export const CLASSIFIED = 'client_webinar_attendance_classified';
export const ROUTE = 'post_webinar_route';

/**
 * Both services answer; otherwise one loud line about the first that does not (or a failure with
 * WEBINAR_EVENTS_REQUIRE_SERVICES=1).
 */
export async function scaleServicesAvailable(): Promise<boolean> {
  return (await serviceAvailable('PostgreSQL', postgresUrl())) && (await serviceAvailable('NATS', natsUrl()));
}

/** A short random tag: each test's sources, ids and webinars carry it, so the shared stream can be filtered. */
export const newTag = (): string => randomBytes(4).toString('hex');

// ---- PostgreSQL: one schema per test, chosen by the connection string alone ----

export interface ScaleDatabase {
  /** A DATABASE_URL whose connections use the test's own schema (`options=-c search_path=…`). */
  readonly url: string;
  readonly schema: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty schema and a connection string pointing at it. The CLI takes no schema option: the store uses
 * the connection's `current_schema()`, and libpq's `options` parameter (honoured by `pg`) sets `search_path`,
 * exactly as a user would point several deployments at one database.
 */
export async function scaleDatabase(base: string = postgresUrl()): Promise<ScaleDatabase> {
  const fresh = await freshSchema(base);
  const separator = base.includes('?') ? '&' : '?';
  const url = `${base}${separator}options=${encodeURIComponent(`-c search_path=${fresh.schema}`)}`;
  return { url, schema: fresh.schema, drop: fresh.drop };
}

// ---- child processes ----

/** A `webinar-events` child process (serve or worker) whose output is kept, for counts and diagnostics. */
export class ScaleProcess extends ServiceChild {
  constructor(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    super({ name, args, env, debugEnv: 'DEBUG_SCALE' });
  }

  /** Waits until the current incarnation has printed `marker` (a worker: "worker started", its store open). */
  async started(marker = '"msg":"worker started"', timeoutMs = 20_000): Promise<void> {
    await this.waitForLine(marker, timeoutMs);
  }

  /** Sum of `count` over the worker's "derived" / "published" lines. */
  workerCount(msg: 'derived' | 'published'): number {
    return this.jsonLines()
      .filter((l) => l['msg'] === msg)
      .reduce((sum, l) => sum + Number(l['count']), 0);
  }
}

/** A `serve` child on a free port; `start()` waits until /readyz says the store (and bus) answer. */
export class ScaleServer extends ScaleProcess {
  readonly url: string;

  private constructor(name: string, port: number, args: readonly string[], env: NodeJS.ProcessEnv) {
    super(name, ['serve', '--port', String(port), ...args], env);
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    return new ScaleServer(name, await freePort(), args, env);
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitForHttp(`${this.url}/readyz`, 20_000);
  }
}

export type WorkerKind = 'classifier' | 'router' | 'relay';

/** `webinar-events worker <kind>`: its store and bus come from `args` or `env` (DATABASE_URL, NATS_URL). */
export function workerProcess(
  name: string,
  kind: WorkerKind,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ScaleProcess {
  // At info: the tests wait for "worker started" and sum the "derived" / "published" lines.
  return new ScaleProcess(name, ['worker', kind, '--poll-ms', '50', ...args], { LOG_LEVEL: 'info', ...env });
}

/**
 * Every child a test starts, so that one `after()` kills them all: a failed assertion must never leave a child
 * keeping the test runner alive.
 */
export class ProcessGroup {
  private readonly all: ScaleProcess[] = [];

  add<P extends ScaleProcess>(process: P): P {
    this.all.push(process);
    return process;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.all.map((p) => p.kill()));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((p) => p.stop()));
  }
}

// ---- HTTP ----

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface HttpAnswer {
  readonly status: number;
  readonly body: Json;
}

export async function request(
  url: string,
  init: { method?: string; body?: unknown; contentType?: string } = {},
): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    ...(init.body === undefined
      ? {}
      : {
          body: JSON.stringify(init.body),
          headers: { 'content-type': init.contentType ?? 'application/json' },
        }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
}

export interface BatchAnswer {
  readonly results: Json[];
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
}

/** POST /v1/events with a batch; must answer 200. */
export async function postBatch(base: string, events: readonly Json[]): Promise<BatchAnswer> {
  const answer = await request(`${base}/v1/events`, {
    method: 'POST',
    body: events,
    contentType: 'application/cloudevents-batch+json',
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 500));
  return answer.body as unknown as BatchAnswer;
}

/** POST /v1/events with one event: the HTTP status and body (a verdict or a problem). */
export function postOne(base: string, event: Json): Promise<HttpAnswer> {
  return request(`${base}/v1/events`, { method: 'POST', body: event });
}

/** POST /v1/webinars/:id/evaluate; must answer 200. */
export async function evaluate(base: string, webinar: string): Promise<Json[]> {
  const answer = await request(`${base}/v1/webinars/${encodeURIComponent(webinar)}/evaluate`, {
    method: 'POST',
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body['classified'] as Json[];
}

/** GET that must answer 200. */
export async function getJson<T = Json>(url: string): Promise<T> {
  const answer = await request(url);
  assert.equal(answer.status, 200, `${url}: ${JSON.stringify(answer.body).slice(0, 500)}`);
  return answer.body as T;
}

/** The whole log through GET /v1/events, paging. */
export async function readLog(base: string): Promise<Json[]> {
  const events: Json[] = [];
  let after = 0;
  for (;;) {
    const page = await getJson<{ events: Json[]; next: number }>(
      `${base}/v1/events?after=${after}&limit=1000`,
    );
    if (page.events.length === 0) return events;
    events.push(...page.events);
    after = page.next;
  }
}

/** The whole quarantine through GET /v1/rejections, paging. */
export async function readRejections(base: string): Promise<Json[]> {
  const rejections: Json[] = [];
  let after = 0;
  for (;;) {
    const page = await getJson<{ rejections: Json[]; next: number }>(
      `${base}/v1/rejections?after=${after}&limit=1000`,
    );
    if (page.rejections.length === 0) return rejections;
    rejections.push(...page.rejections);
    after = page.next;
  }
}

/** The whole attendance report of a webinar (one page of up to 1000 leads). */
export async function readReport(base: string, webinar: string): Promise<Json> {
  const report = await getJson(`${base}/v1/webinars/${encodeURIComponent(webinar)}/attendance?limit=1000`);
  assert.equal(report['next'], null, 'the report fits one page');
  return report;
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const description = typeof what === 'string' ? what : what();
      throw new Error(`timed out waiting for ${description}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

// ---- checks on a log ----

export const dataOf = (event: Json): Json => event['data'] as Json;
export const keyOf = (event: Json): string => messageId(event);

/** Positions 1…n with no gap, and no (source, id) twice. */
export function assertWellFormedLog(log: readonly Json[]): void {
  const positions = log.map((e) => Number(e['position']));
  assert.deepEqual(
    positions,
    positions.map((_, i) => i + 1),
    'positions are 1…n without a gap',
  );
  const keys = log.map(keyOf);
  assert.equal(new Set(keys).size, keys.length, 'no (source, id) stored twice');
}

/** Every classification has exactly one route, naming it, with the matching status; no route without one. */
export function assertOneRoutePerClassification(log: readonly Json[]): {
  classifications: Json[];
  routes: Json[];
} {
  const classifications = log.filter((e) => e['type'] === CLASSIFIED);
  const routes = log.filter((e) => e['type'] === ROUTE);
  const byCause = new Map<unknown, Json[]>();
  for (const route of routes)
    byCause.set(route['causationid'], [...(byCause.get(route['causationid']) ?? []), route]);
  for (const c of classifications) {
    const mine = byCause.get(c['id']) ?? [];
    assert.equal(mine.length, 1, `classification ${String(c['id'])} has ${mine.length} routes`);
    const data = dataOf(c);
    assert.deepEqual(dataOf(mine[0]!), { status: data['attended'] ? 'attended' : 'not_attended', ...data });
    assert.ok(Number(mine[0]!['position']) > Number(c['position']), 'a route follows its classification');
  }
  assert.equal(routes.length, classifications.length, 'no route without a classification');
  return { classifications, routes };
}

// ---- a tap on the shared JetStream stream ----

export interface TappedMessage {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly event: Json;
}

/**
 * Reads the stream WEBINAR_EVENTS from the sequence after its last one at `open()` time (the stream is shared
 * and never assumed empty), keeping only the messages `mine` selects. Each `catchUp()` reads on from where the
 * previous one stopped, through an ordered consumer starting at that sequence.
 */
export class JetStreamTap {
  readonly messages: TappedMessage[] = [];
  private nextSeq: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    startSeq: number,
    private readonly mine: (event: Json) => boolean,
  ) {
    this.nextSeq = startSeq;
  }

  static async open(url: string, mine: (event: Json) => boolean): Promise<JetStreamTap> {
    // The service's own code creates (or updates) the stream, as any relay would at startup.
    const bus = await NatsEventBus.open(url, 'webinar-events-test-setup');
    await bus.close();
    const nc = await connect({ servers: url, name: 'webinar-events-test-tap' });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(STREAM_NAME);
      return new JetStreamTap(nc, jsm, jetstream(nc), info.state.last_seq + 1, mine);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** Reads every message up to the stream's current last sequence; returns the tapped messages so far. */
  async catchUp(): Promise<TappedMessage[]> {
    const last = (await this.jsm.streams.info(STREAM_NAME)).state.last_seq;
    if (last < this.nextSeq) return this.messages;
    const consumer = await this.js.consumers.get(STREAM_NAME, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.nextSeq,
    });
    const decoder = new TextDecoder();
    while (this.nextSeq <= last) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 5000 });
      let got = 0;
      for await (const msg of batch) {
        got++;
        this.nextSeq = msg.seq + 1;
        const event = JSON.parse(decoder.decode(msg.data)) as Json;
        if (this.mine(event)) {
          this.messages.push({
            seq: msg.seq,
            subject: msg.subject,
            msgId: msg.headers?.get('Nats-Msg-Id'),
            event,
          });
        }
        if (msg.seq >= last) break;
      }
      if (got === 0) throw new Error(`no message from the stream at sequence ${this.nextSeq} (last ${last})`);
    }
    return this.messages;
  }

  /** Waits until the tap holds `count` messages (or fails after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 30_000): Promise<TappedMessage[]> {
    return waitFor(
      () => `${count} messages on ${STREAM_NAME} (have ${this.messages.length})`,
      async () => ((await this.catchUp()).length >= count ? this.messages : undefined),
      timeoutMs,
      200,
    );
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

/**
 * The stream holds exactly the stored events `log`: each once (by Nats-Msg-Id), on subject
 * `webinar.events.<type>`, with the stored body (position included), in log order.
 */
export function assertStreamMatchesLog(messages: readonly TappedMessage[], log: readonly Json[]): void {
  const ids = messages.map((m) => m.msgId);
  assert.equal(new Set(ids).size, ids.length, 'no event published twice');
  for (const m of messages) {
    assert.equal(m.msgId, messageId(m.event), 'Nats-Msg-Id is the stored key');
    assert.equal(m.subject, `${SUBJECT_PREFIX}${String(m.event['type'])}`);
  }
  assert.equal(
    messages.length,
    log.length,
    `the stream has ${messages.length} of ${log.length} stored events`,
  );
  const byKey = new Map(messages.map((m) => [m.msgId, m.event]));
  for (const stored of log) {
    const published = byKey.get(keyOf(stored));
    assert.ok(published !== undefined, `${keyOf(stored)} reached the stream`);
    assert.deepEqual(published, stored);
  }
  const positions = messages.map((m) => Number(m.event['position']));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
    'the stream is in log order',
  );
}

// ---- a funnel with unique ids ----

export interface Funnel {
  readonly events: Json[];
  readonly webinars: string[];
  /** Leads that entered (each is classified once: true if completed, else false on evaluation). */
  readonly entered: number;
  readonly completed: number;
}

/**
 * Webinars `W-<tag>-<w>` with `leads` leads each, from source `/t-<tag>`: every lead registers; four in five
 * enter and leave; every other one of those completes. No two events conflict, so any order is accepted.
 */
export function funnel(tag: string, webinars: number, leads: number): Funnel {
  const events: Json[] = [];
  const source = `/t-${tag}`;
  let entered = 0;
  let completed = 0;
  const ids: string[] = [];
  for (let w = 0; w < webinars; w++) {
    const webinar_id = `W-${tag}-${w}`;
    ids.push(webinar_id);
    for (let l = 0; l < leads; l++) {
      const lead = leadFunnel(l, {
        source,
        lead_id: `L-${tag}-${w}-${l}`,
        webinar_id,
        webinar_type: w % 2 === 0 ? 'live' : 'auto',
        session: `S-${tag}-${w}-${l}`,
        idTag: `${w}-${l}`,
      });
      events.push(...lead.events);
      if (lead.entered) entered++;
      if (lead.completed) completed++;
    }
  }
  return { events, webinars: ids, entered, completed };
}

/** Splits into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export { shuffled };

/** Whether an event (client or derived) belongs to the test tagged `tag`: its webinar carries the tag. */
export const ofTag =
  (tag: string) =>
  (event: Json): boolean => {
    const data = event['data'] as Json | undefined;
    return typeof data?.['webinar_id'] === 'string' && data['webinar_id'].startsWith(`W-${tag}-`);
  };
