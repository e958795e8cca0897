import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  Harness,
  assertIssue,
  assertProblem,
  cloudEvent,
  codesOf,
  entered,
  formSubmitted,
  left,
  registered,
  warningsOf,
  withData,
  type Json,
} from './http-helpers.js';

/** Intake over HTTP: verdicts, every error code with its status, the quarantine, media types, limits (SPEC §2, §3, §7). */
describe('HTTP intake', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.close());

  /** Every input this suite had rejected: what it sent and the code it expects in the quarantine. */
  const quarantined: Array<{ raw: string; encoding: 'utf8' | 'base64'; code: string }> = [];

  const reject = async (body: Json | string | Buffer, status: number, code: string, path: string) => {
    const response = await h.post(body);
    const problem = assertProblem(response, status, code);
    assertIssue(problem, code, path);
    if (Buffer.isBuffer(body)) quarantined.push({ raw: body.toString('base64'), encoding: 'base64', code });
    else
      quarantined.push({
        raw: typeof body === 'string' ? body : JSON.stringify(body),
        encoding: 'utf8',
        code,
      });
    return problem;
  };

  it('§7: one accepted event answers 202 with its position and warnings', async () => {
    const response = await h.post(registered({ lead: 'L-a', webinar: 'W-a' }, { id: 'a-reg' }));
    assert.equal(response.statusCode, 202, response.body);
    const verdict = response.json<Json>();
    assert.equal(verdict['status'], 'accepted');
    assert.equal(verdict['id'], 'a-reg');
    assert.equal(typeof verdict['position'], 'number');
    assert.deepEqual(verdict['warnings'], []);

    const early = await h.post(entered({ lead: 'L-b', webinar: 'W-a' }, 'S-b', { id: 'b-entry' }));
    assert.equal(early.statusCode, 202, early.body);
    assert.deepEqual(warningsOf(early.json()), ['NO_PRIOR_REGISTRATION']);
    const warning = (early.json<Json>()['warnings'] as Json[])[0]!;
    assert.equal(warning['path'], '/data/lead_id');
    assert.equal(typeof warning['message'], 'string');
  });

  it('§3: the same source+id with the same content is a 200 duplicate with the original position, even with another time', async () => {
    const event = registered({ lead: 'L-dup', webinar: 'W-a' }, { time: '2026-11-26T10:00:00Z' });
    const first = await h.post(event);
    assert.equal(first.statusCode, 202, first.body);
    const position = first.json<Json>()['position'];
    for (const retry of [event, { ...event, time: '2026-11-27T08:00:00+03:00' }]) {
      const again = await h.post(retry);
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(again.json(), { status: 'duplicate', id: event['id'], position });
    }
  });

  it('§7: a batch answers 200 with one verdict per event in order and the counts', async () => {
    const a = registered({ lead: 'L-batch-a', webinar: 'W-a' });
    const bad = withData(registered({ lead: 'L-batch-x', webinar: 'W-a' }), { registered_at: 'yesterday' });
    const again = registered({ lead: 'L-batch-a', webinar: 'W-a' }); // another id: ALREADY_REGISTERED
    const b = entered({ lead: 'L-batch-b', webinar: 'W-a' }, 'S-batch-b');
    const response = await h.post([a, a, bad, b, again], {
      contentType: 'application/cloudevents-batch+json',
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{ results: Json[]; accepted: number; duplicates: number; rejected: number }>();
    assert.deepEqual(
      body.results.map((r) => [r['id'], r['status']]),
      [
        [a['id'], 'accepted'],
        [a['id'], 'duplicate'],
        [bad['id'], 'rejected'],
        [b['id'], 'accepted'],
        [again['id'], 'rejected'],
      ],
    );
    assert.equal(body.results[1]!['position'], body.results[0]!['position']);
    assertIssue(body.results[2]!, 'INVALID_FIELD', '/data/registered_at');
    assertIssue(body.results[4]!, 'ALREADY_REGISTERED', '/data/lead_id');
    assert.deepEqual(warningsOf(body.results[3]!), ['NO_PRIOR_REGISTRATION']);
    assert.deepEqual([body.accepted, body.duplicates, body.rejected], [2, 1, 2]);
    quarantined.push({ raw: JSON.stringify(bad), encoding: 'utf8', code: 'INVALID_FIELD' });
    quarantined.push({ raw: JSON.stringify(again), encoding: 'utf8', code: 'ALREADY_REGISTERED' });
    const odd = await h.post([null, 7]);
    assert.equal(odd.statusCode, 200, odd.body);
    const oddResults = odd.json<{ results: Json[] }>().results;
    assert.equal(oddResults.length, 2);
    for (const result of oddResults) assertIssue(result, 'INVALID_ENVELOPE', '');
    quarantined.push({ raw: 'null', encoding: 'utf8', code: 'INVALID_ENVELOPE' });
    quarantined.push({ raw: '7', encoding: 'utf8', code: 'INVALID_ENVELOPE' });
    // A rejected element is quarantined as written in the body, not re-serialized: its duplicate key, the
    // spelling of its number and its escape are what the producer sent (re-serializing kept "id":"dup-2" only,
    // 1.5 and "e").
    const written =
      '{"id":"dup-1","id":"dup-2","specversion":"1.0","source":"/x","type":"client_webinar_registered",' +
      '"data":{"lead_id":"L-raw","webinar_id":"W-raw","webinar_type":"live","registered_at":"2026-11-26T10:00:00Z",' +
      '"source":"\\u0065mail","extra":1.50}}';
    const asWritten = await h.post(
      `[ ${JSON.stringify(registered({ lead: 'L-raw2', webinar: 'W-raw' }))},\n  ${written} ]`,
    );
    assert.equal(asWritten.statusCode, 200, asWritten.body);
    const [fine, broken] = asWritten.json<{ results: Json[] }>().results;
    assert.equal(fine!['status'], 'accepted');
    assertIssue(broken!, 'UNKNOWN_FIELD', '/data/extra');
    quarantined.push({ raw: written, encoding: 'utf8', code: 'UNKNOWN_FIELD' });
    const empty = await h.post([]);
    assert.equal(empty.statusCode, 200, empty.body);
    assert.deepEqual(empty.json(), { results: [], accepted: 0, duplicates: 0, rejected: 0 });
    // The rejections did not prevent the others: both are stored.
    const timeline = await h.read<{ events: Json[] }>('/v1/leads/L-batch-b/timeline');
    assert.deepEqual(
      timeline.events.map((e) => e['id']),
      [b['id']],
    );
  });

  it('§3 MALFORMED_JSON: a body that is not JSON, or not UTF-8, is 400', async () => {
    await reject('{"specversion": "1.0", ', 400, 'MALFORMED_JSON', '');
    await reject(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), 400, 'MALFORMED_JSON', '');
    await reject('', 400, 'MALFORMED_JSON', '');
  });

  it('§3 INVALID_ENVELOPE: a missing or wrong CloudEvents attribute, a reserved extension or source is 422', async () => {
    const ok = (): Json => registered({ lead: 'L-env', webinar: 'W-a' });
    await reject({ ...ok(), specversion: '0.3' }, 422, 'INVALID_ENVELOPE', '/specversion');
    const noId = ok();
    delete noId['id'];
    await reject(noId, 422, 'INVALID_ENVELOPE', '/id');
    await reject({ ...ok(), id: 'x'.repeat(129) }, 422, 'INVALID_ENVELOPE', '/id');
    await reject({ ...ok(), source: '' }, 422, 'INVALID_ENVELOPE', '/source');
    await reject(
      { ...ok(), source: 'webinar-events/attendance-classifier' },
      422,
      'INVALID_ENVELOPE',
      '/source',
    );
    for (const reserved of ['position', 'causationid', 'recordedat']) {
      await reject({ ...ok(), [reserved]: 'x' }, 422, 'INVALID_ENVELOPE', `/${reserved}`);
    }
    await reject({ ...ok(), time: 'yesterday' }, 422, 'INVALID_ENVELOPE', '/time');
    await reject({ ...ok(), datacontenttype: 'text/plain' }, 422, 'INVALID_ENVELOPE', '/datacontenttype');
    await reject({ ...ok(), traceId: 'x' }, 422, 'INVALID_ENVELOPE', '/traceId');
    await reject({ ...ok(), data: 'text' }, 422, 'INVALID_ENVELOPE', '/data');
    await reject('42', 422, 'INVALID_ENVELOPE', '');
  });

  it('§3 UNKNOWN_EVENT and RESERVED_EVENT: a type outside the contract, or one only the service emits, is 422', async () => {
    const data = { lead_id: 'L-t', webinar_id: 'W-a', attended: true, timestamp: '2026-11-26T10:00:00Z' };
    await reject(cloudEvent('client_webinar_paused', data), 422, 'UNKNOWN_EVENT', '/type');
    await reject(cloudEvent('client_webinar_attendance_classified', data), 422, 'RESERVED_EVENT', '/type');
    await reject(
      cloudEvent('post_webinar_route', { ...data, status: 'attended' }),
      422,
      'RESERVED_EVENT',
      '/type',
    );
  });

  it('§3 MISSING_FIELD / UNKNOWN_FIELD / INVALID_FIELD: the payload against the contract is 422 with the field path', async () => {
    const reg = (): Json => registered({ lead: 'L-f', webinar: 'W-f' });
    await reject(withData(reg(), { registered_at: undefined }), 422, 'MISSING_FIELD', '/data/registered_at');
    await reject(withData(reg(), { color: 'red' }), 422, 'UNKNOWN_FIELD', '/data/color');
    const several = await reject(
      withData(reg(), { registered_at: undefined, color: 'red', lead_id: '' }),
      422,
      'MISSING_FIELD',
      '/data/registered_at',
    );
    assertIssue(several, 'UNKNOWN_FIELD', '/data/color');
    assertIssue(several, 'INVALID_FIELD', '/data/lead_id');
    await reject(
      withData(reg(), { registered_at: '2026-11-26T10:00:00' }),
      422,
      'INVALID_FIELD',
      '/data/registered_at',
    );
    await reject(
      withData(reg(), { webinar_type: 'auto', slot_id: 's-1' }),
      422,
      'INVALID_FIELD',
      '/data/slot_id',
    );
    await reject(withData(reg(), { lead_id: 'L'.repeat(257) }), 422, 'INVALID_FIELD', '/data/lead_id');
    await reject(withData(reg(), { lead_id: 'L\u0007' }), 422, 'INVALID_FIELD', '/data/lead_id');
    await reject(withData(reg(), { lead_id: 42 }), 422, 'INVALID_FIELD', '/data/lead_id');
    const lft = left({ lead: 'L-f', webinar: 'W-f' }, 'S-f');
    await reject(withData(lft, { leave_reason: 'User Exit' }), 422, 'INVALID_FIELD', '/data/leave_reason');
    const form = formSubmitted({ lead: 'L-f', webinar: 'W-f' }, 'S-f', 'feedback');
    await reject(
      withData(form, { form_payload: { text: 'x'.repeat(17 * 1024) } }),
      422,
      'INVALID_FIELD',
      '/data/form_payload',
    );
  });

  it('§2: extensions and optional attributes are kept and returned verbatim', async () => {
    const extra = {
      traceparent: '00-abc',
      retries: 3,
      flag: false,
      subject: 'sub',
      dataschema: 'https://x.test/s',
    };
    const event = registered(
      { lead: 'L-ext', webinar: 'W-ext' },
      { ...extra, time: '2026-11-26T13:00:00+03:00' },
    );
    await h.accept(event);
    const [stored] = (await h.read<{ events: Json[] }>('/v1/leads/L-ext/timeline')).events;
    const { position, recordedat, ...rest } = stored!;
    assert.equal(typeof position, 'number');
    assert.equal(typeof recordedat, 'string');
    assert.deepEqual(rest, event);
  });

  it('§3: concurrent retries of one event give one accepted and duplicates with its position', async () => {
    const event = registered({ lead: 'L-race', webinar: 'W-race' });
    const responses = await Promise.all(Array.from({ length: 8 }, () => h.post(event)));
    assert.deepEqual(responses.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 200, 200, 200, 202]);
    assert.equal(new Set(responses.map((r) => r.json<Json>()['position'])).size, 1);
  });

  it('§3 ID_CONFLICT: the same source+id with different content is 409', async () => {
    const event = registered({ lead: 'L-c', webinar: 'W-c' });
    await h.accept(event);
    await reject(withData(event, { source: 'other-page' }), 409, 'ID_CONFLICT', '/id');
  });

  it('§3 ALREADY_REGISTERED / REPEATED_IN_SESSION / FORM_ALREADY_SUBMITTED / WEBINAR_TYPE_MISMATCH / SESSION_MISMATCH are 409', async () => {
    const w = { lead: 'L-r', webinar: 'W-r' };
    await h.accept(registered(w), entered(w, 'S-r'), left(w, 'S-r'), formSubmitted(w, 'S-r', 'feedback'));
    await reject(registered(w), 409, 'ALREADY_REGISTERED', '/data/lead_id');
    await reject(entered(w, 'S-r'), 409, 'REPEATED_IN_SESSION', '/sessionid');
    await reject(left(w, 'S-r'), 409, 'REPEATED_IN_SESSION', '/data/session_id');
    await reject(formSubmitted(w, 'S-r', 'feedback'), 409, 'FORM_ALREADY_SUBMITTED', '/data/form_id');
    await reject(left({ ...w, type: 'auto' }, 'S-r2'), 409, 'WEBINAR_TYPE_MISMATCH', '/data/webinar_type');
    await reject(
      left({ lead: 'L-other', webinar: 'W-r' }, 'S-r'),
      409,
      'SESSION_MISMATCH',
      '/data/session_id',
    );
    await reject(entered({ lead: 'L-r', webinar: 'W-other' }, 'S-r'), 409, 'SESSION_MISMATCH', '/sessionid');
  });

  it('§3: every rejected input is kept, raw, with its errors in GET /v1/rejections, paged with next', async () => {
    const listed: Json[] = [];
    let after = 0;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 100);
      const page = await h.read<{ rejections: Json[]; next: number }>(
        `/v1/rejections?limit=4&after=${after}`,
      );
      assert.ok(page.rejections.length <= 4);
      if (page.rejections.length === 0) {
        assert.equal(page.next, after);
        break;
      }
      listed.push(...page.rejections);
      assert.ok(page.next > after);
      after = page.next;
    }
    assert.equal(listed.length, quarantined.length);
    for (const sent of quarantined) {
      const found = listed.find((r) => r['raw'] === sent.raw && r['raw_encoding'] === sent.encoding);
      assert.ok(found, `not quarantined: ${sent.raw.slice(0, 120)}`);
      assert.ok(codesOf(found).includes(sent.code), JSON.stringify(found));
      assert.ok(!Number.isNaN(Date.parse(String(found['received_at']))));
    }
  });

  it('§2: application/cloudevents+json and application/cloudevents-batch+json carry structured events', async () => {
    const one = await h.post(registered({ lead: 'L-m1', webinar: 'W-m' }), {
      contentType: 'application/cloudevents+json',
    });
    assert.equal(one.statusCode, 202, one.body);
    const charset = await h.post(registered({ lead: 'L-m2', webinar: 'W-m' }), {
      contentType: 'application/json; charset=utf-8',
    });
    assert.equal(charset.statusCode, 202, charset.body);
    const batch = await h.post([registered({ lead: 'L-m3', webinar: 'W-m' })], {
      contentType: 'application/cloudevents-batch+json',
    });
    assert.equal(batch.statusCode, 200, batch.body);
    assert.equal(batch.json<Json>()['accepted'], 1);
  });

  it('§2: other media types and binary mode answer 415', async () => {
    const event = registered({ lead: 'L-m4', webinar: 'W-m' });
    assertProblem(await h.post(event, { contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // A binary-mode CloudEvent: attributes in ce-* headers, the payload as the body.
    const postBinary = (contentType: string, id: string) =>
      h.post(JSON.stringify(event['data']), {
        contentType,
        headers: {
          'ce-specversion': '1.0',
          'ce-id': id,
          'ce-source': '/x',
          'ce-type': String(event['type']),
        },
      });
    const binary = await postBinary('application/octet-stream', 'bin-1');
    assertProblem(binary, 415, 'UNSUPPORTED_MEDIA_TYPE');
    // Binary mode with a JSON media type: its payload is not judged as a structured event (which would answer a
    // list of envelope errors and quarantine it); the answer says binary mode is the problem.
    const rejectionsBefore = (await h.read<{ rejections: Json[] }>('/v1/rejections?limit=1000')).rejections
      .length;
    const binaryJson = await postBinary('application/json', 'bin-2');
    assertProblem(binaryJson, 415, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(binaryJson.json<Json>()['detail'] as string, /binary mode is not supported/);
    const rejectionsAfter = (await h.read<{ rejections: Json[] }>('/v1/rejections?limit=1000')).rejections
      .length;
    assert.equal(
      rejectionsAfter,
      rejectionsBefore,
      'not quarantined: it was refused before its body was read',
    );
    // Nothing of them was stored.
    assert.equal((await h.post(event)).statusCode, 202);
  });

  it('a gzip body (Content-Encoding: gzip) is read decompressed; other codings answer 415 before it is read', async () => {
    const rejections = async () =>
      (await h.read<{ rejections: Json[] }>('/v1/rejections?limit=1000')).rejections;
    const send = (payload: Buffer | string, coding: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload,
        headers: { 'content-type': 'application/json', 'content-encoding': coding },
      });
    const a = registered({ lead: 'L-gz1', webinar: 'W-gz' });
    const b = registered({ lead: 'L-gz2', webinar: 'W-gz' });
    const one = await send(gzipSync(JSON.stringify(a)), 'gzip');
    assert.equal(one.statusCode, 202, one.body);
    const batch = await send(gzipSync(JSON.stringify([b, a])), 'x-gzip');
    assert.equal(batch.statusCode, 200, batch.body);
    assert.deepEqual(
      batch.json<{ results: Json[] }>().results.map((r) => r['status']),
      ['accepted', 'duplicate'],
    );
    const before = (await rejections()).length;
    for (const coding of ['br', 'deflate', 'gzip, gzip']) {
      const refused = await send(gzipSync(JSON.stringify(a)), coding);
      assertProblem(refused, 415, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(refused.json<Json>()['detail'] as string, /Content-Encoding: .*send it gzip-compressed/);
      assert.equal(refused.headers['accept-encoding'], 'gzip, identity');
    }
    assert.equal((await rejections()).length, before, 'refused codings: nothing read, nothing quarantined');
    // Bytes that are not gzip: MALFORMED_JSON, and what was sent is quarantined as it came (base64).
    const broken = Buffer.from('not gzip at all');
    assertProblem(await send(broken, 'gzip'), 400, 'MALFORMED_JSON');
    const kept = (await rejections()).at(-1)!;
    assert.equal(kept['raw_encoding'], 'base64');
    assert.equal(kept['raw'], broken.toString('base64'));
    // A small body that inflates past the body limit is stopped there: 413.
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 64 * 1024);
    const bombed = await send(bomb, 'gzip');
    assertProblem(bombed, 413, 'BODY_TOO_LARGE');
    assert.match(bombed.json<Json>()['detail'] as string, /decompressed/);
    // A body inflating far past the reservation's guess (×10) is topped up, taken, and released afterwards.
    const airy = gzipSync(
      `[${' '.repeat(2 * 1024 * 1024)}${JSON.stringify(registered({ lead: 'L-gz4', webinar: 'W-gz' }))}]`,
    );
    assert.ok(airy.length * 10 < 2 * 1024 * 1024);
    const spacious = await send(airy, 'gzip');
    assert.equal(spacious.statusCode, 200, spacious.body);
    const metrics = (await h.get('/metrics')).body;
    assert.match(metrics, /^webinar_events_http_body_bytes_reserved 0$/m);
    // Content-Encoding: identity is the plain body.
    const plain = await h.post(registered({ lead: 'L-gz3', webinar: 'W-gz' }), {
      headers: { 'content-encoding': 'identity' },
    });
    assert.equal(plain.statusCode, 202, plain.body);
  });

  it('GET /v1/rejections?before= reads the quarantine newest first, a page at a time; previous continues it', async () => {
    type Page = { rejections: Json[]; next: number; previous: number | null };
    const all = (await h.read<Page>('/v1/rejections?limit=1000')).rejections.map((r) => Number(r['seq']));
    assert.ok(all.length >= 3, 'earlier tests quarantined inputs');
    const newest = await h.read<Page>(`/v1/rejections?before=${Number.MAX_SAFE_INTEGER}&limit=2`);
    assert.deepEqual(
      newest.rejections.map((r) => r['seq']),
      all.slice(-2),
    );
    assert.equal(newest.next, all.at(-1));
    assert.equal(newest.previous, all.at(-2));
    // Backward page by page until an empty page (previous null) has seen every rejection once.
    const seen: number[] = [...newest.rejections.map((r) => Number(r['seq']))];
    let previous: number | null = newest.previous;
    while (previous !== null) {
      const page: Page = await h.read<Page>(`/v1/rejections?before=${previous}&limit=2`);
      seen.unshift(...page.rejections.map((r) => Number(r['seq'])));
      previous = page.previous;
    }
    assert.deepEqual(seen, all);
    // Nothing before the first: an empty page, previous null, and forward starts from 0.
    assert.deepEqual(await h.read<Page>(`/v1/rejections?before=${all[0]}`), {
      rejections: [],
      next: 0,
      previous: null,
    });
    assert.equal((await h.read<Page>(`/v1/rejections?before=${all[1]}`)).previous, null, 'the oldest page');
    // Forward pages say where they start too; after and before together are refused.
    assert.equal((await h.read<Page>(`/v1/rejections?after=${all[0]}&limit=1`)).previous, all[1]);
    assertProblem(await h.get('/v1/rejections?after=1&before=5'), 400, 'INVALID_REQUEST');
  });

  it('GET /v1/rejections?code=&origin= filters the quarantine on the server, forward and backward', async () => {
    type Page = { rejections: Json[]; next: number; previous: number | null };
    const all = (await h.read<Page>('/v1/rejections?limit=1000')).rejections;
    const codes = (r: Json): string[] => (r['errors'] as Array<{ code: string }>).map((e) => e.code);
    const seqs = (rows: Json[]): number[] => rows.map((r) => Number(r['seq']));
    const malformed = all.filter((r) => codes(r).includes('MALFORMED_JSON'));
    const conflicts = all.filter(
      (r) => codes(r).includes('MALFORMED_JSON') || codes(r).includes('ID_CONFLICT'),
    );
    assert.ok(malformed.length >= 2 && conflicts.length > malformed.length, 'earlier tests quarantined both');
    assert.ok(malformed.length < all.length);
    const read = async (query: string): Promise<Page> => h.read<Page>(`/v1/rejections?limit=1000&${query}`);
    assert.deepEqual(seqs((await read('code=MALFORMED_JSON')).rejections), seqs(malformed));
    assert.deepEqual(seqs((await read('code=MALFORMED_JSON,ID_CONFLICT')).rejections), seqs(conflicts));
    assert.deepEqual(seqs((await read('origin=http')).rejections), seqs(all), 'every one came over HTTP');
    assert.deepEqual((await read('origin=ingest')).rejections, []);
    // Newest first, one at a time: previous follows only the matching ones.
    const newest = await h.read<Page>(
      `/v1/rejections?before=${Number.MAX_SAFE_INTEGER}&limit=1&code=MALFORMED_JSON`,
    );
    assert.deepEqual(seqs(newest.rejections), seqs(malformed).slice(-1));
    assert.equal(newest.previous, Number(malformed.at(-1)!['seq']));
    const before = await h.read<Page>(`/v1/rejections?before=${newest.previous}&limit=1&code=MALFORMED_JSON`);
    assert.deepEqual(seqs(before.rejections), seqs(malformed).slice(-2, -1));
    assert.equal(
      (await h.read<Page>(`/v1/rejections?before=${Number(malformed[0]!['seq'])}&code=MALFORMED_JSON`))
        .previous,
      null,
    );
    // A tail with a filter: past its last match, an empty page moves `next` past what it examined (the quarantine's
    // head), and the next match still comes.
    const head = Math.max(...seqs(all));
    const registeredTwice = seqs(all.filter((r) => codes(r).includes('ALREADY_REGISTERED')));
    assert.ok(
      registeredTwice.length > 0 && registeredTwice.at(-1)! < head,
      'earlier tests made one, not last',
    );
    const quiet = await h.read<Page>(
      `/v1/rejections?code=ALREADY_REGISTERED&after=${registeredTwice.at(-1)}`,
    );
    assert.deepEqual(quiet.rejections, []);
    assert.equal(quiet.next, head);
    const unfiltered = await h.read<Page>(`/v1/rejections?after=${head}`);
    assert.equal(unfiltered.next, head, 'an unfiltered empty page gives back its after');
    assert.equal((await h.post(registered({ lead: 'L-tail', webinar: 'W-tail' }))).statusCode, 202);
    const again = await h.post(registered({ lead: 'L-tail', webinar: 'W-tail' }));
    assert.equal(again.statusCode, 409, again.body);
    const tail = await h.read<Page>(`/v1/rejections?code=ALREADY_REGISTERED&after=${quiet.next}`);
    assert.deepEqual(tail.rejections.map(codes), [['ALREADY_REGISTERED']]);
    assert.equal(tail.next, Number(tail.rejections[0]!['seq']));
    // The same parser as the CLI's --code: spaces after commas are fine, a lower-case code gets a hint.
    assert.deepEqual(seqs((await read('code=MALFORMED_JSON,%20ID_CONFLICT')).rejections), seqs(conflicts));
    const lower = await h.get('/v1/rejections?code=malformed_json');
    assertProblem(lower, 400, 'INVALID_REQUEST');
    assert.match(lower.json<Json>()['detail'] as string, /codes are upper case: MALFORMED_JSON/);
    for (const bad of [
      'code=',
      'code=lower',
      'code=A,,B',
      'code=NOT_A_CODE',
      'code=MALFORMED_JSON,FORM_ALREADY_SUBMITED',
      'origin=',
      'origin=%00',
      'origin=a%0Ab',
    ]) {
      assertProblem(await h.get(`/v1/rejections?${bad}`), 400, 'INVALID_REQUEST');
    }
  });

  it("the HTTP layer's own client errors keep a stable code of ours (a body shorter than its Content-Length)", async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: '{}',
      headers: { 'content-type': 'application/json', 'content-length': '10' },
    });
    assertProblem(response, 400, 'INVALID_REQUEST');
    assert.match(response.json<Json>()['detail'] as string, /Content-Length/);
  });

  it('a route that reads no body answers 415 to a body of another media type, saying so', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/webinars/W-nobody/evaluate',
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(response.json<Json>()['detail'] as string, /this route reads no body/);
  });

  it('§7: a body over 4 MiB answers 413 BODY_TOO_LARGE', async () => {
    const body = `[${' '.repeat(4 * 1024 * 1024)}]`;
    assertProblem(await h.post(body), 413, 'BODY_TOO_LARGE');
  });

  it('§7: a batch of more than 1000 events answers 413 BATCH_TOO_LARGE and stores none; 1000 are fine', async () => {
    const events = Array.from({ length: 1001 }, (_, i) =>
      registered({ lead: `L-big-${i}`, webinar: 'W-big' }),
    );
    assertProblem(await h.post(events), 413, 'BATCH_TOO_LARGE');
    const first = await h.post(events[0]!);
    assert.equal(first.statusCode, 202, 'nothing of the refused batch was stored');
    const thousand = await h.post(events.slice(1));
    assert.equal(thousand.statusCode, 200, thousand.body.slice(0, 300));
    assert.equal(thousand.json<Json>()['accepted'], 1000);
  });
});

describe('HTTP intake with a forms catalog', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      forms: { forms: { survey: { resubmittable: true }, quiz: { resubmittable: false } } },
    });
  });
  after(() => h.close());

  it('§3: a form listed resubmittable in the catalog may repeat; any other form allows one submission', async () => {
    const w = { lead: 'L-form', webinar: 'W-form' };
    await h.accept(registered(w), entered(w, 'S-form'));
    await h.accept(formSubmitted(w, 'S-form', 'survey'), formSubmitted(w, 'S-form', 'survey'));
    for (const form of ['quiz', 'feedback']) {
      await h.accept(formSubmitted(w, 'S-form', form));
      const again = await h.post(formSubmitted(w, 'S-form', form));
      assertIssue(
        assertProblem(again, 409, 'FORM_ALREADY_SUBMITTED'),
        'FORM_ALREADY_SUBMITTED',
        '/data/form_id',
      );
    }
    await h.drain();
    const report = await h.read<{ leads: Json[] }>('/v1/webinars/W-form/attendance');
    assert.equal(report.leads[0]?.['forms'], 4);
  });
});
