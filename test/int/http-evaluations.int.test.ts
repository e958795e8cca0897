import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Harness,
  TOKENS,
  TOKENS_ENV,
  assertProblem,
  completed,
  dataOf,
  entered,
  left,
  registered,
  type Json,
} from './http-helpers.js';

const CLASSIFIED = 'client_webinar_attendance_classified';

interface Evaluations {
  webinar_id: string;
  evaluations: Json[];
}

/** GET /v1/webinars/:webinar_id/evaluations: the recorded evaluation requests (SPEC §6), oldest first. */
describe('HTTP recorded evaluations', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  it('§6: lists each evaluation of the webinar, and attended=false names the first one as its causationid', async () => {
    const absent = { lead: 'L-absent', webinar: 'W-eval' };
    const present = { lead: 'L-present', webinar: 'W-eval' };
    await h.accept(
      registered(absent),
      entered(absent, 'S-absent'),
      left(absent, 'S-absent'),
      registered(present),
      entered(present, 'S-present'),
      completed(present, 'S-present'),
    );
    await h.drain();

    const first = await h.evaluate('W-eval');
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(
      first.json<{ classified: Json[] }>().classified.map((c) => [c['lead_id'], c['attended']]),
      [['L-absent', false]],
    );
    const second = await h.evaluate('W-eval');
    assert.equal(second.statusCode, 200, second.body);
    assert.deepEqual(second.json<{ classified: Json[] }>().classified, [], 'evaluating again adds nothing');
    // Another webinar's evaluation is not listed under W-eval.
    assert.equal((await h.evaluate('W-other')).statusCode, 200);

    const body = await h.read<Evaluations>('/v1/webinars/W-eval/evaluations');
    assert.equal(body.webinar_id, 'W-eval');
    assert.equal(body.evaluations.length, 2, JSON.stringify(body));
    for (const e of body.evaluations) {
      assert.deepEqual(Object.keys(e).sort(), [
        'at_position',
        'id',
        'requested_at',
        'requester',
        'webinar_id',
      ]);
      assert.equal(e['webinar_id'], 'W-eval');
      assert.equal(typeof e['id'], 'string');
      assert.ok(String(e['id']).length > 0);
      assert.match(String(e['requester']), /^http:/, 'the requester is recorded');
      assert.ok(!Number.isNaN(Date.parse(String(e['requested_at']))), String(e['requested_at']));
      assert.ok(Number.isInteger(e['at_position']));
    }
    const [a, b] = body.evaluations as [Json, Json];
    assert.notEqual(a['id'], b['id']);
    assert.ok(String(a['requested_at']) <= String(b['requested_at']), 'oldest first');
    assert.ok(Number(a['at_position']) <= Number(b['at_position']), 'oldest first');
    // The second saw the classification the first appended.
    assert.ok(Number(b['at_position']) > Number(a['at_position']));

    const classifications = (await h.feed(CLASSIFIED)).filter((e) => dataOf(e)['webinar_id'] === 'W-eval');
    const notAttended = classifications.filter((e) => dataOf(e)['attended'] === false);
    assert.equal(notAttended.length, 1, JSON.stringify(classifications));
    assert.equal(dataOf(notAttended[0]!)['lead_id'], 'L-absent');
    assert.equal(notAttended[0]!['causationid'], a['id'], 'the causationid is the first evaluation');
    const attended = classifications.filter((e) => dataOf(e)['attended'] === true);
    assert.equal(attended.length, 1);
    assert.ok(
      !body.evaluations.some((e) => e['id'] === attended[0]!['causationid']),
      'attended=true comes from the completion, not an evaluation',
    );
  });

  it('a webinar never evaluated has no evaluations (200, not 404)', async () => {
    assert.deepEqual(await h.read<Evaluations>('/v1/webinars/W-never/evaluations'), {
      webinar_id: 'W-never',
      evaluations: [],
    });
  });

  it('§7: an empty or over-long webinar id is a 400 problem', async () => {
    assertProblem(await h.get('/v1/webinars//evaluations'), 400, 'INVALID_REQUEST');
    assertProblem(await h.get(`/v1/webinars/${'w'.repeat(257)}/evaluations`), 400, 'INVALID_REQUEST');
  });

  it('is in the OpenAPI document with a summary', async () => {
    const openapi = await h.read<{ paths: Record<string, Record<string, Json>> }>('/v1/openapi.json');
    const path = openapi.paths['/v1/webinars/{webinar_id}/evaluations'];
    assert.ok(path?.['get'], 'GET /v1/webinars/{webinar_id}/evaluations missing from the OpenAPI document');
    assert.equal(typeof path['get']['summary'], 'string');
  });
});

describe('HTTP recorded evaluations with tokens', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ env: { WEBINAR_EVENTS_TOKENS: TOKENS_ENV } });
  });
  after(() => h.close());

  it('§7 security: 401 without a token, 403 with ingest, 200 with read or admin', async () => {
    const url = '/v1/webinars/W-auth/evaluations';
    const none = await h.get(url, { token: null });
    assertProblem(none, 401, 'UNAUTHENTICATED');
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assertProblem(await h.get(url, { token: 'not-a-configured-token-at-all' }), 401, 'UNAUTHENTICATED');
    assertProblem(await h.get(url, { token: TOKENS.ingest }), 403, 'FORBIDDEN');

    assert.equal((await h.evaluate('W-auth', { token: TOKENS.admin })).statusCode, 200);
    for (const token of [TOKENS.read, TOKENS.admin]) {
      const body = await h.read<Evaluations>(url, { token });
      assert.equal(body.evaluations.length, 1, JSON.stringify(body));
      assert.match(
        String(body.evaluations[0]!['requester']),
        /^http:.*admin/,
        'the requester names the scope',
      );
    }
  });
});

/** GET /v1/webinars: the webinars with leads, each with its report totals and the leads awaiting evaluation. */
describe('HTTP list of webinars', () => {
  it('pages the webinars in webinar_id order, with their totals; needs the read scope', async () => {
    const h = await Harness.start({ env: { WEBINAR_EVENTS_TOKENS: TOKENS_ENV }, token: TOKENS.admin });
    try {
      const waiting = { lead: 'L-w', webinar: 'W-list-2' };
      const done = { lead: 'L-d', webinar: 'W-list-1' };
      await h.accept(
        registered(done),
        entered(done, 'S-d'),
        completed(done, 'S-d'),
        registered(waiting),
        entered(waiting, 'S-w'),
        registered({ lead: 'L-x', webinar: 'W-list-3' }),
      );
      const first = await h.read<{ webinars: Json[]; next: string | null }>('/v1/webinars?limit=2');
      assert.deepEqual(
        first.webinars.map((w) => [w['webinar_id'], w['attended'], w['awaiting_evaluation']]),
        [
          ['W-list-1', 1, 0],
          ['W-list-2', 0, 1],
        ],
      );
      assert.equal(first.next, 'W-list-2');
      const second = await h.read<{ webinars: Json[]; next: string | null }>(
        `/v1/webinars?limit=2&after=${first.next}`,
      );
      assert.deepEqual(second, {
        webinars: [
          {
            webinar_id: 'W-list-3',
            registered: 1,
            entered: 0,
            completed: 0,
            attended: 0,
            not_attended: 0,
            unclassified: 1,
            awaiting_evaluation: 0,
          },
        ],
        next: null,
      });
      assertProblem(await h.get('/v1/webinars', { token: TOKENS.ingest }), 403, 'FORBIDDEN');
      assertProblem(await h.get('/v1/webinars?limit=0'), 400, 'INVALID_REQUEST');
    } finally {
      await h.close();
    }
  });
});
