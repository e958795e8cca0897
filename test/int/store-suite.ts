/**
 * The one EventStore suite, run against every adapter (store-sqlite / store-postgres .int.test.ts). It drives the
 * store through the real pipeline, so an adapter passes only if the pipeline behaves the same on it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classificationId } from '../../src/attendance/index.js';
import { CLASSIFIED, ROUTE, type DerivedEvent } from '../../src/contract/index.js';
import {
  EMPTY_FORMS_CATALOG,
  contentHash,
  parseFormsCatalog,
  intakeKeys,
  judgeEvent,
  planIntake,
  type JudgedInput,
  type Verdict,
} from '../../src/intake/index.js';
import {
  CLASSIFIER,
  ROUTER,
  attendanceReport,
  classifyPending,
  drainClassifier,
  drainRouter,
  evaluateAttendance,
  STORED_TEXT_MAX_CHARS,
  ingestBatch,
  judgeText,
  judgeValue,
  unreadableInput,
  webinarList,
  type Clock,
} from '../../src/pipeline/index.js';
import { routeId } from '../../src/routing/index.js';
import type { EventStore, FeedEvent, RejectionFilter } from '../../src/store/port.js';
import { funnelEvents } from './story.js';

export interface StoreHarness {
  /** A store on fresh, empty storage. */
  readonly store: EventStore;
  /** Another store on the same storage: after closing the first, a restart; alongside it, a second instance. */
  reopen(): Promise<EventStore>;
  /** Closes every store the harness opened (closing twice is fine) and deletes the storage. */
  cleanup(): Promise<void>;
  /** Runs one SQL statement on the storage directly (to see or set up rows as an earlier version wrote them). */
  sql(statement: string): Promise<Array<Record<string, unknown>>>;
}

export type OpenStore = () => Promise<StoreHarness>;

/** The migration (SQLite 5, PostgreSQL 4) that records the first submissions of re-submittable forms. */
const FORMS_MIGRATION = 'first submissions of re-submittable forms recorded too';

export async function withStore(open: OpenStore, body: (h: StoreHarness) => Promise<void>): Promise<void> {
  const harness = await open();
  try {
    await body(harness);
  } finally {
    await harness.cleanup();
  }
}

// ---- events -------------------------------------------------------------------------------------------------

const SOURCE = '/suite-room';
export const at = (minute: number): string => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();
type Ev = Record<string, unknown>;
const envelope = (id: string, type: string, data: Ev, extra: Ev = {}): Ev => ({
  specversion: '1.0',
  id,
  source: SOURCE,
  type,
  time: at(0),
  ...extra,
  data,
});

export const registered = (id: string, lead: string, webinar: string, kind = 'live'): Ev =>
  envelope(id, 'client_webinar_registered', {
    lead_id: lead,
    webinar_id: webinar,
    webinar_type: kind,
    registered_at: at(0),
    source: 'landing',
  });
export const entered = (id: string, lead: string | null, webinar: string, session?: string): Ev =>
  envelope(
    id,
    'client_webinar_entered',
    lead === null
      ? { webinar_id: webinar, timestamp: at(1) }
      : { lead_id: lead, webinar_id: webinar, timestamp: at(1) },
    session === undefined ? {} : { sessionid: session },
  );
export const left = (id: string, lead: string, webinar: string, session: string, kind = 'live'): Ev =>
  envelope(id, 'client_webinar_left', {
    lead_id: lead,
    webinar_id: webinar,
    webinar_type: kind,
    session_id: session,
    left_at: at(50),
    leave_reason: 'user_exit',
  });
export const completed = (id: string, lead: string, webinar: string, session: string, kind = 'live'): Ev =>
  envelope(id, 'client_webinar_completed', {
    lead_id: lead,
    webinar_id: webinar,
    webinar_type: kind,
    session_id: session,
    completed_at: at(55),
  });
export const formSubmitted = (id: string, lead: string, webinar: string, session: string, form: string): Ev =>
  envelope(id, 'client_webinar_form_submitted', {
    lead_id: lead,
    webinar_id: webinar,
    webinar_type: 'live',
    session_id: session,
    submitted_at: at(56),
    form_id: form,
    form_payload: { rating: 5, comments: ['great'] },
  });

/** A clock ticking one second per call, so every stored time is known. */
export function tickingClock(): Clock {
  let tick = 0;
  return () => new Date(Date.UTC(2026, 10, 27, 0, 0, tick++)).toISOString();
}

const contentHashOf = (input: Ev): string => {
  const judgement = judgeEvent(input);
  assert.ok(judgement.ok);
  return contentHash(judgement.event);
};

export const judge = (input: Ev | string): JudgedInput =>
  typeof input === 'string' ? judgeText(input) : judgeValue(input);

export function ingest(
  store: EventStore,
  inputs: ReadonlyArray<Ev | string | JudgedInput>,
  clock: Clock = tickingClock(),
): Promise<Verdict[]> {
  const judged = inputs.map((i) =>
    typeof i === 'object' && 'judgement' in i ? (i as JudgedInput) : judge(i),
  );
  return ingestBatch(store, judged, { forms: EMPTY_FORMS_CATALOG, origin: 'suite', clock });
}

export const statuses = (verdicts: readonly Verdict[]): string[] =>
  verdicts.map((v) =>
    v.status === 'rejected' ? `rejected:${v.errors.map((e) => e.code).join('+')}` : v.status,
  );
export const positionOf = (verdict: Verdict | undefined): number | null => {
  assert.ok(verdict !== undefined && verdict.status !== 'rejected', JSON.stringify(verdict));
  return verdict.position;
};

export async function wholeLog(store: EventStore): Promise<FeedEvent[]> {
  const out: FeedEvent[] = [];
  for (;;) {
    const page = await store.readEvents(out.at(-1)?.position ?? 0, 500);
    if (page.length === 0) return out;
    out.push(...page);
  }
}

/** Derived events as SPEC §6 compares replays: ids and payloads without the classification time, in log order. */
export function derivedShape(log: readonly FeedEvent[]): string[] {
  return log
    .filter((e) => String(e.event['source']).startsWith('webinar-events/'))
    .map((e) => {
      const { id, source, type, causationid, data } = e.event as unknown as DerivedEvent;
      const { timestamp: _t, ...rest } = data;
      return JSON.stringify({ id, source, type, causationid, data: rest });
    });
}

