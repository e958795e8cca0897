import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromiumOrSkip, launchChromium } from '../e2e/browser.js';
import { LiveServer, type Json } from '../e2e/live-server.js';
import { TOKENS, TOKENS_ENV, registered } from './http-helpers.js';

const CHROMIUM = chromiumOrSkip();
const CLIENT_TYPES = [
  'client_webinar_registered',
  'client_webinar_entered',
  'client_webinar_completed',
  'client_webinar_left',
];
const CLIENT_ENTRY = fileURLToPath(new URL('../../src/client/index.js', import.meta.url));

/** `webinar-events/client` bundled for browsers by esbuild (one ES module, its dependencies inside). */
async function bundleClient(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * A blank page on 127.0.0.1 and a port of its own: another origin than the API's, on loopback like it, under a
 * Content Security Policy without 'unsafe-eval'. It also serves `/sdk.js`, the producer SDK bundled for browsers,
 * when given.
 */
async function pageServer(sdk?: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    if (sdk !== undefined && request.url === '/sdk.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      response.end(sdk);
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      // A strict page: scripts only from itself and no 'unsafe-eval', so nothing may compile code at run time.
      'content-security-policy': "default-src 'none'; script-src 'self'; connect-src http://127.0.0.1:*",
    });
    response.end('<!doctype html><title>webinar page</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, origin: `http://127.0.0.1:${port}` };
}

interface Outcome {
  readonly status?: number;
  readonly body?: Json;
  readonly wwwAuthenticate?: string | null;
  readonly error?: string;
}

/** `fetch` from inside the page: what a producer's script (or the SDK, which uses fetch) would get. */
function postFromPage(page: Page, url: string, event: Json, token: string): Promise<Outcome> {
  return page.evaluate(
    async ({ url, event, token }) => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify(event),
        });
        return {
          status: response.status,
          body: (await response.json()) as Json,
          wwwAuthenticate: response.headers.get('www-authenticate'),
        };
      } catch (error) {
        return { error: String(error) };
      }
    },
    { url, event, token },
  );
}

/**
 * CORS in Debian's Chromium: a page on an allowed origin posts events to the API with a bearer token (the browser
 * sends the preflight, the server answers it) and can read every answer; a page on another origin cannot, and
 * its POST never reaches the server.
 */
