import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { ingestBatch, judgeValue } from '../../src/pipeline/index.js';
import { streamRoutes } from '../../src/http/stream-routes.js';
import { LiveServer, type Json } from '../e2e/live-server.js';
import { SseClient, eventOf, type SseMessage } from '../e2e/sse-client.js';
import { TOKENS, TOKENS_ENV, completed, entered, registered } from './http-helpers.js';

const CLASSIFIED = 'client_webinar_attendance_classified';
const ROUTE = 'post_webinar_route';

const positions = (messages: SseMessage[]): number[] => messages.map((m) => Number(m.id));
const dataOf = (message: SseMessage): Json => eventOf(message)['data'] as Json;

async function head(server: LiveServer): Promise<number> {
  return server.runtime.store.head();
}

async function accept(server: LiveServer, ...events: Json[]): Promise<number[]> {
  const out: number[] = [];
  for (const event of events) {
    const { status, body } = await server.post(event);
    assert.equal(status, 202, JSON.stringify(body));
    out.push(Number(body['position']));
  }
  return out;
}

async function streamClients(server: LiveServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = /^webinar_events_stream_clients (\d+)/m.exec(text);
  return match === null ? -1 : Number(match[1]);
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** GET /v1/stream (SPEC §7 / the console issue): SSE of newly stored events, resumable and filterable. */
describe('GET /v1/stream', () => {
  let server: LiveServer;
  const open: SseClient[] = [];
  const stream = async (query = '', headers: Record<string, string> = {}): Promise<SseClient> => {
    const client = await SseClient.open(`${server.url}/v1/stream${query}`, headers);
    open.push(client);
    return client;
  };
  before(async () => {
    server = await LiveServer.start();
  });
  after(async () => {
    for (const client of open) client.close();
    await server.close();
  });

  it('is text/event-stream, starts at the head, and sends id = position, event = type, data = the CloudEvent', async () => {
    const w = { lead: 'L-head', webinar: 'W-head' };
    await accept(server, registered(w));
    const client = await stream();
    assert.equal(client.response.status, 200);
    assert.match(String(client.response.headers.get('content-type')), /^text\/event-stream/);
    assert.match(String(client.response.headers.get('cache-control')), /no-cache/);
    await client.until(() => client.comments.length > 0, 5000, 'the opening comment');
    const [position] = await accept(server, entered(w, 'S-head', { id: 'head-entry' }));
    const [message] = await client.take(1);
    assert.equal(message!.id, String(position), 'only events stored after connecting');
    assert.equal(message!.event, 'client_webinar_entered');
    const event = eventOf(message!);
    assert.equal(event['id'], 'head-entry');
    assert.equal(event['position'], position);
    assert.equal(event['specversion'], '1.0');
    assert.equal(typeof event['recordedat'], 'string');
    assert.deepEqual(dataOf(message!), {
      lead_id: 'L-head',
      webinar_id: 'W-head',
      timestamp: dataOf(message!)['timestamp'],
    });
    assert.deepEqual(await client.drainFor(300), []);
    client.close();
  });

  it('streams derived events (classification and route) with the client ones, in log order', async () => {
    const start = await head(server);
    const client = await stream(`?after=${start}`);
    const w = { lead: 'L-derived', webinar: 'W-derived' };
    await accept(server, registered(w), entered(w, 'S-d'), completed(w, 'S-d'));
    await server.drain();
    const messages = await client.take(5);
    assert.deepEqual(
      messages.map((m) => m.event),
      ['client_webinar_registered', 'client_webinar_entered', 'client_webinar_completed', CLASSIFIED, ROUTE],
    );
    assert.deepEqual(
      positions(messages),
      [1, 2, 3, 4, 5].map((i) => start + i),
    );
    assert.equal(dataOf(messages[3]!)['attended'], true);
    assert.equal(dataOf(messages[4]!)['status'], 'attended');
    client.close();
  });

  it('filters by type (one or several), webinar_id and lead_id on the server', async () => {
    const start = await head(server);
    const byType = await stream(`?after=${start}&type=client_webinar_entered`);
    const byTypes = await stream(`?after=${start}&type=client_webinar_registered,${ROUTE}`);
    const byWebinar = await stream(`?after=${start}&webinar_id=W-f2`);
    const byLead = await stream(`?after=${start}&lead_id=L-f1&webinar_id=W-f1`);
    const a = { lead: 'L-f1', webinar: 'W-f1' };
    const b = { lead: 'L-f2', webinar: 'W-f2' };
    await accept(
      server,
      registered(a),
      registered(b),
      entered(a, 'S-f1'),
      entered(b, 'S-f2'),
      completed(b, 'S-f2'),
    );
    await server.drain();

    const entries = await byType.take(2);
    assert.ok(entries.every((m) => m.event === 'client_webinar_entered'));
    assert.deepEqual(
      entries.map((m) => dataOf(m)['lead_id']),
      ['L-f1', 'L-f2'],
    );
    const several = await byTypes.take(3);
    assert.deepEqual(
      several.map((m) => m.event),
      ['client_webinar_registered', 'client_webinar_registered', ROUTE],
    );
    const webinar = await byWebinar.take(5);
    assert.ok(webinar.every((m) => dataOf(m)['webinar_id'] === 'W-f2'));
    assert.deepEqual(
      webinar.map((m) => m.event),
      ['client_webinar_registered', 'client_webinar_entered', 'client_webinar_completed', CLASSIFIED, ROUTE],
    );
    const lead = await byLead.take(2);
    assert.ok(lead.every((m) => dataOf(m)['lead_id'] === 'L-f1'));
    // Every event of the story has been sent by now (each stream saw its last one above); give anything else that
    // passes a filter time to arrive before closing.
    const extra = await Promise.all(
      [byType, byTypes, byWebinar, byLead].map((client) => client.drainFor(300)),
    );
    assert.deepEqual(extra, [[], [], [], []], 'nothing else passes the filters');
    for (const client of [byType, byTypes, byWebinar, byLead]) client.close();
  });

  it('survives reconnects with Last-Event-ID: every event exactly once, in order, while events keep coming', async () => {
    const start = await head(server);
    const received: SseMessage[] = [];
    // Events are posted while the client reads, drops the connection and resumes, three times.
    const total = 60;
    const posting = (async () => {
      for (let i = 0; i < total; i++) {
        const w = { lead: `L-r${i % 7}`, webinar: 'W-reconnect' };
        await accept(server, i % 7 === i ? registered(w) : entered(w, `S-r${i}`));
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 15));
      }
    })();
    let client = await stream(`?after=${start}`);
    for (let round = 0; round < 3; round++) {
      received.push(...(await client.take(8, 10_000)));
      client.close();
      await new Promise((r) => setTimeout(r, 40)); // events stored while disconnected must not be lost
      // A browser resumes with the same URL plus Last-Event-ID; the header wins over `after`.
      client = await stream(`?after=${start}`, { 'last-event-id': received[received.length - 1]!.id! });
    }
    await posting;
    await server.drain();
    const end = await head(server);
    await client.until(
      () => client.messages.length > 0 && Number(client.messages[client.messages.length - 1]!.id) >= end,
      10_000,
      `position ${end}`,
    );
    received.push(...(await client.drainFor(200)));
    client.close();
    const got = positions(received);
    const expected = Array.from({ length: end - start }, (_, i) => start + 1 + i);
    assert.deepEqual(got, expected, 'no event lost, none repeated');
  });

  it('resumes with ?after= for clients that cannot set headers', async () => {
    const start = await head(server);
    const w = { lead: 'L-after', webinar: 'W-after' };
    const [p1, p2] = await accept(server, registered(w), entered(w, 'S-after'));
    const client = await stream(`?after=${p1}`);
    const [message] = await client.take(1);
    assert.equal(Number(message!.id), p2);
    assert.ok(p1! > start);
    client.close();
  });

  it('tail=N starts N positions before the head', async () => {
    const end = await head(server);
    const client = await stream('?tail=3');
    const messages = await client.take(3);
    assert.deepEqual(positions(messages), [end - 2, end - 1, end]);
    assert.deepEqual(await client.drainFor(200), []);
    client.close();
  });

  it('sees events appended by another writer (no in-process notification): it polls the store', async () => {
    const client = await stream();
    await client.until(() => client.comments.length > 0, 5000, 'the opening comment');
    // Straight into the store, as a worker process would: nothing rings the in-process notifier.
    const [verdict] = await ingestBatch(
      server.runtime.store,
      [judgeValue(registered({ lead: 'L-other', webinar: 'W-other' }))],
      { forms: server.runtime.forms, origin: 'test' },
    );
    assert.equal(verdict!.status, 'accepted');
    const [message] = await client.take(1, 3000);
    assert.equal(dataOf(message!)['lead_id'], 'L-other');
    client.close();
  });

  it('answers 400 for an unknown type, a bad Last-Event-ID or a bad position', async () => {
    for (const [query, headers] of [
      ['?type=client_webinar_bogus', {}],
      ['?type=client_webinar_entered,nope', {}],
      ['', { 'last-event-id': 'abc' }],
      ['?after=-1', {}],
    ] as Array<[string, Record<string, string>]>) {
      const response = await fetch(`${server.url}/v1/stream${query}`, { headers });
      assert.equal(response.status, 400, `${query} ${JSON.stringify(headers)}`);
      assert.match(String(response.headers.get('content-type')), /problem\+json/);
      await response.body?.cancel();
    }
  });

  it('cleans up when the client disconnects, and the server closes with streams open', async () => {
    const clients = await Promise.all([stream(), stream(), stream()]);
    await eventually(async () => (await streamClients(server)) >= 3, 3000, 'three open streams');
    for (const c of clients) c.close();
    await eventually(async () => (await streamClients(server)) === 0, 3000, 'no open stream');

    const other = await LiveServer.start();
    const client = await SseClient.open(`${other.url}/v1/stream`);
    await client.until(() => client.comments.length > 0, 5000, 'the opening comment');
    const started = Date.now();
    await other.close({ graceful: true });
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
    await client.until(() => false, 3000, 'the end').catch((e: Error) => assert.match(e.message, /ended/));
  });
});

