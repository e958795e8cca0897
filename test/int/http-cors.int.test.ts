import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/config.js';
import { parseCorsOrigins } from '../../src/http/cors.js';
import { Harness, TOKENS, TOKENS_ENV, assertProblem, registered } from './http-helpers.js';

const PAGE = 'https://webinar.example.com';
const OTHER = 'https://evil.example.net';

const preflight = (h: Harness, origin: string, headers = 'authorization, content-type') =>
  h.app.inject({
    method: 'OPTIONS',
    url: '/v1/events',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': headers,
    },
  });

describe('CORS origins: parsing (WEBINAR_EVENTS_CORS_ORIGINS, --cors-origins)', () => {
  it('takes exact origins, trims and de-duplicates them; unset or empty means none', () => {
    assert.deepEqual(parseCorsOrigins(undefined, 'X'), []);
    assert.deepEqual(parseCorsOrigins(' ', 'X'), []);
    assert.deepEqual(parseCorsOrigins(`${PAGE}, http://localhost:3000,${PAGE}`, 'X'), [
      PAGE,
      'http://localhost:3000',
    ]);
    assert.deepEqual(parseCorsOrigins('*', 'X'), ['*']);
  });

  it('refuses what is not an origin, naming the setting and the value', () => {
    for (const bad of [
      `${PAGE}/`,
      `${PAGE}/page`,
      'webinar.example.com',
      'ftp://files.example.com',
      'https://user@webinar.example.com',
      `${PAGE}?x=1`,
    ]) {
      assert.throws(
        () => parseCorsOrigins(bad, 'WEBINAR_EVENTS_CORS_ORIGINS'),
        (error: Error) =>
          error.message.startsWith('WEBINAR_EVENTS_CORS_ORIGINS: ') && error.message.includes(`"${bad}"`),
        bad,
      );
    }
    assert.throws(() => parseCorsOrigins(`*,${PAGE}`, 'X'), /cannot be combined/);
  });

  it('the flag wins over the environment variable, and an error names the one used', () => {
    const env = { WEBINAR_EVENTS_CORS_ORIGINS: OTHER };
    assert.deepEqual(resolveConfig({ 'cors-origins': PAGE }, env).corsOrigins, [PAGE]);
    assert.deepEqual(resolveConfig({}, env).corsOrigins, [OTHER]);
    assert.deepEqual(resolveConfig({}, {}).corsOrigins, []);
    assert.throws(() => resolveConfig({ 'cors-origins': 'nope' }, {}), /^Error: --cors-origins: "nope"/);
  });
});

describe('CORS: a page on an allowed origin may call the API', () => {
  // The three cases with tokens and one allowed origin share one server.
  describe('with tokens and one allowed origin', () => {
    let h: Harness;
    before(async () => {
      h = await Harness.start({
        env: { WEBINAR_EVENTS_TOKENS: TOKENS_ENV, WEBINAR_EVENTS_CORS_ORIGINS: PAGE },
      });
    });
    after(() => h.close());

    it('answers the preflight of an allowed origin without a token, cached, with the headers it may send', async () => {
      const response = await preflight(h, PAGE);
      assert.equal(response.statusCode, 204);
      assert.equal(response.headers['access-control-allow-origin'], PAGE);
      const methods = String(response.headers['access-control-allow-methods']);
      assert.ok(methods.includes('POST') && methods.includes('GET'), methods);
      const allowed = String(response.headers['access-control-allow-headers']).toLowerCase();
      for (const header of ['authorization', 'content-type', 'last-event-id']) {
        assert.ok(allowed.includes(header), `${header} in ${allowed}`);
      }
      assert.equal(response.headers['access-control-max-age'], '600');
      assert.equal(response.headers['access-control-allow-credentials'], undefined, 'no credentials mode');
      assert.match(String(response.headers['vary']), /origin/i);
    });

    it('every answer to an allowed origin carries it, errors too, and Retry-After is readable', async () => {
      const event = registered({ lead: 'L-cors', webinar: 'W-cors' });
      const accepted = await h.post(event, { token: TOKENS.ingest, headers: { origin: PAGE } });
      assert.equal(accepted.statusCode, 202, accepted.body);
      assert.equal(accepted.headers['access-control-allow-origin'], PAGE);
      const exposed = String(accepted.headers['access-control-expose-headers']).toLowerCase();
      assert.ok(exposed.includes('retry-after') && exposed.includes('www-authenticate'), exposed);

      const unauthenticated = await h.post(event, { token: null, headers: { origin: PAGE } });
      assertProblem(unauthenticated, 401, 'UNAUTHENTICATED');
      assert.equal(unauthenticated.headers['access-control-allow-origin'], PAGE);

      const invalid = await h.post({ ...event, id: '' }, { token: TOKENS.ingest, headers: { origin: PAGE } });
      assert.equal(invalid.statusCode, 422);
      assert.equal(invalid.headers['access-control-allow-origin'], PAGE);

      const read = await h.get('/v1/events', { token: TOKENS.read, headers: { origin: PAGE } });
      assert.equal(read.statusCode, 200);
      assert.equal(read.headers['access-control-allow-origin'], PAGE);
    });

    it('another origin gets no CORS header, and its request is still judged by its token alone', async () => {
      const corsHeaders = (headers: Record<string, unknown>): string[] =>
        Object.keys(headers).filter((name) => name.startsWith('access-control-'));
      const response = await preflight(h, OTHER);
      assert.equal(response.statusCode, 404, 'no preflight answered for it');
      assert.deepEqual(corsHeaders(response.headers), []);
      const post = await h.post(registered({ lead: 'L-x', webinar: 'W-x' }), {
        token: null,
        headers: { origin: OTHER },
      });
      assertProblem(post, 401, 'UNAUTHENTICATED');
      assert.deepEqual(corsHeaders(post.headers), []);
    });
  });

  it('"*" allows any origin', async () => {
    const h = await Harness.start({ env: { WEBINAR_EVENTS_CORS_ORIGINS: '*' } });
    try {
      const response = await preflight(h, OTHER, 'content-type');
      assert.equal(response.statusCode, 204);
      assert.equal(response.headers['access-control-allow-origin'], '*');
      const post = await h.post(registered({ lead: 'L-any', webinar: 'W-any' }), {
        headers: { origin: OTHER },
      });
      assert.equal(post.statusCode, 202);
      assert.equal(post.headers['access-control-allow-origin'], '*');
    } finally {
      await h.close();
    }
  });

  it('without the setting there is no CORS at all: no headers, and OPTIONS is not a route', async () => {
    const h = await Harness.start();
    try {
      const response = await preflight(h, PAGE);
      assert.equal(response.statusCode, 404);
      assert.equal(response.headers['access-control-allow-origin'], undefined);
      const post = await h.post(registered({ lead: 'L-none', webinar: 'W-none' }), {
        headers: { origin: PAGE },
      });
      assert.equal(post.statusCode, 202);
      assert.equal(post.headers['access-control-allow-origin'], undefined);
    } finally {
      await h.close();
    }
  });
});
