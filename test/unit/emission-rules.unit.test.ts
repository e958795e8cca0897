import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DryRunIntake } from '../../src/intake/dry-run.js';
import { parseFormsCatalog } from '../../src/intake/forms-catalog.js';
import {
  completed,
  entered,
  errors,
  formSubmitted,
  judgeAll,
  last,
  left,
  registered,
  rejected,
} from './streams.js';

describe('SPEC §3 duplicate: the same source+id with the same content', () => {
  it('a retry with another time (and other attributes) is duplicate', () => {
    const first = entered({}, { id: 'e-1', sessionid: 's-1' });
    const retry = { ...first, time: '2026-11-26T10:05:00+00:00', traceparent: 'other', subject: 'x' };
    const [a, b] = judgeAll([first, retry]);
    assert.equal(a?.status, 'accepted');
    assert.deepEqual(b, { status: 'duplicate', id: 'e-1', position: null });
  });

  it('data compared as JSON values: key order does not matter', () => {
    const first = formSubmitted({}, { id: 'f-1' });
    const data = first['data'] as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(data).reverse());
    reordered['form_payload'] = Object.fromEntries(Object.entries(data['form_payload'] as object).reverse());
    assert.equal(last([first, { ...first, data: reordered }]).status, 'duplicate');
  });

  it('a duplicate of a duplicate is still duplicate and adds nothing', () => {
    const e = completed({}, { id: 'c-1' });
    const verdicts = judgeAll([e, e, e]);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['accepted', 'duplicate', 'duplicate'],
    );
  });
});

describe('SPEC §3 ID_CONFLICT: same source+id as a stored event, different content', () => {
  it('different data is ID_CONFLICT at /id', () => {
    const first = left({}, { id: 'x-1' });
    rejected(last([first, left({ leave_reason: 'network_loss' }, { id: 'x-1' })]), 'ID_CONFLICT', '/id');
  });

  it('a different type under the same id is ID_CONFLICT', () => {
    rejected(last([left({}, { id: 'x-1' }), completed({}, { id: 'x-1' })]), 'ID_CONFLICT', '/id');
  });

  it('a different sessionid is ID_CONFLICT', () => {
    const first = entered({}, { id: 'x-1', sessionid: 's-1' });
    rejected(last([first, { ...first, sessionid: 's-2' }]), 'ID_CONFLICT', '/id');
    rejected(last([first, entered({}, { id: 'x-1' })]), 'ID_CONFLICT', '/id');
  });

  it('the same id from another source is another event', () => {
    const verdicts = judgeAll([
      entered({ lead_id: 'L-1' }, { id: 'same', source: '/a' }),
      entered({ lead_id: 'L-2' }, { id: 'same', source: '/b' }),
    ]);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['accepted', 'accepted'],
    );
  });
});

describe('SPEC §1 a single registration fact per lead and webinar: ALREADY_REGISTERED', () => {
  it('a second registration (another id) of the same lead for the same webinar', () => {
    rejected(
      last([registered(), registered({ source: 'other-page' })]),
      'ALREADY_REGISTERED',
      '/data/lead_id',
    );
  });

  it('the same lead for another webinar, or another lead for the same webinar, is fine', () => {
    const verdicts = judgeAll([
      registered(),
      registered({ webinar_id: 'W-2' }),
      registered({ lead_id: 'L-2' }),
    ]);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['accepted', 'accepted', 'accepted'],
    );
  });
});

describe('SPEC §1 once per participation session: REPEATED_IN_SESSION', () => {
  it('a second entered with the same sessionid, at /sessionid', () => {
    const v = last([
      entered({}, { sessionid: 's-1' }),
      entered({ timestamp: '2026-11-26T10:01:00Z' }, { sessionid: 's-1' }),
    ]);
    rejected(v, 'REPEATED_IN_SESSION', '/sessionid');
  });

  it('a second left of the same session_id, at /data/session_id', () => {
    rejected(
      last([left(), left({ leave_reason: 'network_loss' })]),
      'REPEATED_IN_SESSION',
      '/data/session_id',
    );
  });

  it('a second completed of the same session_id', () => {
    rejected(last([completed(), completed()]), 'REPEATED_IN_SESSION', '/data/session_id');
  });

  it('two entries without sessionid belong to no session and are both accepted', () => {
    const verdicts = judgeAll([entered({}, { sessionid: undefined }), entered({}, { sessionid: undefined })]);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['accepted', 'accepted'],
    );
  });

  it('left and completed of one session, and two sessions of one lead, are fine', () => {
    const verdicts = judgeAll([
      entered({}, { sessionid: 's-1' }),
      left({ session_id: 's-1' }),
      completed({ session_id: 's-1' }),
      entered({}, { sessionid: 's-2' }),
      left({ session_id: 's-2' }),
      completed({ session_id: 's-2' }),
    ]);
    assert.ok(verdicts.every((v) => v.status === 'accepted'));
  });
});

