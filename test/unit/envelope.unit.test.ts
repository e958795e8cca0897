import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeEvent, type Judgement } from '../../src/intake/envelope.js';
import { DryRunIntake } from '../../src/intake/dry-run.js';
import type { ErrorCode } from '../../src/contract/codes.js';
import { cloudEvent, payload, validEvent } from './examples.js';

function errorsOf(judgement: Judgement): Array<{ code: ErrorCode; path: string }> {
  assert.equal(judgement.ok, false, 'expected a rejection');
  if (judgement.ok) return [];
  for (const issue of judgement.errors) assert.ok(issue.message.length > 0, 'every error has a message');
  return judgement.errors.map(({ code, path }) => ({ code, path }));
}

/** The entered example with `extra` applied must be rejected with exactly one error `code` at `path`. */
function rejectsWith(
  extra: Record<string, unknown>,
  path: string,
  code: ErrorCode = 'INVALID_ENVELOPE',
): void {
  const event = validEvent('client_webinar_entered', extra);
  assert.deepEqual(errorsOf(judgeEvent(event)), [{ code, path }]);
}

function accepts(event: Record<string, unknown>): void {
  const judgement = judgeEvent(event);
  assert.deepEqual(judgement.ok ? [] : judgement.errors, []);
}

describe('SPEC §2 required attributes: specversion "1.0", id 1–128 chars, source, type, data object', () => {
  it('the example of SPEC §2 is a valid event', () => {
    accepts(
      JSON.parse(
        '{"specversion":"1.0","id":"e-7f3a","source":"/webinar-room","type":"client_webinar_entered",' +
          '"time":"2026-11-26T10:00:00Z","sessionid":"s-42",' +
          '"data":{"lead_id":"L-1","webinar_id":"W-9","timestamp":"2026-11-26T10:00:00Z"}}',
      ) as Record<string, unknown>,
    );
  });

  it('specversion missing or other than "1.0" is INVALID_ENVELOPE at /specversion', () => {
    rejectsWith({ specversion: undefined }, '/specversion');
    rejectsWith({ specversion: '0.3' }, '/specversion');
    rejectsWith({ specversion: 1 }, '/specversion');
  });

  it('id missing, empty, non-string or over 128 code points is INVALID_ENVELOPE at /id', () => {
    rejectsWith({ id: undefined }, '/id');
    rejectsWith({ id: '' }, '/id');
    rejectsWith({ id: 42 }, '/id');
    rejectsWith({ id: 'x'.repeat(129) }, '/id');
    rejectsWith({ id: '😀'.repeat(129) }, '/id');
  });

  it('id of exactly 128 code points (astral ones included) is accepted', () => {
    accepts(validEvent('client_webinar_entered', { id: 'x'.repeat(128) }));
    accepts(validEvent('client_webinar_entered', { id: '😀'.repeat(128) }));
  });

  it('source missing, empty or starting with the reserved "webinar-events/" is INVALID_ENVELOPE at /source', () => {
    rejectsWith({ source: undefined }, '/source');
    rejectsWith({ source: '' }, '/source');
    rejectsWith({ source: 'webinar-events/attendance-classifier' }, '/source');
    rejectsWith({ source: 'webinar-events/anything' }, '/source');
    accepts(validEvent('client_webinar_entered', { source: 'https://example.com/webinar-events/' }));
  });

  it('type missing or non-string is INVALID_ENVELOPE at /type', () => {
    rejectsWith({ type: undefined }, '/type');
    rejectsWith({ type: 7 }, '/type');
    rejectsWith({ type: ['client_webinar_entered'] }, '/type');
  });

  it('data missing, an array, null or a string is INVALID_ENVELOPE at /data', () => {
    rejectsWith({ data: undefined }, '/data');
    rejectsWith({ data: [payload('client_webinar_entered')] }, '/data');
    rejectsWith({ data: null }, '/data');
    rejectsWith({ data: '{"lead_id":"L-1"}' }, '/data');
  });

  it('data_base64 (binary data) is not supported: INVALID_ENVELOPE', () => {
    const event = validEvent('client_webinar_entered', { data: undefined, data_base64: 'e30=' });
    const errors = errorsOf(judgeEvent(event));
    assert.ok(errors.every((e) => e.code === 'INVALID_ENVELOPE'));
    assert.ok(errors.some((e) => e.path === '/data'));
    assert.ok(errors.some((e) => e.path === '/data_base64'));
  });

  it('an event that is not a JSON object is INVALID_ENVELOPE at "" with id null', () => {
    for (const value of [[validEvent('client_webinar_entered')], 42, null, 'event', true, undefined]) {
      const judgement = judgeEvent(value);
      assert.deepEqual(errorsOf(judgement), [{ code: 'INVALID_ENVELOPE', path: '' }]);
      assert.equal(judgement.ok ? 'ok' : judgement.id, null);
    }
  });

  it('a rejected event reports its id when it has a string id', () => {
    const judgement = judgeEvent(validEvent('client_webinar_entered', { id: 'mine', specversion: '2.0' }));
    assert.equal(judgement.ok ? 'ok' : judgement.id, 'mine');
  });
});

