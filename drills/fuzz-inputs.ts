/**
 * The inputs of the `fuzz` drill, generated with fast-check from a seed: CloudEvents envelopes and payloads, valid
 * ones and ones broken at every depth (wrong types, missing and unknown keys, `__proto__` / `constructor` keys,
 * oversized and deeply nested values, unicode edge cases, SQL-looking and path-looking ids), batches of them, and
 * raw bodies (truncated JSON, non-UTF-8 bytes, a BOM, trailing garbage, wrong media types, bodies over the limit).
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CLIENT_EVENT_TYPES, SERVICE_EVENT_TYPES } from '../src/contract/events.js';
import { jsonText } from '../src/pipeline/ingest.js';

/** One HTTP request of the fuzz drill. */
export interface FuzzRequest {
  readonly kind: 'single' | 'batch' | 'raw';
  readonly body: Buffer;
  readonly contentType: string | undefined;
  /** `gzip` (the body is compressed; the service reads it decompressed) or a coding it refuses (415). */
  readonly contentEncoding?: string;
  /** How many events (inputs) the body holds: 1, or the length of a top-level array. */
  readonly inputs: number;
  /** Whether the service may refuse the whole body before judging it (413 too large, 415 media type). */
  readonly refusable: boolean;
}

const TYPES = CLIENT_EVENT_TYPES;

const OTHER_TYPES = [
  ...SERVICE_EVENT_TYPES,
  'CLIENT_WEBINAR_ENTERED',
  'client_webinar_entered ',
  'client_webinar',
  'com.example.unknown',
  '',
  '__proto__',
  'constructor',
];

/** Strings that have broken parsers, SQL, file paths and unicode handling before. */
export const NASTY_STRINGS = [
  "'; DROP TABLE events; --",
  "1' OR '1'='1",
  '" OR ""="',
  "'); DELETE FROM quarantine; --",
  '%; SELECT pg_sleep(10); --',
  '$1',
  '?',
  '\\x00',
  'NULL',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/v1/events?after=0&limit=1000',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'file:///etc/passwd',
  'C:\\Windows\\System32',
  '\\\\server\\share',
  '//evil.example/x',
  'webinar-events/attendance-classifier',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u200b',
  '\u202e\u0644\u0627',
  '\ufeff',
  '\uffff',
  '\ud800',
  '\udc00',
  'a\ud83dz',
  '\u2028\u2029',
  'e\u0301\u0301\u0301',
  '😀',
  '😀'.repeat(256),
  '😀'.repeat(257),
  'x'.repeat(256),
  'x'.repeat(257),
  'i'.repeat(128),
  'i'.repeat(129),
  'é'.repeat(300),
  'x'.repeat(10_000),
];

/** Marks the values planted under `__proto__`: a service that let them into a prototype would show them. */
export const POLLUTION_MARK = 'drill_polluted';

const codeUnitString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 12,
});

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: codeUnitString },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
);

/** Ids: mostly fresh and valid, some nasty (many of them still valid: SQL- and path-looking ids are just ids). */
const id = fc.oneof({ weight: 5, arbitrary: fc.uuid() }, { weight: 2, arbitrary: text });
/** Leads and webinars from small pools, so that emission rules (duplicates, conflicts, sessions) come into play. */
const lead = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }).map((n) => `L-${n}`) },
  { weight: 1, arbitrary: text },
);
const webinar = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 8 }).map((n) => `W-${n}`) },
  { weight: 1, arbitrary: text },
);
const session = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 60 }).map((n) => `S-${n}`) },
  { weight: 1, arbitrary: text },
);
const timestamp = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({
        min: new Date('2020-01-01T00:00:00Z'),
        max: new Date('2030-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2026-11-26T10:00:00+03:00',
      '2026-11-26T10:00:00-00:30',
      '2026-11-26T10:00:00.123456789Z',
      '2026-11-26T10:00:00',
      '2026-11-26 10:00:00Z',
      '2026-11-26t10:00:00z',
      '2026-13-40T99:99:99Z',
      '2027-02-29T00:00:00Z',
      '2026-12-31T23:59:60Z',
      '0000-00-00T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      'yesterday',
      '',
      '1732615200',
    ),
  },
);
const webinarType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('live', 'auto') },
  { weight: 1, arbitrary: fc.constantFrom('LIVE', 'recorded', '', 'live ') },
);

