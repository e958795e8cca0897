import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { payloadIssues } from '../../src/contract/payload-validator.js';
import { CLIENT_EVENT_TYPES, type ClientEventType } from '../../src/contract/events.js';
import type { ErrorCode } from '../../src/contract/codes.js';
import { judgeEvent } from '../../src/intake/envelope.js';
import { VALID_PAYLOADS, cloudEvent, payload } from './examples.js';

type Found = Array<{ code: ErrorCode; path: string }>;

function issuesOf(type: ClientEventType, data: Record<string, unknown>): Found {
  return payloadIssues(type, data).map(({ code, path }) => ({ code, path }));
}

function conforms(type: ClientEventType, changes: Record<string, unknown>): void {
  assert.deepEqual(issuesOf(type, payload(type, changes)), [], JSON.stringify(changes));
}

function invalid(type: ClientEventType, changes: Record<string, unknown>, path: string): void {
  assert.deepEqual(
    issuesOf(type, payload(type, changes)),
    [{ code: 'INVALID_FIELD', path }],
    JSON.stringify(changes),
  );
}

/** Contract string fields of each event (SPEC §2: 1–256 code points, no control characters). */
const TEXT_FIELDS: { readonly [T in ClientEventType]: readonly string[] } = {
  client_webinar_registered: ['lead_id', 'webinar_id', 'slot_id', 'source'],
  client_webinar_entered: ['lead_id', 'webinar_id'],
  client_webinar_left: ['lead_id', 'webinar_id', 'session_id'],
  client_webinar_completed: ['lead_id', 'webinar_id', 'session_id'],
  client_webinar_form_submitted: ['lead_id', 'webinar_id', 'session_id', 'form_id'],
};

const TIME_FIELDS: { readonly [T in ClientEventType]: string } = {
  client_webinar_registered: 'registered_at',
  client_webinar_entered: 'timestamp',
  client_webinar_left: 'left_at',
  client_webinar_completed: 'completed_at',
  client_webinar_form_submitted: 'submitted_at',
};

const OPTIONAL: ReadonlySet<string> = new Set([
  'client_webinar_registered/slot_id',
  'client_webinar_entered/lead_id',
]);

describe('SPEC §2 data matches the contract exactly', () => {
  for (const type of CLIENT_EVENT_TYPES) {
    it(`${type}: the valid example passes, also wrapped as a CloudEvent`, () => {
      assert.deepEqual(issuesOf(type, payload(type)), []);
      const judged = judgeEvent(cloudEvent(type, payload(type)));
      assert.deepEqual(judged.ok ? [] : judged.errors, []);
    });

    it(`${type}: each missing required field is MISSING_FIELD at /data/<field>`, () => {
      for (const field of Object.keys(VALID_PAYLOADS[type])) {
        const found = issuesOf(type, payload(type, { [field]: undefined }));
        if (OPTIONAL.has(`${type}/${field}`)) assert.deepEqual(found, [], field);
        else assert.deepEqual(found, [{ code: 'MISSING_FIELD', path: `/data/${field}` }], field);
      }
    });

    it(`${type}: an unknown top-level field is UNKNOWN_FIELD at /data/<field>`, () => {
      assert.deepEqual(issuesOf(type, payload(type, { extra: 'x' })), [
        { code: 'UNKNOWN_FIELD', path: '/data/extra' },
      ]);
      assert.deepEqual(issuesOf(type, payload(type, { 'a/b': 1 })), [
        { code: 'UNKNOWN_FIELD', path: '/data/a~1b' },
      ]);
    });

    it(`${type}: several problems are all reported, each at its field`, () => {
      const data = payload(type, { webinar_id: undefined, extra: 1, lead_id: 7 });
      const found = issuesOf(type, data);
      assert.deepEqual(
        found.toSorted((a, b) => a.path.localeCompare(b.path)),
        [
          { code: 'UNKNOWN_FIELD', path: '/data/extra' },
          { code: 'INVALID_FIELD', path: '/data/lead_id' },
          { code: 'MISSING_FIELD', path: '/data/webinar_id' },
        ],
      );
    });
  }

  it('entered: lead_id is optional ("if available")', () => {
    conforms('client_webinar_entered', { lead_id: undefined });
  });
});