describe('CORS and the producer SDK in a real browser', { skip: CHROMIUM === null, timeout: 120_000 }, () => {
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  let api: LiveServer;
  let browser: Browser;

  before(async () => {
    allowed = await pageServer(await bundleClient());
    other = await pageServer();
    api = await LiveServer.start({
      WEBINAR_EVENTS_TOKENS: TOKENS_ENV,
      WEBINAR_EVENTS_CORS_ORIGINS: allowed.origin,
    });
    browser = await launchChromium(CHROMIUM!);
  });

  after(async () => {
    await browser?.close();
    await api?.close();
    for (const page of [allowed, other]) page?.server.close();
  });

  it('a page on the allowed origin posts an event with its token and reads the verdict and errors', async () => {
    const page = await browser.newPage();
    await page.goto(`${allowed.origin}/webinar`);
    const event = registered({ lead: 'L-browser', webinar: 'W-browser' });

    const accepted = await postFromPage(page, `${api.url}/v1/events`, event, TOKENS.ingest);
    assert.equal(accepted.error, undefined, accepted.error);
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body?.['status'], 'accepted');

    const again = await postFromPage(page, `${api.url}/v1/events`, event, TOKENS.ingest);
    assert.equal(again.status, 200);
    assert.equal(again.body?.['status'], 'duplicate');

    const unauthenticated = await postFromPage(page, `${api.url}/v1/events`, event, 'not-a-token-at-all');
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body?.['code'], 'UNAUTHENTICATED');
    assert.equal(unauthenticated.wwwAuthenticate, 'Bearer', 'an exposed header is readable');
    await page.close();
  });

  it('a page on another origin is refused by the browser, and its POST never reaches the server', async () => {
    const page = await browser.newPage();
    await page.goto(`${other.origin}/webinar`);
    const before = await api.get<{ events: Json[] }>('/v1/events?limit=1000', TOKENS.read);
    const refused = await postFromPage(
      page,
      `${api.url}/v1/events`,
      registered({ lead: 'L-elsewhere', webinar: 'W-browser' }),
      TOKENS.ingest,
    );
    assert.equal(refused.status, undefined);
    assert.match(refused.error ?? '', /TypeError/);
    const afterwards = await api.get<{ events: Json[] }>('/v1/events?limit=1000', TOKENS.read);
    assert.equal(afterwards.events.length, before.events.length, 'nothing was stored');
    await page.close();
  });

  it('the producer SDK, bundled for browsers, delivers a whole session from a page whose CSP forbids eval', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${allowed.origin}/webinar`);
    const outcome = await page.evaluate(
      async ({ endpoint, token }) => {
        const url = '/sdk.js';
        const sdk = (await import(url)) as {
          createClient(options: object): {
            registered(payload: object): string;
            session(opening: object): {
              entered(): string;
              completed(): string;
              left(input: object): string;
            };
            flush(): Promise<void>;
            close(): Promise<{ undelivered: unknown[] }>;
          };
        };
        const delivered: Array<{ id: string; status: string }> = [];
        const errors: string[] = [];
        const client = sdk.createClient({
          endpoint,
          source: '/webinar-room',
          token,
          batchSize: 10,
          flushIntervalMs: 50,
          onDelivered: (d: Array<{ id: string; status: string }>) => delivered.push(...d),
          onRejected: (r: { errors: unknown }) => errors.push(JSON.stringify(r.errors)),
          onError: (e: Error) => errors.push(e.message),
        });
        const who = { lead_id: 'L-sdk', webinar_id: 'W-sdk', webinar_type: 'live' };
        const ids = [
          client.registered({ ...who, registered_at: new Date().toISOString(), source: 'landing' }),
        ];
        const session = client.session(who);
        ids.push(session.entered(), session.completed(), session.left({ leave_reason: 'session_end' }));
        let violation: string | undefined;
        try {
          client.registered({ ...who, webinar_type: 'hybrid', registered_at: 'yesterday', source: 'x' });
        } catch (error) {
          violation = (error as { code?: string }).code;
        }
        await client.flush();
        const { undelivered } = await client.close();
        return { ids, delivered, errors, violation, undelivered: undelivered.length };
      },
      { endpoint: api.url, token: TOKENS.ingest },
    );
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(outcome.errors, []);
    assert.equal(outcome.undelivered, 0);
    assert.equal(outcome.violation, 'INVALID_FIELD', 'the contract is checked in the page before sending');
    assert.deepEqual(
      outcome.delivered.map((d) => [d.id, d.status]),
      outcome.ids.map((id) => [id, 'accepted']),
    );
    const log = await api.get<{ events: Json[] }>('/v1/events?limit=1000', TOKENS.read);
    const mine = log.events.filter((e) => (e['data'] as Json)['lead_id'] === 'L-sdk');
    const sent = mine.filter((e) => e['source'] === '/webinar-room');
    assert.deepEqual(
      sent.map((e) => [e['id'], e['type']]),
      outcome.ids.map((id, i) => [id, CLIENT_TYPES[i]]),
    );
    // Entered and completed: the lead attended, and is routed so, inside the same commit (embedded runtime).
    const derived = mine.filter((e) => e['source'] !== '/webinar-room');
    assert.deepEqual(
      derived.map((e) => [e['type'], (e['data'] as Json)['attended'], (e['data'] as Json)['status']]),
      [
        ['client_webinar_attendance_classified', true, undefined],
        ['post_webinar_route', true, 'attended'],
      ],
    );
    await page.close();
  });
});