const formPayload = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
  },
  { weight: 1, arbitrary: fc.constant({ big: 'x'.repeat(16 * 1024) }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 60, max: 70 }).map((depth) => ({ deep: nested(depth, 'object') })),
  },
);

/** A value nested `depth` levels deep (arrays or objects), built without recursion. */
export function nested(depth: number, shape: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = shape === 'array' ? [value] : { a: value };
  return value;
}

type Obj = Record<string, unknown>;

/** JSON.stringify, also for values nested deeper than its recursion allows: the service's own. */
export const stringify = jsonText;

const dataOf: Record<(typeof TYPES)[number], fc.Arbitrary<Obj>> = {
  client_webinar_registered: fc.record(
    {
      lead_id: lead,
      webinar_id: webinar,
      webinar_type: webinarType,
      slot_id: text,
      registered_at: timestamp,
      source: fc.oneof(fc.constantFrom('landing', 'email', 'partner-page'), text),
    },
    { requiredKeys: ['lead_id', 'webinar_id', 'webinar_type', 'registered_at', 'source'] },
  ),
  client_webinar_entered: fc.record(
    { lead_id: lead, webinar_id: webinar, timestamp },
    { requiredKeys: ['webinar_id', 'timestamp'] },
  ),
  client_webinar_left: fc.record({
    lead_id: lead,
    webinar_id: webinar,
    webinar_type: webinarType,
    session_id: session,
    left_at: timestamp,
    leave_reason: fc.oneof(
      fc.constantFrom('user_exit', 'session_end', 'network_loss'),
      fc.stringMatching(/^[a-z][a-z0-9_]{0,70}$/),
      text,
    ),
  }),
  client_webinar_completed: fc.record({
    lead_id: lead,
    webinar_id: webinar,
    webinar_type: webinarType,
    session_id: session,
    completed_at: timestamp,
  }),
  client_webinar_form_submitted: fc.record({
    lead_id: lead,
    webinar_id: webinar,
    webinar_type: webinarType,
    session_id: session,
    submitted_at: timestamp,
    form_id: fc.oneof(fc.constantFrom('feedback', 'survey', 'materials_request'), text),
    form_payload: formPayload,
  }),
};

const envelope = fc.constantFrom(...TYPES).chain((type) =>
  fc.record(
    {
      specversion: fc.constant('1.0'),
      id,
      source: fc.oneof({ weight: 4, arbitrary: fc.constant('/drill-fuzz') }, { weight: 1, arbitrary: text }),
      type: fc.constant(type),
      time: timestamp,
      sessionid: session,
      datacontenttype: fc.constant('application/json'),
      subject: text,
      data: dataOf[type],
    },
    { requiredKeys: ['specversion', 'id', 'source', 'type', 'data'] },
  ),
);

/** Values of the wrong kind for any place: every JSON type, huge and deeply nested values. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.double() },
  { weight: 3, arbitrary: fc.boolean() },
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: text },
  { weight: 2, arbitrary: fc.constant(0).map(() => []) },
  { weight: 2, arbitrary: fc.constant(0).map(() => ({})) },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(20_000)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(65, 100, 1000, 5000, 20_000),
        fc.constantFrom<'array' | 'object'>('array', 'object'),
      )
      .map(([depth, shape]) => nested(depth, shape)),
  },
  {
    weight: 2,
    arbitrary: fc
      .constant(0)
      .map(() => ({ [POLLUTION_MARK]: true, specversion: '1.0', lead_id: 'L-polluted' })),
  },
);

const keyName = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'position',
    'causationid',
    'recordedat',
    'sessionid',
    'x',
    'ext1',
    'UPPER',
    'way_too_long_extension_name',
    '',
  ),
  fc.string({ maxLength: 24 }),
);

/** Sets an own, enumerable property even for `__proto__` (an assignment would change the prototype instead). */
function setOwn(target: Obj, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Every object or array inside `root`, with the keys it has, depth first. */
function containers(root: unknown): Array<Obj | unknown[]> {
  const out: Array<Obj | unknown[]> = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.length < 200) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    out.push(node as Obj);
    for (const value of Object.values(node)) stack.push(value);
  }
  return out;
}