describe('SPEC §2 strings are 1–256 code points without control characters', () => {
  for (const type of CLIENT_EVENT_TYPES) {
    it(`${type}: every string field (${TEXT_FIELDS[type].join(', ')})`, () => {
      for (const field of TEXT_FIELDS[type]) {
        const at = `/data/${field}`;
        invalid(type, { [field]: '' }, at);
        conforms(type, { [field]: 'x'.repeat(256) });
        conforms(type, { [field]: '😀'.repeat(256) });
        conforms(type, { [field]: 'Привет, 世界' });
        invalid(type, { [field]: 'x'.repeat(257) }, at);
        invalid(type, { [field]: '😀'.repeat(257) }, at);
        for (const control of ['\u0000', '\u001f', '\u007f', '\u0085', '\n', '\t']) {
          invalid(type, { [field]: `a${control}b` }, at);
        }
        invalid(type, { [field]: 'a\ud800b' }, at);
        invalid(type, { [field]: 'a\udc00' }, at);
        invalid(type, { [field]: 42 }, at);
        invalid(type, { [field]: true }, at);
        invalid(type, { [field]: null }, at);
        invalid(type, { [field]: ['L-1'] }, at);
      }
    });
  }
});

describe('SPEC §2 timestamps are RFC 3339 instants with an explicit offset (Z or ±hh:mm)', () => {
  const accepted = [
    '2026-11-26T10:00:00Z',
    '2026-11-26T10:00:00+03:00',
    '2026-11-26T10:00:00-05:30',
    '2026-11-26T10:00:00.5Z',
    '2028-02-29T00:00:00.123456789+05:30',
    // A leap second: only at 23:59:60 UTC, however the offset writes it.
    '2026-12-31T23:59:60Z',
    '2027-01-01T02:59:60+03:00',
    '2026-12-31T18:29:60-05:30',
  ];
  const rejected = [
    '2026-11-26T10:00:00',
    '2026-11-26T10:00:00+0300',
    '2026-11-26T10:00:00+03',
    '2026-11-26 10:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-26T24:00:00Z',
    '2026-11-26T10:60:00Z',
    '2026-11-26T10:00:60Z',
    '2026-12-31T23:59:60+03:00',
    '2026-12-31T23:59:61Z',
    '2026-11-26',
    '26.11.2026 10:00',
    '',
  ];
  for (const type of CLIENT_EVENT_TYPES) {
    const field = TIME_FIELDS[type];
    it(`${type}.${field}`, () => {
      for (const value of accepted) conforms(type, { [field]: value });
      for (const value of rejected) invalid(type, { [field]: value }, `/data/${field}`);
      invalid(type, { [field]: 1764151200 }, `/data/${field}`);
    });
  }
});

describe('SPEC §1 webinar_type is live | auto; slot_id only with live', () => {
  it('webinar_type outside the enum is INVALID_FIELD', () => {
    for (const type of CLIENT_EVENT_TYPES) {
      if (type === 'client_webinar_entered') continue;
      conforms(type, { webinar_type: 'auto', slot_id: undefined });
      for (const value of ['Live', 'recorded', '', 1]) {
        const found = issuesOf(type, payload(type, { webinar_type: value, slot_id: undefined }));
        assert.deepEqual(found, [{ code: 'INVALID_FIELD', path: '/data/webinar_type' }], `${type} ${value}`);
      }
    }
  });

  it('slot_id is allowed with live and optional there', () => {
    conforms('client_webinar_registered', { webinar_type: 'live', slot_id: 'slot-1' });
    conforms('client_webinar_registered', { webinar_type: 'live', slot_id: undefined });
  });

  it('slot_id with auto is INVALID_FIELD at /data/slot_id', () => {
    invalid('client_webinar_registered', { webinar_type: 'auto', slot_id: 'slot-1' }, '/data/slot_id');
  });

  it('slot_id is not a field of the other events', () => {
    assert.deepEqual(issuesOf('client_webinar_left', payload('client_webinar_left', { slot_id: 's' })), [
      { code: 'UNKNOWN_FIELD', path: '/data/slot_id' },
    ]);
  });
});

