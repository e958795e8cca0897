import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openRuntime, resolveConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { Harness, TOKENS, TOKENS_ENV, assertProblem, registered } from './http-helpers.js';
import { freshSchema, postgresUrl, serviceAvailable } from './services.js';

describe('per-token rate limit (WEBINAR_EVENTS_RATE_LIMIT)', () => {
  it('answers 429 with Retry-After past the rate, per token', async () => {
    const h = await Harness.start({
      env: { WEBINAR_EVENTS_TOKENS: TOKENS_ENV, WEBINAR_EVENTS_RATE_LIMIT: '2' },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await h.get('/v1/events', { token: TOKENS.read })).statusCode);
      }
      assert.deepEqual(statuses.slice(0, 2), [200, 200]);
      const limited = await h.get('/v1/events', { token: TOKENS.read });
      assertProblem(limited, 429, 'RATE_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      // Another token has its own bucket; health routes are never limited.
      assert.equal((await h.get('/v1/events', { token: TOKENS.admin })).statusCode, 200);
      assert.equal((await h.get('/healthz')).statusCode, 200);
    } finally {
      await h.close();
    }
  });

  it('wrong tokens are limited too, per address: guessing gets 429, not an endless stream of 401', async () => {
    const h = await Harness.start({
      env: { WEBINAR_EVENTS_TOKENS: TOKENS_ENV, WEBINAR_EVENTS_RATE_LIMIT: '2' },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await h.get('/v1/events', { token: `guess-${i}-aaaaaaaaaaaaaaaa` })).statusCode);
      }
      assert.deepEqual(statuses.slice(0, 2), [401, 401]);
      assert.equal(statuses[3], 429);
      // A valid token has its own bucket, untouched by the guesses.
      assert.equal((await h.get('/v1/events', { token: TOKENS.read })).statusCode, 200);
    } finally {
      await h.close();
    }
  });

  it('a rate that is not a positive number is a configuration error', () => {
    assert.throws(
      () => resolveConfig({}, { WEBINAR_EVENTS_RATE_LIMIT: 'lots' }),
      /WEBINAR_EVENTS_RATE_LIMIT/,
    );
  });
});

