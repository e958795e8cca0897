import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DryRunIntake } from '../../src/intake/dry-run.js';
import { canonicalJson } from '../../src/intake/content-hash.js';
import type { Verdict } from '../../src/intake/verdict.js';
import { ERROR_CODES, WARNING_CODES } from '../../src/contract/codes.js';
import { CLIENT_EVENT_TYPES, FACT_TIME_FIELD, type ClientEventType } from '../../src/contract/events.js';
import { VALID_PAYLOADS } from './examples.js';

/** Bounded runs: the whole file takes a few seconds. A failure prints its seed to replay it. */
const RUNS = { numRuns: 200 };

type Event = Record<string, unknown>;

const LEADS = ['L0', 'L1', 'L2'] as const;
/** Each webinar has one fixed type; a fault may send the other one. */
const WEBINARS = { W0: 'live', W1: 'auto' } as const;
type WebinarId = keyof typeof WEBINARS;
const otherType = (type: string): string => (type === 'live' ? 'auto' : 'live');
const TIMES = ['2026-11-26T10:00:00Z', '2026-11-26T10:30:00+03:00', '2026-11-26T11:00:00Z'] as const;

interface Shape {
  readonly type: ClientEventType;
  readonly lead: string;
  readonly webinar: WebinarId;
  readonly session: string;
  readonly id: string;
  readonly anonymous: boolean;
  readonly withSessionid: boolean;
  readonly time: string;
  readonly formId: string;
  readonly variant: number;
  readonly fault: 'none' | 'wrong_type' | 'missing' | 'unknown' | 'bad_time' | 'reserved' | 'not_object';
}

/** A client event of the contract from its shape (faults included). */
function build(s: Shape): unknown {
  if (s.fault === 'not_object') return [s.id];
  const webinarType = s.fault === 'wrong_type' ? otherType(WEBINARS[s.webinar]) : WEBINARS[s.webinar];
  const base = { lead_id: s.lead, webinar_id: s.webinar };
  const session = { webinar_type: webinarType, session_id: s.session };
  const data: Record<string, unknown> = {
    client_webinar_registered: { ...base, webinar_type: webinarType, registered_at: s.time, source: 'page' },
    client_webinar_entered: { ...base, timestamp: s.time },
    client_webinar_left: {
      ...base,
      ...session,
      left_at: s.time,
      leave_reason: ['user_exit', 'network_loss'][s.variant % 2],
    },
    client_webinar_completed: { ...base, ...session, completed_at: s.time },
    client_webinar_form_submitted: {
      ...base,
      ...session,
      submitted_at: s.time,
      form_id: s.formId,
      form_payload: { answer: s.variant },
    },
  }[s.type] as Record<string, unknown>;
  if (s.type === 'client_webinar_entered' && s.anonymous) delete data['lead_id'];
  if (s.fault === 'missing') delete data['webinar_id'];
  if (s.fault === 'unknown') data['extra'] = true;
  if (s.fault === 'bad_time') data[FACT_TIME_FIELD[s.type]] = '2026-11-26T10:00:00';
  const event: Event = {
    specversion: '1.0',
    id: s.id,
    source: '/webinar-room',
    type: s.fault === 'reserved' ? 'client_webinar_attendance_classified' : s.type,
    time: s.time,
    data,
  };
  if (s.type === 'client_webinar_entered' && s.withSessionid) event['sessionid'] = s.session;
  return event;
}

const faultArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant('none' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('wrong_type', 'missing', 'unknown', 'bad_time', 'reserved', 'not_object'),
  },
);

/** An event shape over the small pool; `lead` fixed for per-lead streams, ids and sessions then per lead. */
function shapeArb(options: { lead?: string; faults: boolean; typeFaults: boolean }): fc.Arbitrary<Shape> {
  return fc.record({
    type: fc.constantFrom(...CLIENT_EVENT_TYPES),
    lead: options.lead === undefined ? fc.constantFrom(...LEADS) : fc.constant(options.lead),
    webinar: fc.constantFrom<WebinarId>('W0', 'W1'),
    session: fc.constantFrom('a', 'b', 'c').map((s) => `s-${options.lead ?? 'shared'}-${s}`),
    id: fc.integer({ min: 0, max: 19 }).map((n) => `${options.lead ?? 'e'}-${n}`),
    anonymous: fc.boolean(),
    withSessionid: fc.boolean(),
    time: fc.constantFrom(...TIMES),
    formId: fc.constantFrom('feedback', 'quiz'),
    variant: fc.nat({ max: 3 }),
    fault: options.faults
      ? faultArb.filter((f) => options.typeFaults || f !== 'wrong_type')
      : fc.constant('none' as const),
  });
}

/** A stream where some events are re-sent later (a retry with another `time`). */
const streamArb: fc.Arbitrary<unknown[]> = fc
  .tuple(
    fc.array(shapeArb({ faults: true, typeFaults: true }), { minLength: 1, maxLength: 40 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...TIMES)), { maxLength: 10 }),
  )
  .map(([shapes, retries]) => {
    const events = shapes.map(build);
    for (const [index, time] of retries) {
      const original = events[index % events.length];
      events.push(
        original !== null && typeof original === 'object' && !Array.isArray(original)
          ? { ...original, time }
          : original,
      );
    }
    return events;
  });

const judgeStream = (events: readonly unknown[]): Verdict[] => {
  const intake = new DryRunIntake();
  return events.map((e) => intake.judgeValue(e));
};

/** What makes two submissions the same event (SPEC §3): source, id, type, data, sessionid. */
const identity = (e: unknown): string => {
  const { source, id, type, data, sessionid } = e as Event;
  return canonicalJson([source, id, type, data, sessionid ?? null]);
};