interface Mutation {
  readonly op: 'set' | 'delete' | 'add' | 'type' | 'whole';
  readonly where: number;
  readonly key: string;
  readonly value: unknown;
  readonly type: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('set', 'set', 'set', 'delete', 'add', 'add', 'type', 'whole'),
  where: fc.nat(),
  key: keyName,
  value: wrongValue,
  type: fc.constantFrom(...OTHER_TYPES, ...TYPES),
});

function mutate(event: Obj, mutations: readonly Mutation[]): unknown {
  let root: unknown = event;
  const inserted = new Set<unknown>();
  for (const m of mutations) {
    // The same object twice could become a cycle (a value set inside itself).
    if (m.value !== null && typeof m.value === 'object') {
      if (inserted.has(m.value)) continue;
      inserted.add(m.value);
    }
    if (m.op === 'whole') {
      root = m.value;
      continue;
    }
    if (m.op === 'type') {
      if (root !== null && typeof root === 'object' && !Array.isArray(root)) (root as Obj)['type'] = m.type;
      continue;
    }
    const all = containers(root);
    if (all.length === 0) continue;
    const target = all[m.where % all.length]!;
    const keys = Object.keys(target);
    if (Array.isArray(target)) {
      if (m.op === 'delete') target.splice(m.where % Math.max(1, target.length), 1);
      else target[keys.length === 0 ? 0 : m.where % keys.length] = m.value;
    } else if (m.op === 'delete') {
      if (keys.length > 0) delete target[keys[m.where % keys.length]!];
    } else if (m.op === 'add' || keys.length === 0) {
      setOwn(target, m.key, m.value);
    } else {
      setOwn(target, keys[m.where % keys.length]!, m.value);
    }
  }
  return root;
}

/** One event-like value: a third valid, the rest broken by one to three mutations. */
const eventValue: fc.Arbitrary<unknown> = fc
  .tuple(envelope, fc.array(mutation, { minLength: 0, maxLength: 3 }), fc.nat(2))
  .map(([event, mutations, keep]) => (keep === 0 ? event : mutate(structuredClone(event), mutations)));

const MEDIA = fc.oneof(
  { weight: 24, arbitrary: fc.constant('application/json') },
  { weight: 6, arbitrary: fc.constant('application/cloudevents+json') },
  { weight: 6, arbitrary: fc.constant('application/cloudevents-batch+json') },
  { weight: 2, arbitrary: fc.constant('application/json; charset=utf-8') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/cloudevents+json; charset=utf-8',
      'application/json ; charset="utf-8"',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/jsonx',
      '',
      undefined,
    ),
  },
);

const INVALID_BYTES: ReadonlyArray<readonly number[]> = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

interface RawBody {
  readonly body: Buffer;
  /** Bodies made to be too large for the service: it may refuse them (413) without judging. */
  readonly oversized?: boolean;
}