describe('SPEC §2 leave_reason matches ^[a-z][a-z0-9_]{0,63}$', () => {
  it('the documented reasons and other snake_case values pass', () => {
    for (const reason of ['user_exit', 'session_end', 'network_loss', 'x', 'tab_closed_2', 'a'.repeat(64)]) {
      conforms('client_webinar_left', { leave_reason: reason });
    }
  });

  it('anything else is INVALID_FIELD at /data/leave_reason', () => {
    for (const reason of ['', 'User_exit', '1abc', '_x', 'user-exit', 'user exit', 'a'.repeat(65), 'é', 3]) {
      invalid('client_webinar_left', { leave_reason: reason }, '/data/leave_reason');
    }
  });
});

describe('SPEC §2 form_payload is any JSON object of at most 16 KiB serialized', () => {
  const form = (formPayload: unknown): Found =>
    issuesOf(
      'client_webinar_form_submitted',
      payload('client_webinar_form_submitted', { form_payload: formPayload }),
    );
  const at = [{ code: 'INVALID_FIELD', path: '/data/form_payload' }];

  /** A payload whose JSON serialization is exactly `bytes` UTF-8 bytes long. */
  const sized = (bytes: number): Record<string, unknown> => ({ a: 'x'.repeat(bytes - '{"a":""}'.length) });

  it('any object passes, string limits do not apply inside it', () => {
    assert.deepEqual(form({}), []);
    assert.deepEqual(form({ answer: '', long: 'x'.repeat(5000), ctl: '\u0000', n: 1.5, a: [null, {}] }), []);
  });

  it('a non-object (array, string, null, number) is INVALID_FIELD', () => {
    for (const value of [[], [{ a: 1 }], 'text', null, 3])
      assert.deepEqual(form(value), at, JSON.stringify(value));
  });

  it('16384 bytes serialized pass; 16385 are INVALID_FIELD', () => {
    assert.equal(Buffer.byteLength(JSON.stringify(sized(16384))), 16384);
    assert.deepEqual(form(sized(16384)), []);
    assert.deepEqual(form(sized(16385)), at);
  });

  it('the size counts UTF-8 bytes, not characters', () => {
    const cyrillic = { a: 'я'.repeat(8200) }; // 8 200 characters, 16 400 bytes
    assert.deepEqual(form(cyrillic), at);
  });

  it('nesting up to 64 levels passes; deeper is INVALID_FIELD', () => {
    const nested = (depth: number): Record<string, unknown> => {
      let value: Record<string, unknown> = {};
      for (let i = 1; i < depth; i++) value = { n: value };
      return value;
    };
    assert.deepEqual(form(nested(64)), []);
    assert.deepEqual(form(nested(65)), at);
    assert.deepEqual(form(nested(5000)), at);
  });

  it('a __proto__ key inside form_payload is accepted as data and pollutes nothing', () => {
    const parsed = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}',
    ) as object;
    assert.deepEqual(form(parsed), []);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    const event = cloudEvent(
      'client_webinar_form_submitted',
      payload('client_webinar_form_submitted', { form_payload: parsed }),
    );
    const judged = judgeEvent(event);
    assert.ok(judged.ok && judged.event.type === 'client_webinar_form_submitted');
    assert.ok(Object.hasOwn(judged.event.data.form_payload, '__proto__'));
  });
});