describe('reverse proxies (WEBINAR_EVENTS_TRUST_PROXY)', () => {
  const guess = (h: Harness, peer: string, forwardedFor?: string) =>
    h.app.inject({
      method: 'GET',
      url: '/v1/events',
      remoteAddress: peer,
      headers: {
        authorization: 'Bearer guess-aaaaaaaaaaaaaaaa',
        ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
      },
    });

  it('behind a listed proxy each client has its own address: one guessing client does not limit another', async () => {
    const h = await Harness.start({
      env: {
        WEBINAR_EVENTS_TOKENS: TOKENS_ENV,
        WEBINAR_EVENTS_RATE_LIMIT: '2',
        WEBINAR_EVENTS_TRUST_PROXY: '10.0.0.0/8',
      },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await guess(h, '10.1.2.3', '203.0.113.7')).statusCode);
      assert.deepEqual(statuses, [401, 401, 429]);
      // Another client behind the same proxy: its own bucket.
      assert.equal((await guess(h, '10.1.2.3', '198.51.100.1, 203.0.113.8')).statusCode, 401);
      // A peer that is not a listed proxy cannot pick its address: its X-Forwarded-For is ignored.
      for (let i = 0; i < 2; i++) await guess(h, '192.0.2.50', `203.0.113.${100 + i}`);
      assertProblem(await guess(h, '192.0.2.50', '203.0.113.200'), 429, 'RATE_LIMITED');
    } finally {
      await h.close();
    }
  });

  it('without the setting X-Forwarded-For is ignored: clients behind one proxy share its address', async () => {
    const h = await Harness.start({
      env: { WEBINAR_EVENTS_TOKENS: TOKENS_ENV, WEBINAR_EVENTS_RATE_LIMIT: '2' },
    });
    try {
      await guess(h, '10.1.2.3', '203.0.113.7');
      await guess(h, '10.1.2.3', '203.0.113.7');
      assertProblem(await guess(h, '10.1.2.3', '203.0.113.8'), 429, 'RATE_LIMITED');
    } finally {
      await h.close();
    }
  });

  it("an evaluation's requester is the client's address, not the proxy's", async () => {
    const h = await Harness.start({ env: { WEBINAR_EVENTS_TRUST_PROXY: 'loopback' } });
    try {
      const evaluated = await h.app.inject({
        method: 'POST',
        url: '/v1/webinars/W-1/evaluate',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      assert.equal(evaluated.statusCode, 200, evaluated.body);
      const list = await h.get('/v1/webinars/W-1/evaluations');
      const body = list.json() as { evaluations: Array<Record<string, unknown>> };
      assert.equal(body.evaluations[0]?.['requester'], 'http:203.0.113.9');
    } finally {
      await h.close();
    }
  });

  it('an entry that is not an address, a range or a known name is a configuration error', () => {
    for (const bad of ['true', '2', '10.0.0.0/33', 'proxy.example.com', '::1/129', '10.0.0.1/']) {
      assert.throws(
        () => resolveConfig({}, { WEBINAR_EVENTS_TRUST_PROXY: bad }),
        /WEBINAR_EVENTS_TRUST_PROXY: ".*" is not an address/,
        bad,
      );
    }
    assert.throws(() => resolveConfig({ 'trust-proxy': 'nope' }, {}), /--trust-proxy/);
    assert.deepEqual(
      resolveConfig({}, { WEBINAR_EVENTS_TRUST_PROXY: ' 10.0.0.5, 10.1.0.0/16 ,::1,fd00::/8,loopback,' })
        .trustedProxies,
      ['10.0.0.5', '10.1.0.0/16', '::1', 'fd00::/8', 'loopback'],
    );
    assert.deepEqual(resolveConfig({}, { WEBINAR_EVENTS_TRUST_PROXY: '' }).trustedProxies, []);
  });
});

describe('overload: bounded pending intake', () => {
  it('answers 503 with Retry-After instead of queueing without bound, and recovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'we-overload-'));
    const runtime = await openRuntime(resolveConfig({ db: join(dir, 'o.sqlite') }, {}));
    const base = runtime.httpContext();
    const app = await buildApp({ ...base, limits: { ...base.limits, pendingEventsMax: 3 } });
    try {
      const batch = (n: number, offset: number) =>
        Array.from({ length: n }, (_, i) => registered({ lead: `L-${offset + i}`, webinar: 'W-o' }));
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, k) =>
          app.inject({
            method: 'POST',
            url: '/v1/events',
            payload: JSON.stringify(batch(2, k * 2)),
            headers: { 'content-type': 'application/json' },
          }),
        ),
      );
      const overloaded = responses.filter((r) => r.statusCode === 503);
      assert.ok(overloaded.length > 0, 'some requests were turned away');
      assert.ok(
        responses.some((r) => r.statusCode === 200),
        'some were taken',
      );
      for (const r of overloaded) {
        assert.equal(r.headers['retry-after'], '1');
        assert.equal(r.json<{ code: string }>().code, 'OVERLOADED');
      }
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(
        metrics,
        new RegExp(
          `^webinar_events_overloaded_total\\{reason="pending_events"\\} ${overloaded.length}$`,
          'm',
        ),
      );
      // Once the load is gone, the same request goes through.
      const again = await app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: JSON.stringify(batch(2, 1000)),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(again.statusCode, 200);
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store unavailable', async () => {
  const available = await serviceAvailable('PostgreSQL', postgresUrl());
  it(
    'answers 503 STORE_UNAVAILABLE with Retry-After when PostgreSQL cannot be reached, not 500',
    { skip: !available },
    async () => {
      // The real PostgreSQL, reached through a TCP relay this test can cut: the server "goes away".
      const sockets = new Set<Socket>();
      const relay = createServer((client) => {
        const upstream = connect(Number(new URL(postgresUrl()).port || 5432), '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy()).on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const url = new URL(postgresUrl());
      url.host = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
      const fresh = await freshSchema();
      url.searchParams.set('options', `-c search_path=${fresh.schema}`);
      const runtime = await openRuntime(
        resolveConfig({ postgres: url.toString(), 'no-processors': true }, {}),
      );
      const app = await buildApp(runtime.httpContext());
      const post = (lead: string) =>
        app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: JSON.stringify(registered({ lead, webinar: 'W-u' })),
          headers: { 'content-type': 'application/json' },
        });
      try {
        assert.equal((await post('L-before')).statusCode, 202);
        await new Promise<void>((resolve) => {
          relay.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        const response = await post('L-u');
        assertProblem(response, 503, 'STORE_UNAVAILABLE');
        assert.equal(response.headers['retry-after'], '1');
        assert.ok(!/ECONN|127\.0\.0\.1|5432/.test(response.body), 'no internals in the body');
      } finally {
        relay.close();
        for (const s of sockets) s.destroy();
        await app.close();
        await runtime.close().catch(() => undefined);
        await fresh.drop();
      }
    },
  );
});

describe('the quarantine read in pages bounded by bytes', () => {
  it('GET /v1/rejections stops a page at 8 MiB of raw inputs; next continues (large rejected bodies)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'we-quarantine-'));
    const runtime = await openRuntime(resolveConfig({ db: join(dir, 'q.sqlite') }, {}));
    const app = await buildApp(runtime.httpContext());
    try {
      // Control bytes: valid UTF-8, not JSON, stored whole, and six times larger as JSON (\u0001).
      const body = Buffer.alloc(3 * 1024 * 1024, 1);
      for (let i = 0; i < 4; i++) {
        const post = await app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: body,
          headers: { 'content-type': 'application/json' },
        });
        assertProblem(post, 400, 'MALFORMED_JSON');
      }
      const read = async (after: number) => {
        const page = await app.inject({ method: 'GET', url: `/v1/rejections?after=${after}&limit=1000` });
        assert.equal(page.statusCode, 200);
        return page.json<{ rejections: Array<{ seq: number; raw: string }>; next: number }>();
      };
      const first = await read(0);
      // 3 + 3 MiB before the third, under 8: three rows; the fourth would start at 9 MiB.
      assert.equal(first.rejections.length, 3);
      assert.equal(first.rejections[0]!.raw.length, body.length, 'each kept whole');
      const second = await read(first.next);
      assert.equal(second.rejections.length, 1);
      assert.equal((await read(second.next)).rejections.length, 0);
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