describe('SPEC §3 forms: FORM_ALREADY_SUBMITTED unless the catalog allows re-submission', () => {
  it('a second submission of a form by a lead for a webinar, at /data/form_id', () => {
    const v = last([formSubmitted(), formSubmitted({ session_id: 's-other', form_payload: { rating: 1 } })]);
    rejected(v, 'FORM_ALREADY_SUBMITTED', '/data/form_id');
  });

  it('another form, another lead or another webinar is fine', () => {
    const verdicts = judgeAll([
      formSubmitted(),
      formSubmitted({ form_id: 'survey' }),
      formSubmitted({ lead_id: 'L-2', session_id: 's-2' }),
      formSubmitted({ webinar_id: 'W-2', session_id: 's-3' }),
    ]);
    assert.ok(verdicts.every((v) => v.status === 'accepted'));
  });

  it('a resubmittable form of the catalog may repeat; the others still may not', () => {
    const catalog = parseFormsCatalog({
      forms: { feedback: { resubmittable: true }, quiz: { resubmittable: false } },
    });
    const verdicts = judgeAll(
      [
        formSubmitted(),
        formSubmitted({ form_payload: { rating: 1 } }),
        formSubmitted({ form_payload: { rating: 2 } }),
        formSubmitted({ form_id: 'quiz' }),
        formSubmitted({ form_id: 'quiz', form_payload: {} }),
      ],
      new DryRunIntake(catalog),
    );
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['accepted', 'accepted', 'accepted', 'accepted', 'rejected'],
    );
    assert.deepEqual(errors(verdicts[4]!), [{ code: 'FORM_ALREADY_SUBMITTED', path: '/data/form_id' }]);
  });

  it('a malformed forms catalog is refused with a clear error', () => {
    assert.throws(() => parseFormsCatalog({ forms: [] }), /forms catalog/);
    assert.throws(() => parseFormsCatalog({ forms: { f: { resubmittable: 'yes' } } }), /resubmittable/);
    assert.throws(() => parseFormsCatalog(null), /forms catalog/);
  });
});

describe('SPEC §3 WEBINAR_TYPE_MISMATCH: webinar_type differs from the recorded one', () => {
  it('a later event with the other type, at /data/webinar_type', () => {
    const v = last([registered({ webinar_type: 'live' }), left({ webinar_type: 'auto' })]);
    rejected(v, 'WEBINAR_TYPE_MISMATCH', '/data/webinar_type');
  });

  it('the type is recorded per webinar, by whichever event comes first', () => {
    rejected(
      last([completed({ webinar_type: 'auto' }), registered({ lead_id: 'L-2', webinar_type: 'live' })]),
      'WEBINAR_TYPE_MISMATCH',
      '/data/webinar_type',
    );
    assert.equal(
      last([
        registered({ webinar_type: 'live' }),
        registered({ webinar_id: 'W-2', webinar_type: 'auto', slot_id: undefined }),
      ]).status,
      'accepted',
    );
  });
});

describe('SPEC §3 SESSION_MISMATCH: a session already bound to another lead or webinar', () => {
  it('another lead in the same session', () => {
    rejected(last([left(), completed({ lead_id: 'L-2' })]), 'SESSION_MISMATCH', '/data/session_id');
  });

  it('another webinar in the same session', () => {
    rejected(last([left(), completed({ webinar_id: 'W-2' })]), 'SESSION_MISMATCH', '/data/session_id');
  });

  it('through the sessionid of an entry, at /sessionid', () => {
    rejected(
      last([left({ session_id: 's-1' }), entered({ lead_id: 'L-2' }, { sessionid: 's-1' })]),
      'SESSION_MISMATCH',
      '/sessionid',
    );
    rejected(
      last([entered({}, { sessionid: 's-1' }), left({ lead_id: 'L-2', session_id: 's-1' })]),
      'SESSION_MISMATCH',
      '/data/session_id',
    );
    rejected(
      last([entered({ webinar_id: 'W-2' }, { sessionid: 's-1' }), left({ session_id: 's-1' })]),
      'SESSION_MISMATCH',
      '/data/session_id',
    );
  });

  it('an anonymous entry binds the session to the first lead that names it', () => {
    const anonymous = entered({ lead_id: undefined }, { sessionid: 's-1' });
    const verdicts = judgeAll([
      anonymous,
      left({ session_id: 's-1' }),
      completed({ session_id: 's-1', lead_id: 'L-2' }),
    ]);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['accepted', 'accepted', 'rejected'],
    );
    assert.deepEqual(errors(verdicts[2]!), [{ code: 'SESSION_MISMATCH', path: '/data/session_id' }]);
  });
});