describe('SPEC §2 optional attributes: time, datacontenttype, dataschema, subject', () => {
  it('time must be an RFC 3339 instant with an explicit offset', () => {
    rejectsWith({ time: '2026-11-26 10:00:00Z' }, '/time');
    rejectsWith({ time: '2026-11-26T10:00:00' }, '/time');
    rejectsWith({ time: 1764151200 }, '/time');
    accepts(validEvent('client_webinar_entered', { time: '2026-11-26T13:00:00+03:00' }));
    accepts(validEvent('client_webinar_entered', { time: undefined }));
  });

  it('datacontenttype other than application/json is INVALID_ENVELOPE', () => {
    rejectsWith({ datacontenttype: 'text/plain' }, '/datacontenttype');
    rejectsWith({ datacontenttype: 'application/xml' }, '/datacontenttype');
    accepts(validEvent('client_webinar_entered', { datacontenttype: 'application/json' }));
  });

  it('dataschema must be an absolute URI', () => {
    rejectsWith({ dataschema: 'not a uri' }, '/dataschema');
    rejectsWith({ dataschema: '/relative/path' }, '/dataschema');
    rejectsWith({ dataschema: 12 }, '/dataschema');
    accepts(validEvent('client_webinar_entered', { dataschema: 'https://example.com/s.json' }));
  });

  it('a dataschema over 2048 characters says so, not that it is no URI', () => {
    const uri = (n: number): string => `http://x/${'a'.repeat(n - 9)}`;
    accepts(validEvent('client_webinar_entered', { dataschema: uri(2048) }));
    const judgement = judgeEvent(validEvent('client_webinar_entered', { dataschema: uri(2049) }));
    assert.ok(!judgement.ok);
    assert.deepEqual(
      judgement.errors.map((e) => [e.path, e.message]),
      [['/dataschema', 'dataschema must be at most 2048 characters']],
    );
  });

  it('subject, when present, is a contract string', () => {
    rejectsWith({ subject: '' }, '/subject');
    accepts(validEvent('client_webinar_entered', { subject: 'lead L-1' }));
  });
});

describe('SPEC §2 extensions: named [a-z0-9]{1,20}, kept verbatim, position/causationid/recordedat reserved', () => {
  it('extension names not matching [a-z0-9]{1,20} are INVALID_ENVELOPE at their pointer', () => {
    rejectsWith({ Trace: 'x' }, '/Trace');
    rejectsWith({ 'my-ext': 'x' }, '/my-ext');
    rejectsWith({ my_ext: 'x' }, '/my_ext');
    rejectsWith({ a: 'x', ['a'.repeat(21)]: 'x' }, `/${'a'.repeat(21)}`);
    rejectsWith({ 'a/b~c': 'x' }, '/a~1b~0c');
    accepts(validEvent('client_webinar_entered', { ['a'.repeat(20)]: 'x' }));
  });

  it('the reserved extensions position, causationid and recordedat are INVALID_ENVELOPE', () => {
    rejectsWith({ position: 3 }, '/position');
    rejectsWith({ causationid: 'e-1' }, '/causationid');
    rejectsWith({ recordedat: '2026-11-26T10:00:00Z' }, '/recordedat');
  });

  it('warnings is reserved too: the timeline and the stream add the service warnings under that name', () => {
    // Before it was reserved, a client's `warnings: "hello"` was accepted and every timeline read of that lead
    // failed (500): the response declares `warnings` as the service's list of warnings.
    rejectsWith({ warnings: 'hello' }, '/warnings');
    rejectsWith({ warnings: true }, '/warnings');
    const judged = judgeEvent({ ...validEvent('client_webinar_entered'), warnings: 'x' });
    assert.ok(!judged.ok);
    assert.match(judged.errors[0]!.message, /reserved/);
  });

  it('extension values must be strings, booleans or 32-bit integers: object/array/null/float are rejected', () => {
    rejectsWith({ traceparent: { a: 1 } }, '/traceparent');
    rejectsWith({ traceparent: ['a'] }, '/traceparent');
    rejectsWith({ traceparent: null }, '/traceparent');
    rejectsWith({ traceparent: 1.5 }, '/traceparent');
    rejectsWith({ traceparent: 2 ** 31 }, '/traceparent');
    const judgement = judgeEvent(validEvent('client_webinar_entered', { ext1: 2 ** 31 }));
    assert.ok(!judgement.ok);
    assert.equal(
      judgement.errors[0]!.message,
      'ext1 must be a 32-bit integer (from -2147483648 to 2147483647) when it is a number',
    );
  });

  it('extensions are kept verbatim in event.envelope', () => {
    const event = validEvent('client_webinar_entered', { trace: 'abc', flag: false, n: -3, subject: 'S' });
    const judgement = judgeEvent(event);
    assert.ok(judgement.ok);
    assert.deepEqual(judgement.event.envelope, event);
    assert.equal(judgement.event.envelope['trace'], 'abc');
    assert.equal(judgement.event.envelope['flag'], false);
    assert.equal(judgement.event.envelope['n'], -3);
    assert.equal(judgement.event.sessionid, 's-42');
  });

  it('sessionid must be a non-empty contract string', () => {
    rejectsWith({ sessionid: 42 }, '/sessionid');
    rejectsWith({ sessionid: true }, '/sessionid');
    rejectsWith({ sessionid: '' }, '/sessionid');
  });

  it('sessionid contradicting data.session_id of the same event is INVALID_ENVELOPE at /sessionid', () => {
    const event = validEvent('client_webinar_left', { sessionid: 's-other' });
    assert.deepEqual(errorsOf(judgeEvent(event)), [{ code: 'INVALID_ENVELOPE', path: '/sessionid' }]);
    accepts(validEvent('client_webinar_left', { sessionid: 's-42' }));
  });
});

