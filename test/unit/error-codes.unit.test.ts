import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DryRunIntake } from '../../src/intake/dry-run.js';
import type { Verdict } from '../../src/intake/verdict.js';
import { ERROR_CODES, WARNING_CODES, type ErrorCode, type WarningCode } from '../../src/contract/codes.js';
import { completed, entered, errors, formSubmitted, last, left, registered, warnings } from './streams.js';

describe('SPEC §3 MALFORMED_JSON: a line that is not JSON', () => {
  it('is rejected with id null at ""', () => {
    for (const text of ['', '{', '{"id":"e-1",}', "{'id':'x'}", 'undefined', 'NaN']) {
      const v = new DryRunIntake().judgeText(text);
      assert.equal(v.status, 'rejected');
      assert.equal(v.id, null);
      assert.deepEqual(errors(v), [{ code: 'MALFORMED_JSON', path: '' }]);
    }
  });

  it('judgeText of valid JSON judges the value', () => {
    assert.equal(new DryRunIntake().judgeText(JSON.stringify(entered())).status, 'accepted');
  });
});

const T1 = '2026-11-26T12:00:00Z';

/** One stream per code whose last verdict carries that code alone: every code of SPEC §3 is produced. */
const PRODUCERS: { readonly [C in ErrorCode | WarningCode]: () => Verdict } = {
  MALFORMED_JSON: () => new DryRunIntake().judgeText('{not json'),
  INVALID_ENVELOPE: () => last([entered({}, { specversion: '0.3' })]),
  UNKNOWN_EVENT: () => last([entered({}, { type: 'client_webinar_viewed' })]),
  RESERVED_EVENT: () => last([entered({}, { type: 'post_webinar_route' })]),
  MISSING_FIELD: () => last([left({ left_at: undefined })]),
  UNKNOWN_FIELD: () => last([left({ mood: 'ok' })]),
  INVALID_FIELD: () => last([left({ leave_reason: 'User Exit' })]),
  ID_CONFLICT: () => last([left({}, { id: 'i' }), left({ left_at: T1 }, { id: 'i' })]),
  ALREADY_REGISTERED: () => last([registered(), registered()]),
  REPEATED_IN_SESSION: () => last([completed(), completed()]),
  FORM_ALREADY_SUBMITTED: () => last([formSubmitted(), formSubmitted()]),
  WEBINAR_TYPE_MISMATCH: () => last([registered(), completed({ webinar_type: 'auto' })]),
  SESSION_MISMATCH: () => last([left(), completed({ lead_id: 'L-2' })]),
  NO_PRIOR_REGISTRATION: () => last([entered()]),
  NO_PRIOR_ENTRY: () => last([registered(), left()]),
  ANONYMOUS_ENTRY: () => last([entered({ lead_id: undefined })]),
};

describe('SPEC §3 every error and warning code is produced', () => {
  for (const code of [...Object.keys(ERROR_CODES), ...Object.keys(WARNING_CODES)] as Array<
    ErrorCode | WarningCode
  >) {
    it(code, () => {
      const v = PRODUCERS[code]();
      const codes = v.status === 'rejected' ? v.errors.map((e) => e.code) : warnings(v);
      assert.deepEqual(codes, [code], JSON.stringify(v));
    });
  }

  it('the code tables hold exactly the codes of SPEC §3', () => {
    assert.deepEqual(Object.keys(ERROR_CODES).toSorted(), [
      'ALREADY_REGISTERED',
      'FORM_ALREADY_SUBMITTED',
      'ID_CONFLICT',
      'INVALID_ENVELOPE',
      'INVALID_FIELD',
      'MALFORMED_JSON',
      'MISSING_FIELD',
      'REPEATED_IN_SESSION',
      'RESERVED_EVENT',
      'SESSION_MISMATCH',
      'UNKNOWN_EVENT',
      'UNKNOWN_FIELD',
      'WEBINAR_TYPE_MISMATCH',
    ]);
    assert.deepEqual(Object.keys(WARNING_CODES).toSorted(), [
      'ANONYMOUS_ENTRY',
      'NO_PRIOR_ENTRY',
      'NO_PRIOR_REGISTRATION',
    ]);
  });
});