/** Every derived event exactly once: classification and route ids unique, one route per classification. */
export function assertDerivedOnce(log: readonly FeedEvent[]): { classifications: number; routes: number } {
  const classifications = log.filter((e) => e.event['type'] === CLASSIFIED).map((e) => e.event);
  const routes = log.filter((e) => e.event['type'] === ROUTE).map((e) => e.event);
  const count = (values: unknown[]): Map<unknown, number> => {
    const counts = new Map<unknown, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return counts;
  };
  for (const [id, n] of count(classifications.map((c) => c['id'])))
    assert.equal(n, 1, `classification ${id}`);
  for (const [id, n] of count(routes.map((r) => r['id']))) assert.equal(n, 1, `route ${id}`);
  const routesOf = count(routes.map((r) => r['causationid']));
  for (const c of classifications) assert.equal(routesOf.get(c['id']), 1, `one route for ${c['id']}`);
  assert.equal(routes.length, classifications.length, 'no route without its classification');
  return { classifications: classifications.length, routes: routes.length };
}

export function assertGapFree(log: readonly FeedEvent[]): void {
  assert.deepEqual(
    log.map((e) => e.position),
    log.map((_, i) => i + 1),
    'positions 1..n without a gap',
  );
  for (const e of log) assert.equal(e.event['position'], e.position);
}

// ---- the suite ----------------------------------------------------------------------------------------------