describe('SPEC §3 event types: UNKNOWN_EVENT and RESERVED_EVENT', () => {
  it('a type that is not a canonical client webinar event is UNKNOWN_EVENT at /type', () => {
    for (const type of ['client_webinar_viewed', 'CLIENT_WEBINAR_ENTERED', '', 'com.example.x']) {
      rejectsWith({ type }, '/type', 'UNKNOWN_EVENT');
    }
  });

  it('client_webinar_attendance_classified and post_webinar_route are RESERVED_EVENT at /type', () => {
    const classified = cloudEvent('client_webinar_attendance_classified', {
      lead_id: 'L-1',
      webinar_id: 'W-9',
      attended: true,
      timestamp: '2026-11-26T12:00:00Z',
    });
    assert.deepEqual(errorsOf(judgeEvent(classified)), [{ code: 'RESERVED_EVENT', path: '/type' }]);
    const route = cloudEvent('post_webinar_route', {
      status: 'attended',
      lead_id: 'L-1',
      webinar_id: 'W-9',
      attended: true,
      timestamp: '2026-11-26T12:00:00Z',
    });
    assert.deepEqual(errorsOf(judgeEvent(route)), [{ code: 'RESERVED_EVENT', path: '/type' }]);
  });
});

describe('hostile keys: __proto__ and constructor never pollute Object.prototype', () => {
  const text = (
    extra: string,
    data = '{"lead_id":"L-1","webinar_id":"W-9","timestamp":"2026-11-26T10:00:00Z"}',
  ) =>
    `{"specversion":"1.0","id":"e-p","source":"/s","type":"client_webinar_entered",${extra}"data":${data}}`;

  function judgedWithoutPollution(line: string): ReturnType<DryRunIntake['judgeText']> {
    const verdict = new DryRunIntake().judgeText(line);
    const probe: Record<string, unknown> = {};
    assert.equal(probe['polluted'], undefined);
    assert.equal(probe['data'], undefined);
    assert.equal(Object.getPrototypeOf(probe), Object.prototype);
    assert.ok(['accepted', 'duplicate', 'rejected'].includes(verdict.status));
    return verdict;
  }

  it('a top-level __proto__ is an invalid extension name, not a prototype', () => {
    const verdict = judgedWithoutPollution(text('"__proto__":{"polluted":"yes","data":{}},'));
    assert.equal(verdict.status, 'rejected');
    assert.ok(verdict.status === 'rejected' && verdict.errors.some((e) => e.path === '/__proto__'));
  });

  it('a top-level __proto__ cannot supply the missing data', () => {
    const line =
      '{"specversion":"1.0","id":"e-p","source":"/s","type":"client_webinar_entered",' +
      '"__proto__":{"data":{"lead_id":"L-1","webinar_id":"W-9","timestamp":"2026-11-26T10:00:00Z"}}}';
    const verdict = judgedWithoutPollution(line);
    assert.ok(verdict.status === 'rejected' && verdict.errors.some((e) => e.path === '/data'));
  });

  it('a top-level constructor gets a verdict like any extension', () => {
    assert.equal(judgedWithoutPollution(text('"constructor":{"polluted":1},')).status, 'rejected');
    assert.equal(judgedWithoutPollution(text('"constructor":"x",')).status, 'accepted');
  });

  it('__proto__ and constructor inside data are UNKNOWN_FIELD', () => {
    const data =
      '{"lead_id":"L-1","webinar_id":"W-9","timestamp":"2026-11-26T10:00:00Z","__proto__":{"polluted":1}}';
    const verdict = judgedWithoutPollution(text('', data));
    assert.ok(verdict.status === 'rejected');
    assert.deepEqual(
      verdict.errors.map(({ code, path }) => ({ code, path })),
      [{ code: 'UNKNOWN_FIELD', path: '/data/__proto__' }],
    );
    const withConstructor = data.replace('__proto__', 'constructor');
    const second = judgedWithoutPollution(text('', withConstructor));
    assert.ok(second.status === 'rejected');
    assert.deepEqual(
      second.errors.map(({ code, path }) => ({ code, path })),
      [{ code: 'UNKNOWN_FIELD', path: '/data/constructor' }],
    );
  });
});
