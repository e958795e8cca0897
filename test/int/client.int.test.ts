import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from './process-helpers.js';
import { ServerProcess, readWholeLog } from './server-process.js';
// Through the package's own subpath export, as a user imports it.
import {
  ContractViolation,
  createClient,
  type Delivery,
  type DeliveryError,
  type FetchLike,
  type Rejection,
} from 'webinar-events/client';

/**
 * The producer SDK against the real embedded server (`webinar-events serve`, SQLite), started as a child process.
 * Nothing is faked: the only wrapper around fetch (in the crash test) watches the requests to time a SIGKILL.
 */

const INGEST_TOKEN = 'ingest-token-0123456789';
const READ_TOKEN = 'read-token-0123456789ab';

type StoredEvent = Record<string, unknown> & {
  id: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
};

/** The whole log as the client tests read it: the events with their envelope attributes typed. */
async function storedLog(
  server: ServerProcess,
  headers: Record<string, string> = {},
): Promise<StoredEvent[]> {
  return (await readWholeLog(server.url, headers)) as StoredEvent[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'webinar-events-client-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('client against the real server: a participation story', () => {
  let server: ServerProcess;
  before(async () => {
    server = new ServerProcess(await freePort(), ['--db', join(dir, 'story.sqlite')], {
      WEBINAR_EVENTS_TOKENS: `ingest:${INGEST_TOKEN},read:${READ_TOKEN}`,
    });
    await server.start();
  });
  after(() => server.stop());

  it('arrives complete, in order, once, with the bearer token; the lead is classified attended', async () => {
    const rejections: Rejection[] = [];
    const deliveries: Delivery[] = [];
    const errors: DeliveryError[] = [];
    const client = createClient({
      endpoint: server.url,
      source: '/webinar-room',
      token: INGEST_TOKEN,
      batchSize: 3,
      flushIntervalMs: 20,
      onRejected: (r) => rejections.push(r),
      onDelivered: (d) => deliveries.push(...d),
      onError: (e) => errors.push(e),
    });
    const now = new Date().toISOString();
    const ids = [
      client.registered({
        lead_id: 'L-story',
        webinar_id: 'W-story',
        webinar_type: 'live',
        slot_id: 'slot-19h',
        registered_at: now,
        source: 'landing/spring',
      }),
    ];
    const session = client.session({ lead_id: 'L-story', webinar_id: 'W-story', webinar_type: 'live' });
    ids.push(session.entered());
    ids.push(session.left({ leave_reason: 'network_loss' }));
    // back after a network loss: a new participation session
    const again = client.session({ lead_id: 'L-story', webinar_id: 'W-story', webinar_type: 'live' });
    ids.push(again.entered());
    ids.push(again.completed());
    ids.push(again.left({ leave_reason: 'session_end' }));
    ids.push(again.formSubmitted({ form_id: 'feedback', form_payload: { rating: 5, comment: 'спасибо' } }));
    // a viewer who logs in only after entering
    const anonymous = client.session({ webinar_id: 'W-story', webinar_type: 'live' });
    ids.push(anonymous.entered());
    ids.push(anonymous.identify('L-late').left({ leave_reason: 'user_exit' }));

    assert.deepEqual(await client.close(), { undelivered: [], givenUp: 0 });
    assert.deepEqual(rejections, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      deliveries.map((d) => [d.id, d.status]),
      ids.map((id) => [id, 'accepted']),
    );

    const auth = { authorization: `Bearer ${READ_TOKEN}` };
    const log = await storedLog(server, auth);
    const mine = log.filter((e) => e.source === '/webinar-room');
    assert.deepEqual(
      mine.map((e) => e.id),
      ids,
      'every event once, in emission order',
    );
    assert.deepEqual(
      mine.map((e) => e.type.replace('client_webinar_', '')),
      ['registered', 'entered', 'left', 'entered', 'completed', 'left', 'form_submitted', 'entered', 'left'],
    );
    assert.equal(mine[1]!['sessionid'], session.id);
    assert.equal(mine[2]!.data['session_id'], session.id);
    for (const e of mine.slice(3, 7)) assert.equal(e['sessionid'] ?? e.data['session_id'], again.id);
    assert.notEqual(session.id, again.id);
    assert.equal(mine[7]!['sessionid'], anonymous.id);
    assert.equal(mine[7]!.data['lead_id'], undefined);
    assert.equal(mine[8]!.data['lead_id'], 'L-late');
    assert.deepEqual(mine[6]!.data['form_payload'], { rating: 5, comment: 'спасибо' });
    assert.equal(mine[0]!.data['slot_id'], 'slot-19h');

    // the service did its part: the completion classified the lead as attended, and routed it
    const deadline = Date.now() + 5_000;
    let derived: StoredEvent[] = [];
    while (Date.now() < deadline) {
      derived = (await storedLog(server, auth)).filter((e) => e.source !== '/webinar-room');
      if (derived.length >= 2) break;
      await sleep(50);
    }
    const classified = derived.find((e) => e.type === 'client_webinar_attendance_classified');
    assert.equal(classified?.data['lead_id'], 'L-story');
    assert.equal(classified?.data['attended'], true);
    assert.equal(derived.find((e) => e.type === 'post_webinar_route')?.data['status'], 'attended');
  });

  it('refuses locally what the server refuses, with the same codes; emission rules come back as rejections', async () => {
    const rejections: Rejection[] = [];
    const client = createClient({
      endpoint: server.url,
      source: '/webinar-room',
      token: () => INGEST_TOKEN,
      onRejected: (r) => rejections.push(r),
    });
    const bad = {
      lead_id: 'L-bad',
      webinar_id: 'W-story',
      webinar_type: 'auto',
      slot_id: 'slot',
      registered_at: '2026-11-26 10:00',
      source: 'landing',
      utm: 'x',
    };
    let local: ContractViolation | undefined;
    try {
      client.registered(bad as never);
    } catch (error) {
      local = error as ContractViolation;
    }
    assert.ok(local instanceof ContractViolation);
    const response = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${INGEST_TOKEN}` },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'raw-1',
        source: '/raw',
        type: 'client_webinar_registered',
        data: bad,
      }),
    });
    assert.equal(response.status, 422);
    const problem = (await response.json()) as { errors: Array<{ code: string; path: string }> };
    assert.deepEqual(
      local.errors.map((e) => [e.code, e.path]),
      problem.errors.map((e) => [e.code, e.path]),
    );
    assert.deepEqual([...new Set(local.errors.map((e) => e.code))].sort(), [
      'INVALID_FIELD',
      'UNKNOWN_FIELD',
    ]);

    // a second registration of the same lead (another id) breaks an emission rule only the server sees
    const registration = {
      lead_id: 'L-story',
      webinar_id: 'W-story',
      webinar_type: 'live',
      registered_at: new Date().toISOString(),
      source: 'landing',
    } as const;
    const id = client.registered(registration);
    await client.close();
    assert.equal(rejections.length, 1);
    assert.equal(rejections[0]!.id, id);
    assert.deepEqual(
      rejections[0]!.errors.map((e) => e.code),
      ['ALREADY_REGISTERED'],
    );
  });

  it('a missing or wrong token is reported, not retried', async () => {
    for (const token of [undefined, 'not-the-ingest-token', READ_TOKEN]) {
      const errors: DeliveryError[] = [];
      const client = createClient({
        endpoint: server.url,
        source: '/webinar-room',
        token,
        onError: (e) => errors.push(e),
      });
      client.entered({ webinar_id: 'W-story', timestamp: new Date().toISOString() });
      await client.close();
      assert.deepEqual(
        errors.map((e) => [e.status, e.willRetry, e.events.length]),
        [[token === READ_TOKEN ? 403 : 401, false, 1]],
        String(token),
      );
    }
  });
});

describe('client against the real server: SIGKILL mid-batch and restart', () => {
  it('retries produce no duplicate and no loss', async () => {
    const server = new ServerProcess(await freePort(), ['--db', join(dir, 'crash.sqlite')]);
    await server.start();
    let restarts: Promise<void> = Promise.resolve();
    let crashes = 0;
    const crash = (): Promise<void> => {
      restarts = restarts.then(async () => {
        await server.kill();
        crashes++;
        await sleep(300);
        await server.start();
      });
      return restarts;
    };

    // Watches the real requests to time two crashes:
    // 1. request 4: the server stores the batch, then dies before the client reads the answer (a lost reply);
    // 2. the 5th request once the server is back: the server dies while that request is in flight.
    let requests = 0;
    let back = Infinity;
    const watched: FetchLike = async (url, init) => {
      const n = ++requests;
      if (n === 4) {
        const response = await globalThis.fetch(url, init);
        assert.equal(response.status, 200);
        await response.text();
        void crash().then(() => (back = requests));
        throw new TypeError('fetch failed: the reply was lost with the server');
      }
      const pending = globalThis.fetch(url, init);
      if (n === back + 5) setTimeout(() => void crash(), 2);
      return pending;
    };

    const deliveries: Delivery[] = [];
    const rejections: Rejection[] = [];
    const retries: DeliveryError[] = [];
    const givenUp: DeliveryError[] = [];
    const client = createClient({
      endpoint: server.url,
      source: '/crash-test',
      fetch: watched,
      batchSize: 25,
      flushIntervalMs: 10,
      retry: { baseMs: 50, maxMs: 400 },
      onDelivered: (d) => deliveries.push(...d),
      onRejected: (r) => rejections.push(r),
      onError: (e) => (e.willRetry ? retries : givenUp).push(e),
    });

    const produced: string[] = [];
    const webinars = ['W-a', 'W-b'] as const;
    for (let i = 0; i < 200; i++) {
      const lead_id = `L-${i}`;
      const webinar_id = webinars[i % 2]!;
      const webinar_type = webinar_id === 'W-a' ? 'live' : 'auto';
      const registered_at = new Date().toISOString();
      produced.push(
        webinar_type === 'live'
          ? client.registered({
              lead_id,
              webinar_id,
              webinar_type,
              slot_id: 's',
              registered_at,
              source: 'lp',
            })
          : client.registered({ lead_id, webinar_id, webinar_type, registered_at, source: 'lp' }),
      );
      const session = client.session({ lead_id, webinar_id, webinar_type });
      produced.push(session.entered());
      if (i % 3 === 0) produced.push(session.completed());
      produced.push(session.left({ leave_reason: i % 2 === 0 ? 'user_exit' : 'session_end' }));
      if (i % 4 === 0)
        produced.push(session.formSubmitted({ form_id: 'nps', form_payload: { score: i % 11 } }));
      if (i % 10 === 9) await sleep(15); // keep producing while the server is down
    }
    await client.flush();
    await restarts;
    assert.deepEqual(await client.close(), { undelivered: [], givenUp: 0 });

    assert.equal(crashes, 2);
    assert.ok(retries.length >= 2, 'the client retried');
    assert.deepEqual(givenUp, []);
    assert.deepEqual(rejections, []);
    const statuses = countBy(deliveries, (d) => d.status);
    assert.ok((statuses.get('duplicate') ?? 0) >= 1, 'the lost reply was retried and deduplicated');
    assert.equal(deliveries.length, produced.length, 'every event delivered once, as accepted or duplicate');

    const stored = (await storedLog(server)).filter((e) => e.source === '/crash-test');
    const counts = countBy(stored, (e) => e.id);
    const twice = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no duplicate');
    assert.deepEqual(
      produced.filter((id) => !counts.has(id)),
      [],
      'no loss',
    );
    assert.equal(stored.length, produced.length);
    await server.stop();
  });
});
