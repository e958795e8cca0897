import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertSafeListen, resolveConfig } from '../../src/config.js';
import {
  Harness,
  TOKENS,
  TOKENS_ENV,
  assertNoInternals,
  assertProblem,
  completed,
  entered,
  left,
  registered,
  type Json,
  type Response,
} from './http-helpers.js';

/** Bearer tokens with scopes, the open ops routes, safe errors and metrics (SPEC §7). */
describe('HTTP auth and ops', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ env: { WEBINAR_EVENTS_TOKENS: TOKENS_ENV } });
  });
  after(() => h.close());

  const READS = [
    '/v1/events',
    '/v1/rejections',
    '/v1/leads/L-1/timeline',
    '/v1/webinars/W-auth/attendance',
  ] as const;

  it('§7 security: without a token, or with an unknown one, every protected route is 401', async () => {
    for (const token of [null, 'not-a-configured-token-at-all', `${TOKENS.admin}x`]) {
      const post = await h.post(registered({ lead: 'L-x', webinar: 'W-auth' }), { token });
      assertProblem(post, 401, 'UNAUTHENTICATED');
      assert.equal(post.headers['www-authenticate'], 'Bearer');
      for (const url of READS) assertProblem(await h.get(url, { token }), 401, 'UNAUTHENTICATED');
      assertProblem(await h.evaluate('W-auth', { token }), 401, 'UNAUTHENTICATED');
    }
    const basic = await h.get('/v1/events', {
      token: null,
      headers: { authorization: `Basic ${Buffer.from(`read:${TOKENS.read}`).toString('base64')}` },
    });
    assertProblem(basic, 401, 'UNAUTHENTICATED');
  });

  it('§7 security: the ingest scope can POST events but cannot read or evaluate (403)', async () => {
    const token = TOKENS.ingest;
    const post = await h.post(registered({ lead: 'L-1', webinar: 'W-auth' }), { token });
    assert.equal(post.statusCode, 202, post.body);
    for (const url of READS) assertProblem(await h.get(url, { token }), 403, 'FORBIDDEN');
    assertProblem(await h.evaluate('W-auth', { token }), 403, 'FORBIDDEN');
  });

  it('§7 security: the read scope can read but cannot ingest or evaluate (403)', async () => {
    const token = TOKENS.read;
    for (const url of READS) assert.equal((await h.get(url, { token })).statusCode, 200, url);
    assertProblem(await h.post(registered({ lead: 'L-2', webinar: 'W-auth' }), { token }), 403, 'FORBIDDEN');
    assertProblem(await h.evaluate('W-auth', { token }), 403, 'FORBIDDEN');
  });

  it('§7 security: the admin scope evaluates and may do everything', async () => {
    const token = TOKENS.admin;
    const post = await h.post(entered({ lead: 'L-1', webinar: 'W-auth' }, 'S-auth-1'), { token });
    assert.equal(post.statusCode, 202, post.body);
    for (const url of READS) assert.equal((await h.get(url, { token })).statusCode, 200, url);
    await h.drain();
    const evaluation = await h.evaluate('W-auth', { token });
    assert.equal(evaluation.statusCode, 200, evaluation.body);
    assert.deepEqual(
      evaluation.json<{ classified: Json[] }>().classified.map((c) => c['lead_id']),
      ['L-1'],
    );
  });

  it('§7: /healthz, /readyz, /metrics, /v1/schema, /v1/asyncapi and /v1/openapi.json are open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/v1/schema', '/v1/asyncapi', '/v1/openapi.json']) {
      const response = await h.get(url, { token: null });
      assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 200)}`);
    }
    assert.deepEqual((await h.get('/healthz', { token: null })).json(), { status: 'ok' });
    const ready = (await h.get('/readyz', { token: null })).json<Json>();
    assert.equal(ready['status'], 'ready');
    assert.deepEqual(ready['checks'], { store: 'ok', store_writes: 'ok' });
  });

  it('§7 security: error bodies never contain stack traces or file paths', async () => {
    const ingest = { token: TOKENS.ingest };
    const responses: Response[] = [
      await h.post('{"oops', ingest),
      await h.post(Buffer.from([0xc3, 0x28]), ingest),
      await h.post('x', { ...ingest, contentType: 'text/plain' }),
      await h.post(`[${' '.repeat(4 * 1024 * 1024)}]`, ingest),
      await h.post({ specversion: '1.0' }, ingest),
      await h.post(registered({ lead: 'L-1', webinar: 'W-auth' }), ingest),
      await h.get('/v1/events', { token: null }),
      await h.get('/v1/events', ingest),
      await h.get('/v1/events?limit=abc', { token: TOKENS.read }),
      await h.get('/v1/nowhere', { token: TOKENS.read }),
      await h.app.inject({ method: 'DELETE', url: '/v1/events' }),
      await h.get('/v1/webinars/W-auth/attendance?limit=-1', { token: TOKENS.read }),
    ];
    assert.deepEqual(
      responses.map((r) => r.statusCode),
      [400, 400, 415, 413, 422, 409, 401, 403, 400, 404, 404, 400],
    );
    for (const response of responses) {
      assert.ok(response.statusCode >= 400, `${response.statusCode}: ${response.body.slice(0, 200)}`);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assertNoInternals(response);
    }
  });

  it('§7 metrics: GET /metrics exposes verdicts, classifications and routes after a story', async () => {
    const token = TOKENS.admin;
    const w = { lead: 'L-m', webinar: 'W-metrics' };
    const n = { lead: 'L-n', webinar: 'W-metrics' };
    for (const event of [
      registered(w),
      entered(w, 'S-m'),
      left(w, 'S-m'),
      completed(w, 'S-m'),
      entered(n, 'S-n'),
    ]) {
      assert.equal((await h.post(event, { token })).statusCode, 202);
    }
    await h.drain();
    assert.equal((await h.evaluate('W-metrics', { token })).statusCode, 200);
    await h.drain();

    const text = (await h.get('/metrics', { token: null })).body;
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `no ${series} in /metrics`);
      return Number(line.slice(series.length + 1));
    };
    // Accepted so far in this suite: 1 (ingest) + 1 (admin) + 5 (this story).
    assert.equal(value('webinar_events_verdicts_total{status="accepted"}'), 7);
    assert.ok(value('webinar_events_verdicts_total{status="rejected"}') >= 3);
    assert.equal(value('webinar_events_classifications_total{attended="true"}'), 1);
    assert.equal(value('webinar_events_classifications_total{attended="false"}'), 2);
    assert.equal(value('webinar_events_routes_total{status="attended"}'), 1);
    assert.equal(value('webinar_events_routes_total{status="not_attended"}'), 2);
    assert.ok(value('webinar_events_log_head_position') >= 13);
    assert.match(text, /webinar_events_rejection_errors_total\{code="ALREADY_REGISTERED"\} 1/);
  });

  it('§7: GET /v1/schema, /v1/asyncapi and /v1/openapi.json answer the documents', async () => {
    const schema = await h.get('/v1/schema', { token: null });
    assert.match(String(schema.headers['content-type']), /json/);
    const body = schema.json<Json>();
    assert.equal(body['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    const defs = Object.keys(body['$defs'] as Json);
    for (const type of [
      'client_webinar_registered',
      'client_webinar_entered',
      'client_webinar_left',
      'client_webinar_completed',
      'client_webinar_form_submitted',
      'client_webinar_attendance_classified',
      'post_webinar_route',
    ]) {
      assert.ok(defs.includes(type), `${type} missing from /v1/schema`);
    }
    const asyncapi = (await h.get('/v1/asyncapi', { token: null })).json<Json>();
    assert.match(String(asyncapi['asyncapi']), /^3\./);
    const openapi = (await h.get('/v1/openapi.json', { token: null })).json<Json>();
    assert.match(String(openapi['openapi']), /^3\./);
    const paths = Object.keys(openapi['paths'] as Json);
    for (const path of ['/v1/events', '/v1/rejections', '/v1/webinars/{webinar_id}/evaluate']) {
      assert.ok(paths.includes(path), `${path} missing from the OpenAPI document`);
    }
  });

  it('§7: the OpenAPI document describes the intake body, the problem answers, the scopes and the version', async () => {
    type Operation = { security?: unknown; responses: Record<string, Json>; requestBody?: Json };
    const openapi = (await h.get('/v1/openapi.json', { token: null })).json<Json>();
    const paths = openapi['paths'] as Record<string, Record<string, Operation>>;
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as Json;
    assert.equal((openapi['info'] as Json)['version'], pkg['version']);

    const intake = paths['/v1/events']!['post']!;
    const content = (intake.requestBody as { content: Record<string, { schema: Json }> }).content;
    assert.deepEqual(Object.keys(content).sort(), [
      'application/cloudevents+json',
      'application/cloudevents-batch+json',
      'application/json',
    ]);
    assert.deepEqual(content['application/cloudevents+json']!.schema, {
      $ref: '#/components/schemas/ClientEvent',
    });
    for (const status of ['400', '409', '413', '415', '422', '429', '503']) {
      const answer = intake.responses[status] as { content?: Record<string, { schema: Json }> } | undefined;
      assert.deepEqual(
        answer?.content?.['application/problem+json']?.schema,
        { $ref: '#/components/schemas/Problem' },
        `POST /v1/events ${status}`,
      );
    }
    // Scoped routes carry bearer security and its answers; open ones neither.
    assert.ok(paths['/v1/events']!['get']!.security !== undefined);
    assert.ok(paths['/v1/rejections']!['get']!.responses['401'] !== undefined);
    const health = paths['/healthz']!['get']!;
    assert.equal(health.security, undefined);
    assert.equal(health.responses['401'], undefined);
    assert.ok(paths['/readyz']!['get']!.responses['503'] !== undefined);

    // Every $ref of the document resolves to one of its components.
    const schemas = (openapi['components'] as { schemas: Json }).schemas;
    for (const type of [
      'Problem',
      'ClientEvent',
      'client_webinar_registered',
      'client_webinar_form_submitted',
    ]) {
      assert.ok(schemas[type] !== undefined, `components.schemas.${type}`);
    }
    const refs = JSON.stringify(openapi).match(/"\$ref":"[^"]*"/g) ?? [];
    assert.ok(refs.length > 10);
    for (const ref of new Set(refs)) {
      const name = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      assert.ok(name !== undefined && schemas[name] !== undefined, `unresolved ${ref}`);
    }
  });
});

describe('assertSafeListen', () => {
  it('§7 security: without tokens the server refuses to listen on a non-loopback address', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      assert.throws(() => assertSafeListen(resolveConfig({ host }, {})), /WEBINAR_EVENTS_TOKENS/, host);
    }
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      assert.doesNotThrow(() => assertSafeListen(resolveConfig({ host }, {})), host);
    }
    assert.doesNotThrow(() => assertSafeListen(resolveConfig({}, {})), 'the default host is loopback');
    assert.throws(() => assertSafeListen(resolveConfig({}, { HOST: '0.0.0.0' })));
  });

  it('§7 security: a token setting that names no token is refused at start, not taken as "tokens configured"', () => {
    // "," or " " used to pass the loopback check (the setting was present) while authentication, which skips
    // empty entries, stayed off: an open API on every interface.
    for (const value of [',', ' ', ' , ', ',,,']) {
      assert.throws(
        () => resolveConfig({ host: '0.0.0.0' }, { WEBINAR_EVENTS_TOKENS: value }),
        /WEBINAR_EVENTS_TOKENS is set but names no token/,
        JSON.stringify(value),
      );
      // The guard judges the parsed tokens too, whatever built the config.
      const config = { ...resolveConfig({ host: '0.0.0.0' }, {}), tokens: value };
      assert.throws(() => assertSafeListen(config), /WEBINAR_EVENTS_TOKENS/, JSON.stringify(value));
    }
    assert.throws(() => resolveConfig({}, { WEBINAR_EVENTS_TOKENS: 'root:abcdefghijklmnopqrst' }), /scope/);
    // A malformed entry is named by its number, never by its text: a typo must not print a token.
    for (const typo of [
      's3cr3t-token-abcdefgh',
      'ingest:ingest-token-123456,read-token-1234567',
      'read=read-token-1234567',
    ]) {
      assert.throws(
        () => resolveConfig({}, { WEBINAR_EVENTS_TOKENS: typo }),
        (error: Error) =>
          /WEBINAR_EVENTS_TOKENS: entry \d+ /.test(error.message) &&
          !/token-|s3cr3t/.test(error.message.replace('scope:token', '')),
        typo,
      );
    }
    // Unset or empty: no tokens, loopback only, as before.
    assert.equal(resolveConfig({}, { WEBINAR_EVENTS_TOKENS: '' }).tokens, undefined);
  });

  it('§7 security: with tokens configured a non-loopback address is allowed', () => {
    const env = { WEBINAR_EVENTS_TOKENS: TOKENS_ENV };
    for (const host of ['0.0.0.0', '::']) {
      assert.doesNotThrow(() => assertSafeListen(resolveConfig({ host }, env)), host);
    }
  });
});

describe('HTTP with a store that stops answering', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
    await h.accept(registered({ lead: 'L-down', webinar: 'W-down' }));
    await h.drain();
    await h.runtime.store.close();
  });
  after(() => h.close());

  it('§7: /readyz answers 503 and requests fail with 500 problem+json without internals', async () => {
    const ready = await h.get('/readyz');
    assert.equal(ready.statusCode, 503, ready.body);
    assert.equal(ready.json<Json>()['status'], 'not ready');
    assert.equal((await h.get('/healthz')).statusCode, 200);
    for (const response of [
      await h.get('/v1/events'),
      await h.get('/v1/webinars/W-down/attendance'),
      await h.evaluate('W-down'),
      await h.post(registered({ lead: 'L-down-2', webinar: 'W-down' })),
    ]) {
      assertProblem(response, 500, 'INTERNAL');
      assertNoInternals(response);
    }
  });
});