const rawBody: fc.Arbitrary<RawBody> = fc.oneof(
  // Truncated JSON: an event (or a batch) cut anywhere.
  {
    weight: 10,
    arbitrary: fc
      .tuple(fc.oneof(eventValue, fc.array(eventValue, { maxLength: 4 })), fc.nat())
      .map(([value, cut]) => {
        const json = Buffer.from(stringify(value));
        return { body: json.subarray(0, cut % Math.max(1, json.length)) };
      }),
  },
  // Invalid UTF-8 inside otherwise good JSON text.
  {
    weight: 10,
    arbitrary: fc.tuple(eventValue, fc.nat(), fc.constantFrom(...INVALID_BYTES)).map(([value, at, bytes]) => {
      const json = Buffer.from(stringify(value));
      const i = at % (json.length + 1);
      return { body: Buffer.concat([json.subarray(0, i), Buffer.from(bytes), json.subarray(i)]) };
    }),
  },
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ body: Buffer.from(bytes) })) },
  // A BOM, UTF-16, trailing garbage, two documents, odd numbers, top-level scalars.
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        eventValue,
        fc.constantFrom('bom', 'utf16', 'garbage', 'two', 'numbers', 'scalar', 'dupkeys', 'empty', 'space'),
      )
      .map(([value, how]) => {
        const json = stringify(value);
        switch (how) {
          case 'bom':
            return { body: Buffer.from(`\ufeff${json}`) };
          case 'utf16':
            return { body: Buffer.from(json, 'utf16le') };
          case 'garbage':
            return { body: Buffer.from(`${json}}]garbage`) };
          case 'two':
            return { body: Buffer.from(`${json}\n${json}`) };
          case 'numbers':
            return {
              body: Buffer.from('{"specversion":1e999,"id":-0,"source":12345678901234567890123,"data":{}}'),
            };
          case 'scalar':
            return {
              body: Buffer.from(['null', 'true', '0', '"event"', '[]', '[[]]', '{}'][json.length % 7]!),
            };
          case 'dupkeys':
            return { body: Buffer.from(json.replace(/^\{/, '{"id":"dup-a","id":"dup-b",')) };
          case 'empty':
            return { body: Buffer.alloc(0) };
          default:
            return { body: Buffer.from(`  \n\t ${json} \r\n`) };
        }
      }),
  },
  // Deep nesting as text (the parser itself must cope), closed and unclosed.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(1000, 10_000, 100_000), fc.boolean(), fc.constantFrom('[', '{"a":'))
      .map(([depth, closed, open]) => ({
        body: Buffer.from(open.repeat(depth) + (closed ? (open === '[' ? ']' : '}').repeat(depth) : '')),
      })),
  },
);

/** Bodies over the 4 MiB limit, and batches over 1000 events: refused (413) before judging. */
const tooLarge: fc.Arbitrary<RawBody> = fc.constantFrom<RawBody>(
  { body: Buffer.from(`[${'0,'.repeat(1001)}0]`), oversized: true },
  { body: Buffer.from(JSON.stringify({ data: 'x'.repeat(4 * 1024 * 1024) })), oversized: true },
);

/** How many events a body holds, as the service will count them: a top-level array's length, else one. */
function inputsOf(body: Buffer): number {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
    return Array.isArray(value) ? value.length : 1;
  } catch {
    return 1;
  }
}

const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  {
    weight: 45,
    arbitrary: fc.tuple(eventValue, MEDIA).map(([value, contentType]): FuzzRequest => {
      const body = Buffer.from(stringify(value));
      return {
        kind: 'single',
        body,
        contentType,
        inputs: Array.isArray(value) ? value.length : 1,
        refusable: false,
      };
    }),
  },
  {
    weight: 30,
    arbitrary: fc
      .tuple(fc.array(eventValue, { minLength: 1, maxLength: 30 }), MEDIA)
      .map(([values, contentType]): FuzzRequest => {
        const body = Buffer.from(stringify(values));
        return { kind: 'batch', body, contentType, inputs: values.length, refusable: false };
      }),
  },
  {
    weight: 25,
    arbitrary: fc
      .tuple(fc.oneof({ weight: 500, arbitrary: rawBody }, { weight: 1, arbitrary: tooLarge }), MEDIA)
      .map(([raw, contentType]): FuzzRequest => ({
        kind: 'raw',
        body: raw.body,
        contentType,
        // A body over a limit is refused whole, never split into events: it counts as one input.
        inputs: raw.oversized === true ? 1 : inputsOf(raw.body),
        refusable: raw.oversized === true,
      })),
  },
);

const EVENT_MEDIA = /^application\/(json|cloudevents\+json|cloudevents-batch\+json)\s*(;.*)?$/i;

/**
 * Requests with `inputs` events in all, from `seed`. A request with a media type the service does not take may be
 * refused as a whole (415).
 */