function assertWellFormed(v: Verdict): void {
  assert.ok(['accepted', 'duplicate', 'rejected'].includes(v.status), JSON.stringify(v));
  if (v.status === 'rejected') {
    assert.ok(v.errors.length > 0, 'a rejection has at least one error');
    for (const e of v.errors) {
      assert.ok(e.code in ERROR_CODES, e.code);
      assert.ok(e.path === '' || e.path.startsWith('/'), e.path);
      assert.equal(typeof e.message, 'string');
    }
  } else if (v.status === 'accepted') {
    for (const w of v.warnings) assert.ok(w.code in WARNING_CODES, w.code);
  }
}

describe('properties of the intake pipeline (fast-check)', () => {
  it('replay: judging the same stream twice, from an empty state, gives the same verdicts', () => {
    fc.assert(
      fc.property(streamArb, (events) => {
        assert.deepEqual(judgeStream(events), judgeStream(events));
      }),
      RUNS,
    );
  });

  it('every verdict is well formed; an accepted event re-sent afterwards is a duplicate', () => {
    fc.assert(
      fc.property(streamArb, fc.constantFrom(...TIMES), (events, retryTime) => {
        const intake = new DryRunIntake();
        const verdicts = events.map((e) => intake.judgeValue(e));
        verdicts.forEach(assertWellFormed);
        events.forEach((e, i) => {
          if (verdicts[i]!.status !== 'accepted') return;
          const again = intake.judgeValue({ ...(e as Event), time: retryTime });
          assert.equal(again.status, 'duplicate', JSON.stringify(again));
        });
      }),
      RUNS,
    );
  });

  it('no event is both accepted and rejected; each source+id is accepted at most once', () => {
    fc.assert(
      fc.property(streamArb, (events) => {
        const verdicts = judgeStream(events);
        const statuses = new Map<string, Set<string>>();
        const acceptedIds = new Set<string>();
        events.forEach((e, i) => {
          const v = verdicts[i]!;
          if (v.status === 'accepted') {
            const key = JSON.stringify([(e as Event)['source'], (e as Event)['id']]);
            assert.ok(!acceptedIds.has(key), `accepted twice: ${key}`);
            acceptedIds.add(key);
          }
          if (e === null || typeof e !== 'object' || Array.isArray(e)) return;
          const key = identity(e);
          const seen = statuses.get(key) ?? new Set();
          seen.add(v.status);
          statuses.set(key, seen);
        });
        for (const [key, seen] of statuses) {
          assert.ok(!(seen.has('accepted') && seen.has('rejected')), `${key}: ${[...seen].join(', ')}`);
        }
      }),
      RUNS,
    );
  });

  it('independent leads: any interleaving of their streams gives every event the same verdict', () => {
    // Disjoint ids and sessions per lead, fixed webinar types: nothing one lead sends can affect another.
    const perLead = fc.tuple(
      ...LEADS.map((lead) =>
        fc.array(shapeArb({ lead, faults: true, typeFaults: false }), { maxLength: 15 }),
      ),
    );
    const arb = perLead.chain((streams) => {
      const tags = streams.flatMap((stream, lead) => stream.map(() => lead));
      return fc.tuple(
        fc.constant(streams),
        fc.shuffledSubarray(tags, { minLength: tags.length, maxLength: tags.length }),
      );
    });
    fc.assert(
      fc.property(arb, ([streams, order]) => {
        const sequential = streams.flat().map(build);
        const queues = streams.map((stream) => stream.map(build));
        const interleaved = order.map((lead) => queues[lead]!.shift());
        const byId = (events: unknown[]): Map<string, Verdict[]> => {
          const out = new Map<string, Verdict[]>();
          const verdicts = judgeStream(events);
          events.forEach((e, i) => {
            const key = JSON.stringify(e);
            out.set(key, [...(out.get(key) ?? []), verdicts[i]!]);
          });
          return out;
        };
        assert.deepEqual(byId(interleaved), byId(sequential));
      }),
      RUNS,
    );
  });

  it('any JSON value, or any value serialized, gets one of the three verdicts and never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assertWellFormed(new DryRunIntake().judgeValue(value));
        assertWellFormed(new DryRunIntake().judgeText(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.anything(), fc.string(), (value, noise) => {
        const text = JSON.stringify(value) ?? 'undefined';
        assertWellFormed(new DryRunIntake().judgeText(text));
        assertWellFormed(new DryRunIntake().judgeText(noise));
      }),
      { numRuns: 300 },
    );
  });

  it('a valid event with any attribute or data field replaced by any JSON value never throws', () => {
    const type = fc.constantFrom(...CLIENT_EVENT_TYPES);
    fc.assert(
      fc.property(
        type,
        fc.boolean(),
        fc.string({ maxLength: 12 }),
        fc.jsonValue(),
        (t, inData, key, value) => {
          const data: Record<string, unknown> = { ...VALID_PAYLOADS[t] };
          const event: Event = {
            specversion: '1.0',
            id: 'e-1',
            source: '/s',
            type: t,
            data,
            sessionid: 's-42',
          };
          const fields = Object.keys(inData ? data : event);
          const target = inData ? data : event;
          target[fields.includes(key) || key.length === 0 ? fields[key.length % fields.length]! : key] =
            value;
          const intake = new DryRunIntake();
          assertWellFormed(intake.judgeValue(event));
          assertWellFormed(intake.judgeValue(event));
        },
      ),
      { numRuns: 300 },
    );
  });
});