export function storeSuite(name: string, open: OpenStore): void {
  describe(`EventStore: ${name}`, () => {
    it('gives accepted events positions 1..n, gap-free and in order, across batches', async () => {
      await withStore(open, async ({ store }) => {
        assert.equal(await store.head(), 0);
        const events = funnelEvents(2, 6);
        const accepted: Array<{ id: string; position: number | null }> = [];
        for (let i = 0; i < events.length; i += 7) {
          const batch: Array<Ev | string> = events.slice(i, i + 7);
          batch.splice(2, 0, '{"broken'); // a rejection in the middle takes no position
          for (const v of await ingest(store, batch)) if (v.status === 'accepted') accepted.push(v);
        }
        assert.equal(accepted.length, events.length);
        assert.deepEqual(
          accepted.map((v) => v.position),
          accepted.map((_, i) => i + 1),
        );
        const log = await wholeLog(store);
        assertGapFree(log);
        assert.deepEqual(
          log.map((e) => e.event['id']),
          accepted.map((v) => v.id),
        );
        assert.equal(await store.head(), events.length);
      });
    });

    it('answers a duplicate with the original position, also within one batch', async () => {
      await withStore(open, async ({ store }) => {
        const first = registered('r-1', 'L-1', 'W-1');
        const retry = { ...first, time: at(30) }; // `time` may differ on a retry
        const verdicts = await ingest(store, [first, retry, entered('e-1', 'L-1', 'W-1', 's-1')]);
        assert.deepEqual(statuses(verdicts), ['accepted', 'duplicate', 'accepted']);
        assert.equal(positionOf(verdicts[0]), 1);
        assert.equal(positionOf(verdicts[1]), 1);
        assert.equal(positionOf(verdicts[2]), 2);
        const again = await ingest(store, [entered('e-1', 'L-1', 'W-1', 's-1'), first]);
        assert.deepEqual(
          again.map((v) => [v.status, positionOf(v)]),
          [
            ['duplicate', 2],
            ['duplicate', 1],
          ],
        );
        assert.equal(await store.head(), 2);
        assert.deepEqual(await store.readRejections(0, 10), []);
      });
    });

    it('rejects the same source and id with other content as ID_CONFLICT, and quarantines it', async () => {
      await withStore(open, async ({ store }) => {
        await ingest(store, [registered('r-1', 'L-1', 'W-1')]);
        const conflicting = registered('r-1', 'L-2', 'W-1');
        const otherSource = { ...registered('r-1', 'L-3', 'W-1'), source: '/another-room' };
        const verdicts = await ingest(store, [conflicting, otherSource]);
        assert.deepEqual(statuses(verdicts), ['rejected:ID_CONFLICT', 'accepted']);
        assert.equal(positionOf(verdicts[1]), 2);
        const [rejection, ...rest] = await store.readRejections(0, 10);
        assert.equal(rest.length, 0);
        assert.equal(rejection!.id, 'r-1');
        assert.equal(rejection!.raw, JSON.stringify(conflicting));
        assert.deepEqual(rejection!.errors, verdicts[0]!.status === 'rejected' ? verdicts[0]!.errors : null);
      });
    });

    it('writes no content hash, and tells duplicates from conflicts by the stored envelope', async () => {
      await withStore(open, async ({ store, sql }) => {
        const first = entered('e-1', 'L-1', 'W-1', 's-1');
        await ingest(store, [first, registered('r-1', 'L-1', 'W-1')]);
        assert.deepEqual(await sql('SELECT content_hash FROM events ORDER BY position'), [
          { content_hash: null },
          { content_hash: null },
        ]);
        const reordered = {
          ...first,
          data: Object.fromEntries(Object.entries(first['data'] as Ev).reverse()),
        };
        const again = await ingest(store, [reordered, registered('r-1', 'L-2', 'W-1')]);
        assert.deepEqual(statuses(again), ['duplicate', 'rejected:ID_CONFLICT']);
        // Rows written by earlier versions carry their hash, and it decides: a planted wrong one makes a conflict.
        await sql(`UPDATE events SET content_hash = 'planted' WHERE id = 'e-1'`);
        assert.deepEqual(statuses(await ingest(store, [first])), ['rejected:ID_CONFLICT']);
        await sql(`UPDATE events SET content_hash = '${contentHashOf(first)}' WHERE id = 'e-1'`);
        assert.deepEqual(statuses(await ingest(store, [first])), ['duplicate']);
      });
    });

    it('remembers submissions of a re-submittable form: a catalog that stops allowing it refuses the next', async () => {
      await withStore(open, async ({ store, reopen, sql }) => {
        const catalog = (resubmittable: boolean) =>
          parseFormsCatalog({ forms: { feedback: { resubmittable } } });
        // Sent as text, stored as sent, with what a database's JSON parser reads otherwise than the intake did: a
        // NUL and a lone surrogate in the payload (escapes PostgreSQL refuses), and a duplicate form_id key (the
        // intake, like JSON.parse, takes the last; SQLite's ->> the first).
        const submission = (id: string): string => {
          const event = formSubmitted(id, 'L-1', 'W-1', `s-${id}`, 'feedback');
          const payload = { note: 'a\0b', cut: '\ud83d' };
          const text = JSON.stringify({
            ...event,
            data: { ...(event['data'] as Ev), form_payload: payload },
          });
          return text.replace('"data":{', '"data":{"form_id":"decoy",');
        };
        const submit = (target: EventStore, ids: string[], resubmittable: boolean) =>
          ingestBatch(
            target,
            ids.map((id) => judge(submission(id))),
            {
              forms: catalog(resubmittable),
              origin: 'suite',
              clock: tickingClock(),
            },
          );
        assert.deepEqual(statuses(await submit(store, ['f-1', 'f-2'], true)), ['accepted', 'accepted']);
        assert.deepEqual(await sql('SELECT lead_id, webinar_id, form_id FROM intake_forms'), [
          { lead_id: 'L-1', webinar_id: 'W-1', form_id: 'feedback' },
        ]);
        assert.deepEqual(statuses(await submit(store, ['f-3'], false)), ['rejected:FORM_ALREADY_SUBMITTED']);

        // A store an older version wrote recorded none of them: the migration finds them in the log.
        await sql('DELETE FROM intake_forms');
        await sql(`DELETE FROM schema_migrations WHERE name = '${FORMS_MIGRATION}'`);
        await store.close();
        const again = await reopen();
        assert.equal((await sql('SELECT form_id FROM intake_forms')).length, 1);
        assert.deepEqual(statuses(await submit(again, ['f-4'], false)), ['rejected:FORM_ALREADY_SUBMITTED']);
        assert.deepEqual(statuses(await submit(again, ['f-5'], true)), ['accepted']);
      });
    });

    it('keeps every emission rule across a reopen of the store', async () => {
      await withStore(open, async ({ store, reopen }) => {
        const before = await ingest(store, [
          registered('r-1', 'L-1', 'W-1'),
          entered('e-1', 'L-1', 'W-1', 's-1'),
          formSubmitted('f-1', 'L-1', 'W-1', 's-1', 'feedback'),
          left('l-1', 'L-1', 'W-1', 's-1'),
        ]);
        assert.deepEqual(statuses(before), ['accepted', 'accepted', 'accepted', 'accepted']);
        await store.close();
        const again = await reopen();
        const verdicts = await ingest(again, [
          registered('r-2', 'L-1', 'W-1'),
          entered('e-2', 'L-1', 'W-1', 's-1'),
          left('l-2', 'L-1', 'W-1', 's-1'),
          formSubmitted('f-2', 'L-1', 'W-1', 's-1', 'feedback'),
          registered('r-3', 'L-2', 'W-1', 'auto'),
          left('l-3', 'L-2', 'W-1', 's-1'),
          registered('r-1', 'L-1', 'W-1'),
          completed('c-1', 'L-1', 'W-1', 's-1'),
          entered('e-3', 'L-1', 'W-1', 's-2'),
        ]);
        assert.deepEqual(statuses(verdicts), [
          'rejected:ALREADY_REGISTERED',
          'rejected:REPEATED_IN_SESSION',
          'rejected:REPEATED_IN_SESSION',
          'rejected:FORM_ALREADY_SUBMITTED',
          'rejected:WEBINAR_TYPE_MISMATCH',
          'rejected:SESSION_MISMATCH',
          'duplicate',
          'accepted',
          'accepted',
        ]);
        assert.equal(positionOf(verdicts[6]), 1);
        assert.equal(positionOf(verdicts[7]), 5, 'positions continue after the reopen');
        const completion = verdicts[7]!;
        assert.deepEqual(completion.status === 'accepted' ? completion.warnings : null, []);
        assert.equal((await again.readRejections(0, 100)).length, 6);
        assertGapFree(await wholeLog(again));
      });
    });

    it('keeps rejected inputs raw, with their errors, in submission order', async () => {
      await withStore(open, async ({ store }) => {
        const clock = tickingClock();
        const nulInText = '{"id":"a\u0000b", "broken';
        const nulInId = {
          specversion: '1.0',
          id: 'x\u0000y',
          source: SOURCE,
          type: 'client_webinar_entered',
          data: { webinar_id: 'W-1', timestamp: at(1) },
        };
        const inputs: JudgedInput[] = [
          judgeText('{"not json'),
          judgeText(nulInText),
          judgeValue(nulInId),
          judgeValue(registered('r-1', 'L-1', 'W-1')),
          unreadableInput('/w8=', 'base64', {
            status: 'rejected',
            id: null,
            errors: [{ code: 'MALFORMED_JSON', path: '', message: 'not UTF-8' }],
          }),
          judgeValue({ ...registered('r-2', 'L-1', 'W-1'), type: CLASSIFIED }),
        ];
        const verdicts = await ingest(store, inputs, clock);
        assert.deepEqual(statuses(verdicts), [
          'rejected:MALFORMED_JSON',
          'rejected:MALFORMED_JSON',
          'rejected:INVALID_ENVELOPE',
          'accepted',
          'rejected:MALFORMED_JSON',
          'rejected:RESERVED_EVENT',
        ]);
        const rejections = await store.readRejections(0, 100);
        const rejectedInputs = inputs.filter((_, i) => verdicts[i]!.status === 'rejected');
        assert.deepEqual(
          rejections.map((r) => [r.id, r.raw, r.raw_encoding, r.origin, r.received_at]),
          rejectedInputs.map((input) => [
            input.judgement.ok ? null : input.judgement.id,
            input.raw,
            input.rawEncoding,
            'suite',
            '2026-11-27T00:00:00.000Z',
          ]),
        );
        assert.equal(rejections[2]!.id, 'x\u0000y');
        assert.equal(rejections[1]!.raw, nulInText);
        assert.deepEqual(
          rejections.map((r) => r.errors),
          verdicts.flatMap((v) => (v.status === 'rejected' ? [v.errors] : [])),
        );
        const seqs = rejections.map((r) => r.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
        );
        assert.equal(new Set(seqs).size, seqs.length);
        const page = await store.readRejections(seqs[1]!, 2);
        assert.deepEqual(
          page.map((r) => r.seq),
          seqs.slice(2, 4),
        );
        // A page also stops at a byte budget of raw inputs, the first row always in: with a budget one byte over
        // the first two (UTF-8 text), the third starts under it and is in, the fourth is not; with 1 byte, one row.
        const budget = Buffer.byteLength(rejections[0]!.raw) + Buffer.byteLength(rejections[1]!.raw) + 1;
        assert.deepEqual(
          (await store.readRejections(0, 100, budget)).map((r) => r.seq),
          seqs.slice(0, 3),
        );
        assert.deepEqual(
          (await store.readRejections(0, 100, 1)).map((r) => r.seq),
          seqs.slice(0, 1),
        );
        // Backward: the newest before a seq (all of them past the last), oldest first, the byte budget counted
        // from the newest.
        const newest = async (before: number, limit: number, bytes?: number): Promise<number[]> =>
          (await store.readRejectionsBefore(before, limit, bytes)).map((r) => r.seq);
        assert.deepEqual(await newest(Number.MAX_SAFE_INTEGER, 2), seqs.slice(-2));
        assert.deepEqual(await newest(seqs[3]!, 2), seqs.slice(1, 3));
        assert.deepEqual(await newest(seqs[0]!, 100), []);
        assert.deepEqual(await newest(Number.MAX_SAFE_INTEGER, 100), seqs);
        const lastTwo =
          Buffer.byteLength(rejections.at(-1)!.raw) + Buffer.byteLength(rejections.at(-2)!.raw) + 1;
        assert.deepEqual(await newest(Number.MAX_SAFE_INTEGER, 100, lastTwo), seqs.slice(-3));
        assert.deepEqual(await newest(Number.MAX_SAFE_INTEGER, 100, 1), seqs.slice(-1));
      });
    });

    it('filters the quarantine by error code and origin prefix, forward and backward', async () => {
      await withStore(open, async ({ store }) => {
        const clock = tickingClock();
        const quarantine = (origin: string, inputs: Array<Ev | string>): Promise<Verdict[]> =>
          ingestBatch(store, inputs.map(judge), { forms: EMPTY_FORMS_CATALOG, origin, clock });
        assert.equal(await store.rejectionsHead(), 0, 'an empty quarantine');
        await quarantine('http', ['{', registered('r-1', 'L-1', 'W-1')]);
        await quarantine('ingest:/data/a.ndjson', [
          { ...registered('r-2', 'L-2', 'W-1'), type: 'nope' },
          '[',
        ]);
        await quarantine('ingest:/data/b.ndjson', [registered('r-1', 'L-9', 'W-1')]);
        await quarantine('http', [{ ...registered('r-3', 'L-3', 'W-1'), type: CLASSIFIED }]);
        // A body starting with NUL: its message holds "\u0000" in the errors' JSON (which PostgreSQL's jsonb refuses).
        await quarantine('http', ['\u0000{']);
        const stored = await store.readRejections(0, 100);
        assert.match(JSON.stringify(stored[5]!.errors), /\\u0000/);
        const nul = stored[5]!.seq;
        assert.equal(await store.rejectionsHead(), nul);
        const all = stored.slice(0, 5);
        assert.deepEqual(
          all.map((r) => `${(r.errors[0] as { code: string }).code} ${r.origin}`),
          [
            'MALFORMED_JSON http',
            'UNKNOWN_EVENT ingest:/data/a.ndjson',
            'MALFORMED_JSON ingest:/data/a.ndjson',
            'ID_CONFLICT ingest:/data/b.ndjson',
            'RESERVED_EVENT http',
          ],
        );
        const seq = all.map((r) => r.seq);
        const forward = async (filter: RejectionFilter, after = 0, limit = 100): Promise<number[]> =>
          (await store.readRejections(after, limit, undefined, filter)).map((r) => r.seq);
        const backward = async (filter: RejectionFilter, before: number, limit = 100): Promise<number[]> =>
          (await store.readRejectionsBefore(before, limit, undefined, filter)).map((r) => r.seq);

        assert.deepEqual(await forward({}), [...seq, nul]);
        assert.deepEqual(await forward({ codes: ['MALFORMED_JSON'] }), [seq[0], seq[2], nul]);
        assert.deepEqual(await forward({ codes: ['MALFORMED_JSON', 'ID_CONFLICT'] }), [
          seq[0],
          seq[2],
          seq[3],
          nul,
        ]);
        assert.deepEqual(await forward({ codes: [] }), []);
        assert.deepEqual(await forward({ originPrefix: 'ingest:' }), [seq[1], seq[2], seq[3]]);
        assert.deepEqual(await forward({ originPrefix: 'ingest:/data/a' }), [seq[1], seq[2]]);
        assert.deepEqual(await forward({ originPrefix: '%' }), [], 'a prefix, not a LIKE pattern');
        assert.deepEqual(await forward({ codes: ['MALFORMED_JSON'], originPrefix: 'ingest:' }), [seq[2]]);
        // Pages count only what passes: the next matching rejection, past those that do not.
        assert.deepEqual(await forward({ codes: ['MALFORMED_JSON'] }, 0, 1), [seq[0]]);
        assert.deepEqual(await forward({ codes: ['MALFORMED_JSON'] }, seq[0], 1), [seq[2]]);
        assert.deepEqual(await backward({ originPrefix: 'http' }, Number.MAX_SAFE_INTEGER, 1), [nul]);
        assert.deepEqual(await backward({ originPrefix: 'http' }, nul, 1), [seq[4]]);
        assert.deepEqual(await backward({ originPrefix: 'http' }, seq[4]!), [seq[0]]);
        assert.equal(await store.hasRejectionsBefore(seq[2]!, { codes: ['MALFORMED_JSON'] }), true);
        assert.equal(await store.hasRejectionsBefore(seq[2]!, { codes: ['ID_CONFLICT'] }), false);
        assert.equal(await store.hasRejectionsBefore(seq[4]!, { codes: ['ID_CONFLICT'] }), true);
        assert.equal(await store.hasRejectionsBefore(seq[1]!, { originPrefix: 'ingest:' }), false);
        assert.equal(await store.hasRejectionsBefore(seq[1]!), true);
      });
    });

    it('stores an event read as JSON text as that text, and knows it again in any spelling', async () => {
      await withStore(open, async ({ store, sql }) => {
        // An NDJSON line or a single-event body is stored as written (not serialized again); a batch element,
        // which has no text of its own, as its value serialized; and so is a text longer than
        // STORED_TEXT_MAX_CHARS, so that padding between tokens cannot make a stored envelope larger than the
        // contract allows a serialized one to be.
        const value = registered('r-text', 'L-text', 'W-text');
        const spaced = `  ${JSON.stringify(value, null, 1)}\n`;
        const element = registered('r-element', 'L-element', 'W-text');
        const padded = registered('r-padded', 'L-padded', 'W-text');
        const paddedText = JSON.stringify(padded).replace(',', `,${' '.repeat(STORED_TEXT_MAX_CHARS)}`);
        const verdicts = await ingest(store, [
          judgeText(spaced),
          judgeValue(element, () => undefined),
          judgeText(paddedText),
        ]);
        assert.deepEqual(statuses(verdicts), ['accepted', 'accepted', 'accepted']);
        assert.deepEqual(await sql('SELECT envelope FROM events ORDER BY position'), [
          { envelope: spaced.trim() },
          { envelope: JSON.stringify(element) },
          { envelope: JSON.stringify(padded) },
        ]);
        // The feed serves the value; a retry in another spelling (compact, keys reordered) is a duplicate.
        const [stored] = await store.readEvents(0, 1);
        const { position: _position, recordedat: _recordedat, ...submitted } = stored!.event;
        assert.deepEqual(submitted, value);
        const reordered = Object.fromEntries(Object.entries(value).reverse());
        assert.deepEqual(statuses(await ingest(store, [JSON.stringify(reordered), value])), [
          'duplicate',
          'duplicate',
        ]);
        assert.deepEqual(
          statuses(await ingest(store, [{ ...value, data: { ...(value['data'] as object), source: 'x' } }])),
          ['rejected:ID_CONFLICT'],
        );
      });
    });

    it('stores backslashes, "\\N" and non-ASCII text exactly, in columns and envelopes', async () => {
      await withStore(open, async ({ store }) => {
        // Backslashes (the escape of COPY's text format) and what it reads as a tab, newline, CR or NULL, in the
        // columns of their own (id, source, lead_id, webinar_id, session) and inside the envelope's JSON. (Text
        // of the contract holds no control characters, so a raw tab or newline never reaches a column.)
        const odd = 'a\\b\\N\\t \u00e9t\u00e9 \u{1d11e}';
        const events = [
          { ...registered(`r-${odd}`, `L-${odd}`, `W-${odd}`), source: `/room\\${odd}` },
          {
            ...entered(`e-${odd}`, `L-${odd}`, `W-${odd}`, `S-${odd}`),
            subject: 'a quote " a backslash \\ and \\n \\t \\r \\N as text',
          },
        ];
        assert.deepEqual(statuses(await ingest(store, events)), ['accepted', 'accepted']);
        const log = await wholeLog(store);
        const client = log.filter((e) => String(e.event['type']).startsWith('client_'));
        assert.equal(client.length, 2);
        client.forEach((stored, i) => {
          const { position: _position, recordedat: _recordedat, ...submitted } = stored.event;
          assert.equal(JSON.stringify(submitted), JSON.stringify(events[i]));
        });
        // The columns of their own: a duplicate is found by (source, id), the timeline by lead.
        assert.deepEqual(statuses(await ingest(store, [events[0]!])), ['duplicate']);
        const timeline = await store.timeline(`L-${odd}`, `W-${odd}`);
        assert.deepEqual(
          timeline.map((e) => e.event['id']),
          log
            .filter((e) => (e.event['data'] as Record<string, unknown>)['lead_id'] === `L-${odd}`)
            .map((e) => e.event['id']),
        );
        assert.ok(timeline.length >= 2);
      });
    });

    it('serves the feed by position and type, with the envelope as submitted', async () => {
      await withStore(open, async ({ store }) => {
        const clock = tickingClock();
        // Attributes in an unusual order, with extensions: returned verbatim, then position and recordedat.
        const text =
          '{"data":{"webinar_id":"W-1","timestamp":"2026-11-26T10:01:00+03:00","lead_id":"L-1"},"id":"e-1",' +
          '"type":"client_webinar_entered","myext":42,"source":"/suite-room","sessionid":"s-1","specversion":"1.0",' +
          '"subject":"été ✓ 𝄞"}';
        const verdicts = await ingest(
          store,
          [
            registered('r-1', 'L-1', 'W-1'),
            text,
            left('l-1', 'L-1', 'W-1', 's-1'),
            registered('r-2', 'L-2', 'W-1'),
            left('l-2', 'L-2', 'W-1', 's-2'),
          ],
          clock,
        );
        assert.deepEqual(statuses(verdicts), ['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
        const all = await store.readEvents(0, 100);
        assert.equal(all.length, 5);
        const entry = all[1]!;
        const { position, recordedat, ...submitted } = entry.event;
        assert.equal(position, 2);
        assert.equal(recordedat, '2026-11-27T00:00:00.000Z');
        assert.equal(JSON.stringify(submitted), JSON.stringify(JSON.parse(text)));
        assert.deepEqual(Object.keys(entry.event), [
          ...Object.keys(JSON.parse(text)),
          'position',
          'recordedat',
        ]);
        assert.equal(entry.warnings, null);
        // A `left` of a session never entered carries its warning in the feed too.
        assert.deepEqual(
          all[4]!.warnings?.map((w) => w.code),
          ['NO_PRIOR_ENTRY'],
        );
        assert.deepEqual(all[4]!.warnings, verdicts[4]!.status === 'accepted' ? verdicts[4]!.warnings : null);
        assert.deepEqual(
          (await store.readEvents(1, 2)).map((e) => e.position),
          [2, 3],
        );
        assert.deepEqual(await store.readEvents(5, 10), []);
        assert.deepEqual(
          (await store.readEvents(0, 10, 'client_webinar_left')).map((e) => e.event['id']),
          ['l-1', 'l-2'],
        );
        assert.deepEqual(
          (await store.readEvents(3, 10, 'client_webinar_left')).map((e) => e.position),
          [5],
        );
        assert.deepEqual(await store.readEvents(0, 10, 'no_such_type'), []);
      });
    });

    it('puts an anonymous entry on the timeline of the lead its session names', async () => {
      await withStore(open, async ({ store }) => {
        await ingest(store, [
          registered('r-1', 'L-1', 'W-1'),
          entered('anon-1', null, 'W-1', 's-1'),
          registered('r-2', 'L-2', 'W-1'),
          entered('anon-2', null, 'W-1', 's-9'), // its session never names a lead
          left('l-1', 'L-1', 'W-1', 's-1'),
          registered('r-3', 'L-1', 'W-2', 'auto'),
        ]);
        await drainClassifier(store, tickingClock());
        const timeline = await store.timeline('L-1');
        assert.deepEqual(
          timeline.map((e) => [e.position, e.event['id']]),
          [
            [1, 'r-1'],
            [2, 'anon-1'],
            [5, 'l-1'],
            [6, 'r-3'],
          ],
        );
        assert.deepEqual(
          timeline[1]!.warnings?.map((w) => w.code),
          ['ANONYMOUS_ENTRY'],
        );
        assert.equal(timeline[1]!.event['recordedat'], timeline[0]!.event['recordedat']);
        assert.deepEqual(
          (await store.timeline('L-1', 'W-1')).map((e) => e.event['id']),
          ['r-1', 'anon-1', 'l-1'],
        );
        assert.deepEqual(
          (await store.timeline('L-1', 'W-2')).map((e) => e.event['id']),
          ['r-3'],
        );
        assert.deepEqual(await store.timeline('L-404'), []);
        const report = await attendanceReport(store, 'W-1');
        assert.deepEqual(report.totals, {
          registered: 2,
          entered: 1,
          completed: 0,
          attended: 0,
          not_attended: 0,
          unclassified: 2,
          anonymous_entries: 1,
          warnings: { ANONYMOUS_ENTRY: 2 },
        });
      });
    });

    it('derives each classification and route once, even when drained twice', async () => {
      await withStore(open, async ({ store }) => {
        const clock = tickingClock();
        const events = funnelEvents(2, 10);
        await ingest(store, events.slice(0, 25), clock);
        const first = await drainClassifier(store, clock);
        await ingest(store, events.slice(25), clock);
        const second = await drainClassifier(store, clock);
        assert.deepEqual(await drainClassifier(store, clock), []);
        const classified = [...first, ...second];
        // 2 webinars × 10 leads: leads 0, 2, 6, 8 complete.
        const expected = ['W-0', 'W-1'].flatMap((w) =>
          [0, 2, 6, 8].map((l) => classificationId(`L-${w.slice(2)}-${l}`, w, true)),
        );
        assert.deepEqual(classified.map((c) => c.id).sort(), [...expected].sort());
        const routes = await drainRouter(store, clock);
        assert.deepEqual(await drainRouter(store, clock), []);
        assert.deepEqual(
          routes.map((r) => r.id),
          classified.map((c) => routeId(c.id)),
        );
        const log = await wholeLog(store);
        assertGapFree(log);
        assert.deepEqual(assertDerivedOnce(log), { classifications: 8, routes: 8 });
        const classification = log.find((e) => e.event['type'] === CLASSIFIED)!;
        assert.deepEqual(classification.event, {
          ...JSON.parse(JSON.stringify(classified.find((c) => c.id === classification.event['id']))),
          position: classification.position,
          recordedat: classification.event['recordedat'],
        });
        assert.equal(typeof classification.event['causationid'], 'string');
        const checkpoints = await store.checkpoints();
        const lastClassification = log.filter((e) => e.event['type'] === CLASSIFIED).at(-1)!.position;
        // A router checkpoint may pass the last classification (SQLite scans ranges), never the head.
        assert.ok(checkpoints[ROUTER]! >= lastClassification && checkpoints[ROUTER]! <= log.at(-1)!.position);
        assert.ok(checkpoints[CLASSIFIER]! >= lastClassification, JSON.stringify(checkpoints));
        const report = await attendanceReport(store, 'W-0');
        assert.equal(report.leads.find((l) => l.lead_id === 'L-0-0')?.route, 'attended');
      });
    });

    it('refuses a second row of a derived event, whatever the checkpoints say', async () => {
      await withStore(open, async ({ store }) => {
        const clock = tickingClock();
        await ingest(store, funnelEvents(2, 10), clock);
        const classified = await drainClassifier(store, clock);
        const routed = await drainRouter(store, clock);
        assert.equal(classified.length, 8);
        const head = await store.head();
        // The index is the last guard of exactly-once: a processor that ran twice over the same range (a lost
        // checkpoint) cannot store the same classification or route again, alone or in a batch of new ones.
        for (const again of [[classified[3]!], [routed[5]!], [...classified, ...routed]]) {
          await assert.rejects(
            store.transaction('classifier', (tx) => tx.appendDerived(again, clock())),
            /UNIQUE constraint failed|duplicate key value violates unique constraint/,
          );
        }
        assert.equal(await store.head(), head);
        assert.deepEqual(assertDerivedOnce(await wholeLog(store)), { classifications: 8, routes: 8 });
      });
    });

    it('evaluates entries without completion once; evaluating again adds nothing; completion upgrades', async () => {
      await withStore(open, async ({ store }) => {
        const clock = tickingClock();
        await ingest(store, funnelEvents(1, 10), clock);
        const evaluated = await evaluateAttendance(store, { webinarId: 'W-0', requester: 'suite' }, clock);
        assert.deepEqual(
          evaluated.map((e) => [e.data['lead_id'], e.data['attended']]),
          [
            ['L-0-1', false],
            ['L-0-3', false],
            ['L-0-5', false],
            ['L-0-7', false],
          ],
        );
        const headAfterFirst = await store.head();
        assert.deepEqual(
          await evaluateAttendance(store, { webinarId: 'W-0', requester: 'suite' }, clock),
          [],
        );
        assert.deepEqual(
          await evaluateAttendance(store, { webinarId: 'W-404', requester: 'suite' }, clock),
          [],
        );
        const evaluations = await store.evaluations();
        assert.deepEqual(
          evaluations.map((e) => [e.webinar_id, e.requester, e.at_position]),
          [
            ['W-0', 'suite', headAfterFirst - 4],
            ['W-0', 'suite', headAfterFirst],
            ['W-404', 'suite', headAfterFirst],
          ],
        );
        for (const e of evaluations) {
          assert.equal(typeof e.id, 'string');
          assert.match(e.requested_at, /^2026-11-27T/);
        }
        assert.deepEqual(
          await store.evaluations('W-0'),
          evaluations.slice(0, 2),
          "one webinar's, oldest first",
        );
        assert.deepEqual(await store.evaluations('W-never'), []);
        await drainRouter(store, clock);
        const totals = {
          registered: 10,
          entered: 8,
          completed: 4,
          attended: 4,
          not_attended: 4,
          unclassified: 2,
          anonymous_entries: 0,
          warnings: {},
        };
        assert.deepEqual((await attendanceReport(store, 'W-0')).totals, totals);
        // A lead classified false that completes later is re-classified true, and routed again.
        await ingest(store, [completed('late-done', 'L-0-1', 'W-0', 'S-0-1', 'live')], clock);
        const upgraded = await drainClassifier(store, clock);
        assert.deepEqual(
          upgraded.map((e) => [e.data['lead_id'], e.data['attended']]),
          [['L-0-1', true]],
        );
        await drainRouter(store, clock);
        const report = await attendanceReport(store, 'W-0');
        assert.deepEqual(report.totals, { ...totals, completed: 5, attended: 5, not_attended: 3 });
        const lead = report.leads.find((l) => l.lead_id === 'L-0-1')!;
        assert.deepEqual(lead, {
          lead_id: 'L-0-1',
          registered: true,
          entries: 1,
          lefts: 1,
          completions: 1,
          forms: 0,
          attended: true,
          classified_at: upgraded[0]!.data['timestamp'],
          route: 'attended',
          warnings: {},
        });
        assert.deepEqual(
          report.leads.find((l) => l.lead_id === 'L-0-4'),
          {
            lead_id: 'L-0-4',
            registered: true,
            entries: 0,
            lefts: 0,
            completions: 0,
            forms: 0,
            attended: null,
            classified_at: null,
            route: null,
            warnings: {},
          },
        );
        assertDerivedOnce(await wholeLog(store));
      });
    });

    it('pages the report by lead_id in code point order, with totals counting leads', async () => {
      await withStore(open, async ({ store }) => {
        const leads = ['b-lead', 'B-lead', 'é-lead', '_lead', 'a-lead', 'Z-lead', '0-lead'];
        await ingest(
          store,
          leads.map((lead, i) => registered(`r-${i}`, lead, 'W-1')),
        );
        await drainClassifier(store, tickingClock());
        const seen: string[] = [];
        let after = '';
        for (;;) {
          const page = await attendanceReport(store, 'W-1', after, 3);
          assert.ok(page.leads.length <= 3);
          seen.push(...page.leads.map((l) => l.lead_id));
          if (page.next === null) break;
          assert.equal(page.next, page.leads.at(-1)!.lead_id);
          after = page.next;
        }
        assert.deepEqual(seen, [...leads].sort());
        const empty = await attendanceReport(store, 'W-404');
        assert.deepEqual(empty, {
          webinar_id: 'W-404',
          totals: {
            registered: 0,
            entered: 0,
            completed: 0,
            attended: 0,
            not_attended: 0,
            unclassified: 0,
            anonymous_entries: 0,
            warnings: {},
          },
          leads: [],
          next: null,
        });
      });
    });

    it('lists the webinars with leads in webinar_id order, each with its report totals and the leads awaiting evaluation', async () => {
      await withStore(open, async ({ store }) => {
        await ingest(store, [
          // W-a: one completes (attended), one enters and leaves without completing (awaiting), one only registers.
          registered('wa-1', 'L-1', 'W-a'),
          entered('wa-2', 'L-1', 'W-a', 'S-a1'),
          completed('wa-3', 'L-1', 'W-a', 'S-a1'),
          registered('wa-4', 'L-2', 'W-a'),
          entered('wa-5', 'L-2', 'W-a', 'S-a2'),
          registered('wa-6', 'L-3', 'W-a'),
          // W-b: one registration; W-c: one lead awaiting evaluation.
          registered('wb-1', 'L-1', 'W-b'),
          registered('wc-1', 'L-9', 'W-c'),
          entered('wc-2', 'L-9', 'W-c', 'S-c1'),
        ]);
        await drainClassifier(store, tickingClock());
        const all = await webinarList(store);
        assert.deepEqual(
          all.webinars.map((w) => w.webinar_id),
          ['W-a', 'W-b', 'W-c'],
        );
        assert.equal(all.next, null);
        assert.deepEqual(all.webinars[0], {
          webinar_id: 'W-a',
          registered: 3,
          entered: 2,
          completed: 1,
          attended: 1,
          not_attended: 0,
          unclassified: 2,
          awaiting_evaluation: 1,
        });
        // The same counts as each webinar's report.
        for (const w of all.webinars) {
          const { totals } = await attendanceReport(store, w.webinar_id);
          for (const k of [
            'registered',
            'entered',
            'completed',
            'attended',
            'not_attended',
            'unclassified',
          ] as const)
            assert.equal(w[k], totals[k], `${w.webinar_id} ${k}`);
        }
        // An evaluation classifies the awaiting leads: none awaits afterwards.
        await evaluateAttendance(store, { webinarId: 'W-c', requester: 'test' });
        const c = (await webinarList(store, 'W-b')).webinars;
        assert.deepEqual(
          c.map((w) => [w.webinar_id, w.awaiting_evaluation, w.not_attended]),
          [['W-c', 0, 1]],
        );
        // Pages.
        const first = await webinarList(store, '', 2);
        assert.deepEqual([first.webinars.map((w) => w.webinar_id), first.next], [['W-a', 'W-b'], 'W-b']);
        const second = await webinarList(store, first.next!, 2);
        assert.deepEqual([second.webinars.map((w) => w.webinar_id), second.next], [['W-c'], null]);
      });
    });

    it('shows the warnings in the report: events per code for the webinar and for each lead (SPEC §3)', async () => {
      await withStore(open, async ({ store }) => {
        const verdicts = await ingest(store, [
          registered('r-1', 'L-1', 'W-1'),
          entered('e-1', 'L-1', 'W-1', 's-1'),
          entered('e-2', 'L-2', 'W-1', 's-2'), // no registration
          left('l-3', 'L-3', 'W-1', 's-3'), // no registration, no entry
          entered('anon-1', null, 'W-1', 's-4'),
          entered('e-9', 'L-1', 'W-2', 's-9'), // another webinar: not in W-1's report
        ]);
        const said = (id: string): string[] =>
          verdicts
            .filter((v) => v.status === 'accepted' && v.id === id)
            .flatMap((v) => (v.status === 'accepted' ? v.warnings.map((w) => w.code) : []));
        assert.deepEqual(said('e-2'), ['NO_PRIOR_REGISTRATION']);
        assert.deepEqual(said('l-3').sort(), ['NO_PRIOR_ENTRY', 'NO_PRIOR_REGISTRATION']);
        await drainClassifier(store, tickingClock());
        const report = await attendanceReport(store, 'W-1');
        assert.deepEqual(report.totals.warnings, {
          NO_PRIOR_REGISTRATION: 2,
          NO_PRIOR_ENTRY: 1,
          ANONYMOUS_ENTRY: 1,
        });
        assert.deepEqual(
          report.leads.map((l) => [l.lead_id, l.warnings]),
          [
            ['L-1', {}],
            ['L-2', { NO_PRIOR_REGISTRATION: 1 }],
            ['L-3', { NO_PRIOR_ENTRY: 1, NO_PRIOR_REGISTRATION: 1 }],
          ],
        );
        // Paged: a page's leads carry their own warnings, whatever the page.
        const second = await attendanceReport(store, 'W-1', 'L-2', 1);
        assert.deepEqual(
          second.leads.map((l) => [l.lead_id, l.warnings]),
          [['L-3', { NO_PRIOR_ENTRY: 1, NO_PRIOR_REGISTRATION: 1 }]],
        );
        assert.deepEqual((await attendanceReport(store, 'W-2')).totals.warnings, {
          NO_PRIOR_REGISTRATION: 1,
        });
      });
    });

    it('keeps checkpoints per processor, moved only by committed work', async () => {
      await withStore(open, async ({ store, reopen }) => {
        assert.deepEqual(await store.checkpoints(), {});
        await store.transaction('relay', async (tx) => {
          assert.equal(await tx.checkpoint('bus-relay'), 0);
          await tx.setCheckpoint('bus-relay', 7);
          await tx.setCheckpoint('bus-relay', 9);
        });
        await store.transaction('router', async (tx) => tx.setCheckpoint('other', 3));
        assert.deepEqual(await store.checkpoints(), { 'bus-relay': 9, other: 3 });
        await store.close();
        const again = await reopen();
        assert.equal(await again.transaction('relay', (tx) => tx.checkpoint('bus-relay')), 9);
      });
    });

    it('leaves nothing behind when a transaction throws', async () => {
      await withStore(open, async ({ store }) => {
        const clock = tickingClock();
        const inputs = [
          registered('r-1', 'L-1', 'W-1'),
          entered('e-1', 'L-1', 'W-1', 's-1'),
          completed('c-1', 'L-1', 'W-1', 's-1'),
          '{"broken',
        ].map(judge);
        await assert.rejects(
          store.transaction('intake', async (tx) => {
            const state = await tx.loadIntakeState(intakeKeys(inputs));
            const plan = planIntake(state, inputs, EMPTY_FORMS_CATALOG, (await tx.head()) + 1);
            await tx.appendClientEvents(plan.appends, clock());
            await tx.quarantine(plan.rejections, 'suite', clock());
            await tx.setCheckpoint('bus-relay', 3);
            await tx.recordEvaluation({
              id: 'ev-1',
              webinar_id: 'W-1',
              requested_at: clock(),
              requester: 'suite',
              at_position: 3,
            });
            assert.equal(await tx.head(), 3, 'the transaction sees its own writes');
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await store.head(), 0);
        assert.deepEqual(await store.readEvents(0, 10), []);
        assert.deepEqual(await store.readRejections(0, 10), []);
        assert.deepEqual(await store.checkpoints(), {});
        assert.deepEqual(await store.evaluations(), []);
        // The intake state was rolled back too: the same events are accepted, not duplicates.
        const verdicts = await ingest(store, inputs, clock);
        assert.deepEqual(statuses(verdicts), ['accepted', 'accepted', 'accepted', 'rejected:MALFORMED_JSON']);
        assert.equal(positionOf(verdicts[0]), 1);

        await assert.rejects(
          store.transaction('classifier', async (tx) => {
            const step = await classifyPending(tx, 100, clock());
            assert.equal(step.derived.length, 1);
            throw new Error('crash after classifying');
          }),
          /crash after classifying/,
        );
        assert.equal(await store.head(), 3);
        assert.deepEqual(await store.checkpoints(), {});
        assert.equal((await attendanceReport(store, 'W-1')).leads.length, 0, 'attendance rolled back');
        const derived = await drainClassifier(store, clock);
        assert.equal(derived.length, 1);
        assert.equal(await store.head(), 4);
        assertGapFree(await wholeLog(store));
      });
    });

    it('answers ping, and closes', async () => {
      await withStore(open, async ({ store }) => {
        await store.ping();
        await store.close();
      });
    });
  });
}
