import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { classificationId } from '../../src/attendance/index.js';
import { routeId } from '../../src/routing/index.js';
import {
  Harness,
  completed,
  dataOf,
  entered,
  left,
  registered,
  warningsOf,
  type Json,
} from './http-helpers.js';

const CLASSIFIED = 'client_webinar_attendance_classified';
const ROUTE = 'post_webinar_route';
const CLASSIFIER_SOURCE = 'webinar-events/attendance-classifier';
const ROUTER_SOURCE = 'webinar-events/post-webinar-routing';

interface Report {
  webinar_id: string;
  totals: Record<string, number>;
  leads: Json[];
  next: string | null;
}

/** The attendance story over HTTP (SPEC §1, §4, §5, §7), on a real SQLite file. */
describe('HTTP attendance story', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  const derivedOf = async (type: string, webinar: string, lead: string): Promise<Json[]> =>
    (await h.feed(type)).filter((e) => dataOf(e)['webinar_id'] === webinar && dataOf(e)['lead_id'] === lead);

  it('§4/§5: the first completed emits attended=true at once, and its route is attended', async () => {
    const w = { lead: 'L-story', webinar: 'W-story' };
    const [reg, ent, lft, done] = await h.accept(
      registered(w),
      entered(w, 'S-story'),
      left(w, 'S-story'),
      completed(w, 'S-story', { id: 'done-story' }),
    );
    for (const verdict of [reg, ent, lft, done]) {
      assert.equal(verdict!['status'], 'accepted');
      assert.deepEqual(warningsOf(verdict!), [], JSON.stringify(verdict));
    }
    await h.drain();

    const [classification, ...more] = await derivedOf(CLASSIFIED, 'W-story', 'L-story');
    assert.deepEqual(more, []);
    assert.ok(classification);
    assert.equal(classification['id'], classificationId('L-story', 'W-story', true));
    assert.equal(classification['source'], CLASSIFIER_SOURCE);
    assert.equal(classification['specversion'], '1.0');
    assert.equal(classification['causationid'], 'done-story');
    assert.ok(Number(classification['position']) > Number(done!['position']));
    assert.ok(!Number.isNaN(Date.parse(String(classification['recordedat']))));
    const data = dataOf(classification);
    assert.deepEqual(Object.keys(data).sort(), ['attended', 'lead_id', 'timestamp', 'webinar_id']);
    assert.equal(data['attended'], true);
    assert.ok(!Number.isNaN(Date.parse(String(data['timestamp']))));

    const [route, ...moreRoutes] = await derivedOf(ROUTE, 'W-story', 'L-story');
    assert.deepEqual(moreRoutes, []);
    assert.ok(route);
    assert.equal(route['id'], routeId(String(classification['id'])));
    assert.equal(route['source'], ROUTER_SOURCE);
    assert.equal(route['causationid'], classification['id']);
    assert.ok(Number(route['position']) > Number(classification['position']));
    assert.ok(typeof route['recordedat'] === 'string');
    assert.deepEqual(dataOf(route), { status: 'attended', ...data });

    const timeline = await h.read<{ events: Json[] }>('/v1/leads/L-story/timeline');
    assert.deepEqual(
      timeline.events.map((e) => e['id']),
      [reg!['id'], ent!['id'], lft!['id'], 'done-story', classification['id'], route['id']],
    );
  });

  it('§4: explicit evaluation classifies attended=false only the leads that entered without completing', async () => {
    const webinar = 'W-eval';
    await h.accept(
      registered({ lead: 'L1', webinar }), // registration only: never classified
      registered({ lead: 'L2', webinar }),
      entered({ lead: 'L2', webinar }, 'S-eval-2'), // entered, not completed: false
      registered({ lead: 'L3', webinar }),
      entered({ lead: 'L3', webinar }, 'S-eval-3'),
      completed({ lead: 'L3', webinar }, 'S-eval-3'), // completed: already true
      entered({ lead: 'L4', webinar }, 'S-eval-4'), // entered without registration: false
      left({ lead: 'L4', webinar }, 'S-eval-4'),
    );
    await h.drain();

    const response = await h.evaluate(webinar);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{ webinar_id: string; classified: Json[] }>();
    assert.equal(body.webinar_id, webinar);
    assert.deepEqual(
      body.classified.map((c) => [c['lead_id'], c['attended']]),
      [
        ['L2', false],
        ['L4', false],
      ],
    );
    for (const c of body.classified) assert.ok(!Number.isNaN(Date.parse(String(c['timestamp']))));

    await h.drain();
    const l2 = await derivedOf(CLASSIFIED, webinar, 'L2');
    assert.equal(l2.length, 1);
    assert.equal(l2[0]!['id'], classificationId('L2', webinar, false));
    assert.equal(typeof l2[0]!['causationid'], 'string');
    assert.deepEqual(
      (await derivedOf(ROUTE, webinar, 'L2')).map((r) => dataOf(r)['status']),
      ['not_attended'],
    );
    assert.deepEqual(await derivedOf(CLASSIFIED, webinar, 'L1'), []);
  });

  it('§4: evaluating again emits nothing new', async () => {
    const before = (await h.feed()).length;
    const response = await h.evaluate('W-eval');
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json<Json>()['classified'], []);
    await h.drain();
    assert.equal((await h.feed()).length, before);
    // §6: evaluation requests are recorded beside the log (webinar, time, requester).
    const recorded = (await h.runtime.store.evaluations()).filter((e) => e.webinar_id === 'W-eval');
    assert.equal(recorded.length, 2);
    for (const e of recorded) {
      assert.ok(!Number.isNaN(Date.parse(e.requested_at)));
      assert.ok(e.requester.length > 0);
    }
  });

  it('§7: evaluating an unknown webinar gives []', async () => {
    const response = await h.evaluate('W-never-seen');
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json<Json>(), { webinar_id: 'W-never-seen', classified: [] });
  });

  it('§4: a key classified false that later completes is re-classified true (a second route); the report shows the latest', async () => {
    const webinar = 'W-eval';
    await h.accept(completed({ lead: 'L2', webinar }, 'S-eval-2', { id: 'late-done' }));
    await h.drain();
    const classifications = await derivedOf(CLASSIFIED, webinar, 'L2');
    assert.deepEqual(
      classifications.map((c) => dataOf(c)['attended']),
      [false, true],
    );
    assert.equal(classifications[1]!['id'], classificationId('L2', webinar, true));
    assert.equal(classifications[1]!['causationid'], 'late-done');
    const routes = await derivedOf(ROUTE, webinar, 'L2');
    assert.deepEqual(
      routes.map((r) => [dataOf(r)['status'], r['causationid']]),
      [
        ['not_attended', classifications[0]!['id']],
        ['attended', classifications[1]!['id']],
      ],
    );
    const report = await h.read<Report>(`/v1/webinars/${webinar}/attendance`);
    const l2 = report.leads.find((l) => l['lead_id'] === 'L2');
    assert.equal(l2?.['attended'], true);
    assert.equal(l2?.['route'], 'attended');
    assert.equal(l2?.['completions'], 1);
    // A second evaluation never downgrades true.
    assert.deepEqual((await h.evaluate(webinar)).json<Json>()['classified'], []);
  });

  it('§4: an anonymous entry is attributed through its sessionid to the lead of a later event of the session', async () => {
    const webinar = 'W-anon';
    const [entry] = await h.accept(entered({ lead: null, webinar }, 'S-anon', { id: 'anon-entry' }));
    assert.ok(warningsOf(entry!).includes('ANONYMOUS_ENTRY'), JSON.stringify(entry));
    await h.accept(left({ lead: 'L-anon', webinar }, 'S-anon', { id: 'anon-left' }));
    await h.drain();

    const timeline = await h.read<{ events: Json[] }>('/v1/leads/L-anon/timeline');
    assert.deepEqual(
      timeline.events.map((e) => e['id']),
      ['anon-entry', 'anon-left'],
    );
    const report = await h.read<Report>(`/v1/webinars/${webinar}/attendance`);
    assert.equal(report.totals['entered'], 1);
    assert.equal(report.totals['anonymous_entries'], 0);
    assert.equal(report.leads.find((l) => l['lead_id'] === 'L-anon')?.['entries'], 1);
    // An attributed entry without completion is evaluated like any other.
    const evaluation = (await h.evaluate(webinar)).json<{ classified: Json[] }>();
    assert.deepEqual(
      evaluation.classified.map((c) => [c['lead_id'], c['attended']]),
      [['L-anon', false]],
    );
  });

  it('§4: an anonymous entry never attributed is counted in totals.anonymous_entries and never classified', async () => {
    const webinar = 'W-anon2';
    await h.accept(
      entered({ lead: null, webinar }, 'S-lonely'),
      entered({ lead: null, webinar }, undefined),
      registered({ lead: 'L-x', webinar }),
    );
    await h.drain();
    const report = await h.read<Report>(`/v1/webinars/${webinar}/attendance`);
    assert.equal(report.totals['anonymous_entries'], 2);
    assert.equal(report.totals['entered'], 0);
    assert.deepEqual((await h.evaluate(webinar)).json<Json>()['classified'], []);
  });

  it('§7: the report counts leads in totals and pages its leads with limit and next/after', async () => {
    const webinar = 'W-report';
    const S = (n: string): string => `S-rep-${n}`;
    await h.accept(
      registered({ lead: 'R1', webinar }), // registered only: unclassified
      registered({ lead: 'R2', webinar }),
      entered({ lead: 'R2', webinar }, S('2')),
      completed({ lead: 'R2', webinar }, S('2')), // attended
      registered({ lead: 'R3', webinar }),
      entered({ lead: 'R3', webinar }, S('3')), // evaluated: not attended
      entered({ lead: 'R4', webinar }, S('4')), // unregistered, completes after the evaluation
      entered({ lead: null, webinar }, S('x')), // anonymous, never attributed
    );
    await h.drain();
    assert.equal((await h.evaluate(webinar)).statusCode, 200);
    await h.accept(completed({ lead: 'R4', webinar }, S('4')));
    await h.drain();

    const page1 = await h.read<Report>(`/v1/webinars/${webinar}/attendance?limit=2`);
    assert.equal(page1.webinar_id, webinar);
    assert.deepEqual(page1.totals, {
      registered: 3,
      entered: 3,
      completed: 2,
      attended: 2,
      not_attended: 1,
      unclassified: 1,
      anonymous_entries: 1,
      // Events carrying each warning: R4's entry and completion (no registration), the anonymous entry.
      warnings: { NO_PRIOR_REGISTRATION: 2, ANONYMOUS_ENTRY: 1 },
    });
    assert.deepEqual(
      page1.leads.map((l) => l['lead_id']),
      ['R1', 'R2'],
    );
    assert.equal(typeof page1.next, 'string');
    const page2 = await h.read<Report>(
      `/v1/webinars/${webinar}/attendance?limit=2&after=${encodeURIComponent(page1.next!)}`,
    );
    assert.deepEqual(
      page2.leads.map((l) => l['lead_id']),
      ['R3', 'R4'],
    );
    assert.equal(page2.next, null);
    assert.deepEqual(page2.totals, page1.totals);

    const byLead = new Map([...page1.leads, ...page2.leads].map((l) => [l['lead_id'], l]));
    assert.deepEqual(
      [...byLead.values()].map((l) => [
        l['lead_id'],
        l['registered'],
        l['entries'],
        l['attended'],
        l['route'],
      ]),
      [
        ['R1', true, 0, null, null],
        ['R2', true, 1, true, 'attended'],
        ['R3', true, 1, false, 'not_attended'],
        ['R4', false, 1, true, 'attended'],
      ],
    );
    assert.equal(byLead.get('R2')?.['completions'], 1);
    assert.equal(typeof byLead.get('R3')?.['classified_at'], 'string');
    assert.equal(byLead.get('R1')?.['classified_at'], null);
    // SPEC §3: the warnings are in the report, per lead too (over HTTP: the response schema keeps them).
    assert.deepEqual(byLead.get('R4')?.['warnings'], { NO_PRIOR_REGISTRATION: 2 });
    assert.deepEqual(byLead.get('R2')?.['warnings'], {});
  });

  it("§7: the timeline lists the lead's events in order with their warnings, optionally for one webinar", async () => {
    const a = { lead: 'L-time', webinar: 'W-time-a' };
    const b = { lead: 'L-time', webinar: 'W-time-b' };
    const [early] = await h.accept(left(a, 'S-time', { id: 't-left' })); // before entry and registration
    assert.deepEqual(warningsOf(early!).sort(), ['NO_PRIOR_ENTRY', 'NO_PRIOR_REGISTRATION']);
    await h.accept(
      registered(a, { id: 't-reg-a' }),
      registered(b, { id: 't-reg-b' }),
      entered(a, 'S-time', { id: 't-entry' }),
    );
    await h.drain();

    const all = await h.read<{ lead_id: string; events: Json[] }>('/v1/leads/L-time/timeline');
    assert.equal(all.lead_id, 'L-time');
    const clientEvents = all.events.filter((e) => !String(e['source']).startsWith('webinar-events/'));
    assert.deepEqual(
      clientEvents.map((e) => e['id']),
      ['t-left', 't-reg-a', 't-reg-b', 't-entry'],
    );
    const positions = all.events.map((e) => Number(e['position']));
    assert.deepEqual(
      positions,
      [...positions].sort((x, y) => x - y),
    );
    assert.deepEqual(warningsOf(clientEvents[0]!).sort(), ['NO_PRIOR_ENTRY', 'NO_PRIOR_REGISTRATION']);
    assert.equal(clientEvents[1]!['warnings'], undefined);
    assert.equal(clientEvents[3]!['sessionid'], 'S-time'); // extensions are returned verbatim

    const onlyB = await h.read<{ webinar_id: string; events: Json[] }>(
      '/v1/leads/L-time/timeline?webinar_id=W-time-b',
    );
    assert.equal(onlyB.webinar_id, 'W-time-b');
    assert.deepEqual(
      onlyB.events.map((e) => e['id']),
      ['t-reg-b'],
    );
    assert.deepEqual((await h.read<{ events: Json[] }>('/v1/leads/L-nobody/timeline')).events, []);
  });

  it('§7: the feed pages with after/limit, filters by type, and next continues it', async () => {
    const all = await h.feed();
    assert.ok(all.length > 10);
    // One global, gap-free order over everything stored (§6).
    assert.deepEqual(
      all.map((e) => e['position']),
      all.map((_, i) => i + 1),
    );
    const page1 = await h.read<{ events: Json[]; next: number }>('/v1/events?limit=3');
    assert.deepEqual(page1.events, all.slice(0, 3));
    assert.equal(page1.next, all[2]!['position']);
    const page2 = await h.read<{ events: Json[]; next: number }>(`/v1/events?limit=4&after=${page1.next}`);
    assert.deepEqual(page2.events, all.slice(3, 7));
    assert.equal(page2.next, all[6]!['position']);

    const end = all.length;
    const tail = await h.read<{ events: Json[]; next: number }>(`/v1/events?after=${end}`);
    assert.deepEqual(tail, { events: [], next: end });

    const routes = await h.read<{ events: Json[]; next: number }>(`/v1/events?type=${ROUTE}&limit=2`);
    assert.equal(routes.events.length, 2);
    assert.ok(routes.events.every((e) => e['type'] === ROUTE));
    assert.deepEqual(routes.events, all.filter((e) => e['type'] === ROUTE).slice(0, 2));
    const more = await h.read<{ events: Json[] }>(`/v1/events?type=${ROUTE}&after=${routes.next}`);
    assert.deepEqual(more.events, all.filter((e) => e['type'] === ROUTE).slice(2));
    for (const e of all) {
      assert.equal(typeof e['recordedat'], 'string');
      assert.equal(typeof e['position'], 'number');
    }
    assert.equal((await h.get('/v1/events?type=nope')).statusCode, 400);
    assert.equal((await h.get('/v1/events?limit=0')).statusCode, 400);
  });
});
