import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptedWith,
  completed,
  entered,
  formSubmitted,
  judgeAll,
  last,
  left,
  registered,
} from './streams.js';

describe('SPEC §3 out-of-order delivery is accepted with warnings, not rejected', () => {
  it('NO_PRIOR_REGISTRATION: an entry of a lead not registered for that webinar', () => {
    acceptedWith(last([entered()]), ['NO_PRIOR_REGISTRATION']);
    acceptedWith(last([registered({ webinar_id: 'W-2' }), entered()]), ['NO_PRIOR_REGISTRATION']);
    acceptedWith(last([registered(), entered()]), []);
  });

  it('NO_PRIOR_ENTRY: a left before its entered', () => {
    const verdicts = judgeAll([registered(), left({ session_id: 's-1' }), entered({}, { sessionid: 's-1' })]);
    acceptedWith(verdicts[1]!, ['NO_PRIOR_ENTRY']);
    acceptedWith(verdicts[2]!, []);
  });

  it('NO_PRIOR_ENTRY with NO_PRIOR_REGISTRATION: a completed with nothing before it', () => {
    acceptedWith(last([completed()]), ['NO_PRIOR_ENTRY', 'NO_PRIOR_REGISTRATION']);
    acceptedWith(last([formSubmitted()]), ['NO_PRIOR_ENTRY', 'NO_PRIOR_REGISTRATION']);
  });

  it('no NO_PRIOR_ENTRY when the session has an entry, even an anonymous one', () => {
    acceptedWith(
      last([
        registered(),
        entered({ lead_id: undefined }, { sessionid: 's-1' }),
        left({ session_id: 's-1' }),
      ]),
      [],
    );
  });

  it('no NO_PRIOR_ENTRY when the lead has an entry at that webinar in another (or no) session', () => {
    acceptedWith(
      last([registered(), entered({}, { sessionid: undefined }), completed({ session_id: 's-9' })]),
      [],
    );
    acceptedWith(
      last([registered(), entered({}, { sessionid: 's-1' }), formSubmitted({ session_id: 's-2' })]),
      [],
    );
  });

  it('an entry at another webinar does not count', () => {
    acceptedWith(last([registered(), entered({ webinar_id: 'W-2' }), completed()]), ['NO_PRIOR_ENTRY']);
  });

  it('ANONYMOUS_ENTRY: an entry without lead_id, with or without sessionid', () => {
    acceptedWith(last([entered({ lead_id: undefined }, { sessionid: 's-1' })]), ['ANONYMOUS_ENTRY']);
    acceptedWith(last([entered({ lead_id: undefined }, { sessionid: undefined })]), ['ANONYMOUS_ENTRY']);
  });

  it("ANONYMOUS_ENTRY's message says when the session already names the lead (attributed at once)", () => {
    const message = (v: ReturnType<typeof last>): string =>
      v.status === 'accepted' ? (v.warnings.find((w) => w.code === 'ANONYMOUS_ENTRY')?.message ?? '') : '';
    const known = last([
      registered(),
      left({ session_id: 's-1' }),
      entered({ lead_id: undefined }, { sessionid: 's-1' }),
    ]);
    assert.match(message(known), /attributed to lead "L-1", whom an earlier event of its session names/);
    const later = last([entered({ lead_id: undefined }, { sessionid: 's-2' })]);
    assert.match(message(later), /attributed to a lead when another event of its session names one/);
  });

  it('warnings carry a path and a message', () => {
    const v = last([completed()]);
    assert.ok(v.status === 'accepted');
    assert.ok(v.warnings.length > 0, 'a completion out of the blue carries warnings');
    for (const w of v.warnings) {
      assert.ok(w.path.startsWith('/'));
      assert.ok(w.message.length > 0);
    }
  });
});