export function* fuzzRequests(seed: number, inputs: number): Generator<FuzzRequest> {
  let total = 0;
  // Every 20th request re-sends an earlier single event as it was: a retry, answered `duplicate` (or the
  // rejection again) — the id-based deduplication under fuzz.
  const earlier: FuzzRequest[] = [];
  let n = 0;
  for (let chunk = 0; total < inputs && chunk < 1_000_000; chunk++) {
    for (const r of fc.sample(request, { numRuns: 200, seed: (seed + chunk * 7919) | 0 })) {
      const refusable = r.refusable || r.contentType === undefined || !EVENT_MEDIA.test(r.contentType);
      let fresh: FuzzRequest = { ...r, refusable };
      // One request in ten is sent gzip-compressed (judged as if plain), one in fifty with a coding the service
      // refuses whole (415).
      if (n % 10 === 3) fresh = { ...fresh, body: gzipSync(fresh.body), contentEncoding: 'gzip' };
      else if (n % 50 === 7) fresh = { ...fresh, contentEncoding: 'br', refusable: true };
      const resend = ++n % 20 === 0 && earlier.length > 0;
      const next = resend ? earlier[(n * 7919) % earlier.length]! : fresh;
      if (!resend && fresh.kind === 'single' && !fresh.refusable && earlier.length < 1000)
        earlier.push(fresh);
      yield next;
      total += next.inputs;
      if (total >= inputs) return;
    }
  }
}

/** A read or evaluation request with generated path and query parts (ids in paths are the nasty ones too). */
export interface FuzzRead {
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

/** Percent-encodes a path segment; a lone surrogate (which encodeURIComponent refuses) becomes invalid UTF-8. */
function segment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value.replace(/[\ud800-\udfff]/g, '\u0000'))]
      .map((b) => `%${b.toString(16).padStart(2, '0')}`)
      .join('')
      .replace(/%00/g, '%ED%A0%80');
  }
}

const queryValue = fc.oneof(
  fc.integer({ min: -5, max: 5000 }).map(String),
  fc.constantFrom(
    '',
    'abc',
    '1e3',
    '1e309',
    'Infinity',
    '-Infinity',
    'NaN',
    '0x10',
    '-0',
    '9007199254740993',
    '1.5',
    '%',
    '%zz',
    '[]',
    'null',
  ),
  text.map(segment),
);

const read: fc.Arbitrary<FuzzRead> = fc.oneof(
  fc.tuple(fc.oneof(lead, text), fc.option(fc.oneof(webinar, text))).map(([l, w]) => ({
    method: 'GET' as const,
    path: `/v1/leads/${segment(l)}/timeline${w === null ? '' : `?webinar_id=${segment(w)}`}`,
  })),
  fc.tuple(fc.oneof(webinar, text), queryValue, queryValue).map(([w, after, limit]) => ({
    method: 'GET' as const,
    path: `/v1/webinars/${segment(w)}/attendance?after=${after}&limit=${limit}`,
  })),
  fc
    .tuple(queryValue, queryValue, fc.oneof(fc.constantFrom(...TYPES, ...OTHER_TYPES), text))
    .map(([after, limit, type]) => ({
      method: 'GET' as const,
      path: `/v1/events?after=${after}&limit=${limit}&type=${segment(type)}`,
    })),
  fc.tuple(queryValue, queryValue).map(([after, limit]) => ({
    method: 'GET' as const,
    path: `/v1/rejections?after=${after}&limit=${limit}`,
  })),
  fc
    .oneof(webinar, text)
    .map((w) => ({ method: 'POST' as const, path: `/v1/webinars/${segment(w)}/evaluate` })),
  fc.constantFrom<FuzzRead>(
    { method: 'GET', path: '/v1/leads/%E0%A4%A/timeline' },
    { method: 'GET', path: '/v1/leads/%/timeline' },
    { method: 'GET', path: '/v1/webinars/%ED%A0%80/attendance' },
    { method: 'GET', path: '/v1/leads/..%2F..%2Fetc%2Fpasswd/timeline' },
    { method: 'GET', path: '/v1/../../etc/passwd' },
    { method: 'GET', path: `/v1/events?${'a=1&'.repeat(2000)}` },
    { method: 'GET', path: `/v1/leads/${'x'.repeat(5000)}/timeline` },
    { method: 'POST', path: '/v1/webinars//evaluate' },
  ),
);

/** `count` read and evaluation requests from `seed`. */
export function fuzzReads(seed: number, count: number): FuzzRead[] {
  return fc.sample(read, { numRuns: count, seed });
}