describe('GET /v1/stream with tokens', () => {
  let server: LiveServer;
  before(async () => {
    server = await LiveServer.start({ WEBINAR_EVENTS_TOKENS: TOKENS_ENV });
  });
  after(() => server.close());

  it('needs a read (or admin) bearer token in the Authorization header', async () => {
    const anonymous = await fetch(`${server.url}/v1/stream`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    // A token is taken from the Authorization header only, never from the URL.
    const inUrl = await fetch(`${server.url}/v1/stream?token=${TOKENS.admin}`);
    assert.ok([400, 401].includes(inUrl.status), String(inUrl.status));
    await inUrl.body?.cancel();
    const ingest = await fetch(`${server.url}/v1/stream`, {
      headers: { authorization: `Bearer ${TOKENS.ingest}` },
    });
    assert.equal(ingest.status, 403);
    await ingest.body?.cancel();
    for (const token of [TOKENS.read, TOKENS.admin]) {
      const client = await SseClient.open(`${server.url}/v1/stream`, { authorization: `Bearer ${token}` });
      assert.equal(client.response.status, 200);
      await client.until(() => client.comments.length > 0, 5000, 'the opening comment');
      const { status } = await server.post(
        registered({ lead: `L-${token.slice(0, 4)}`, webinar: 'W-tok' }),
        TOKENS.ingest,
      );
      assert.equal(status, 202);
      const [message] = await client.take(1);
      assert.equal(message!.event, 'client_webinar_registered');
      client.close();
    }
  });
});

describe('stream heartbeat', () => {
  it('sends a comment every heartbeat interval on an idle stream', async () => {
    const server = await LiveServer.start();
    const app = Fastify();
    streamRoutes(app, server.runtime.httpContext(), { heartbeatMs: 50, pollMs: 20 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const client = await SseClient.open(`http://127.0.0.1:${port}/v1/stream`);
    try {
      await client.until(
        () => client.comments.filter((c) => c.startsWith('heartbeat')).length >= 2,
        3000,
        'two heartbeats',
      );
    } finally {
      client.close();
      await app.close();
      await server.close();
    }
  });
});
