import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromiumOrSkip, launchChromium } from '../e2e/browser.js';
import { LiveServer, type Json } from '../e2e/live-server.js';
import { TOKENS, TOKENS_ENV, cloudEvent, completed, entered, left, registered } from './http-helpers.js';

// The browser globals the page functions below use (this project compiles without the DOM library).
interface El {
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  readonly disabled?: boolean;
  getAttribute(name: string): string | null;
  querySelector(selector: string): El | null;
  scrollTo(x: number, y: number): void;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<El> & { readonly length: number };
  querySelector(selector: string): El | null;
};
declare const sessionStorage: { getItem(key: string): string | null };
declare const window: { scrollTo(x: number, y: number): void };
declare function getComputedStyle(el: El): { backgroundColor: string };

/** Screenshots are written only on request, so a test run does not rewrite tracked files. */
const SCREENSHOTS = process.env['WEBINAR_EVENTS_SCREENSHOTS'] === '1';
const SCREENSHOT_DIR = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const WAIT_MS = 10_000;
const CHROMIUM = chromiumOrSkip();

interface Report {
  totals: Record<string, number>;
  leads: Json[];
  next: string | null;
}

const W = 'W-autumn';
const lead = (i: number): string => `L-${String(i).padStart(2, '0')}`;

/**
 * The operator console in Debian's Chromium (playwright-core), against a real server with tokens: events posted
 * through the API appear live, a rejection shows its code and pointer, the funnel matches the report, the evaluate
 * button classifies, and the contract is rendered from the schema.
 */
describe('operator console in a real browser', { skip: CHROMIUM === null, timeout: 180_000 }, () => {
  let server: LiveServer;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  const post = async (body: unknown): Promise<Json> => (await server.post(body, TOKENS.ingest)).body;
  const read = <T = Json>(path: string): Promise<T> => server.get<T>(path, TOKENS.read);
  const shot = async (name: string): Promise<void> => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: false });
  };
  const useToken = async (token: string): Promise<void> => {
    await page.fill('#token', token);
    await page.click('#token-save');
  };
  const liveCount = (): Promise<number> => page.locator('#live-list li').count();
  const waitForLive = async (count: number): Promise<void> => {
    await page.waitForFunction((n) => document.querySelectorAll('#live-list li').length >= n, count, {
      timeout: WAIT_MS,
    });
  };

  before(async () => {
    server = await LiveServer.start({ WEBINAR_EVENTS_TOKENS: TOKENS_ENV });
    browser = await launchChromium(CHROMIUM!);
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('is linked from / and served at /console; without a token the server asks for one', async () => {
    const root = await (await fetch(`${server.url}/`)).json();
    assert.equal((root as { links: Json }).links['console'], '/console');
    await page.goto(`${server.url}/console`);
    await page.waitForSelector('#live-status.denied');
    assert.match((await page.textContent('#live-status')) ?? '', /401/);
    assert.equal(await page.textContent('#mode'), 'read-only');
    assert.ok(await page.isDisabled('#evaluate'));
  });

  it('Live: events posted through the API appear as they are stored, coloured by type', async () => {
    await useToken(TOKENS.read);
    await page.waitForSelector('#live-status.live');
    assert.equal(
      await page.evaluate(() => sessionStorage.getItem('webinar-events.console.token')),
      TOKENS.read,
    );
    assert.equal(await page.inputValue('#token'), '', 'the token field is emptied');
    assert.equal(await liveCount(), 0);

    // A funnel: 30 registered, 20 entered (and left), 12 completed.
    const batch: Json[] = [];
    for (let i = 1; i <= 30; i++) batch.push(registered({ lead: lead(i), webinar: W }));
    for (let i = 1; i <= 20; i++) {
      batch.push(entered({ lead: lead(i), webinar: W }, `S-${i}`));
      batch.push(left({ lead: lead(i), webinar: W }, `S-${i}`));
    }
    for (let i = 1; i <= 12; i++) batch.push(completed({ lead: lead(i), webinar: W }, `S-${i}`));
    const result = await post(batch);
    assert.equal(result['accepted'], batch.length, JSON.stringify(result).slice(0, 500));
    await server.runtime.processors!.drain();
    const head = await server.runtime.store.head();
    assert.equal(head, batch.length + 24, '12 classifications and 12 routes');
    await waitForLive(head);
    assert.equal(await liveCount(), head);
    const newest = page.locator('#live-list li').first();
    assert.equal(await newest.getAttribute('data-position'), String(head));
    assert.equal(await newest.getAttribute('data-type'), 'post_webinar_route');
    const colour = (type: string): Promise<string> =>
      page
        .locator(`#live-list li[data-type="${type}"] .badge`)
        .first()
        .evaluate((el) => getComputedStyle(el as El).backgroundColor);
    assert.equal(await colour('client_webinar_registered'), 'rgb(37, 99, 235)');
    assert.equal(await colour('client_webinar_completed'), 'rgb(22, 163, 74)');
    assert.notEqual(await colour('client_webinar_entered'), await colour('client_webinar_left'));
  });

  it('Live: filters by type, webinar and lead on the server, and pauses', async () => {
    await page.selectOption('#live-type', 'client_webinar_completed');
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('#live-list li')];
        return (
          rows.length === 12 && rows.every((r) => (r as El).dataset['type'] === 'client_webinar_completed')
        );
      },
      undefined,
      { timeout: WAIT_MS },
    );
    await page.selectOption('#live-type', '');
    await page.fill('#live-lead', lead(3));
    // L-03: registered, entered, left, completed, classified, route.
    await page.waitForFunction(() => document.querySelectorAll('#live-list li').length === 6, undefined, {
      timeout: WAIT_MS,
    });
    await page.fill('#live-lead', '');
    await page.fill('#live-webinar', 'W-other');
    await page.waitForFunction(
      () => document.querySelector('#live-status')?.classList.contains('live'),
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    await page.waitForFunction(() => document.querySelectorAll('#live-list li').length === 0, undefined, {
      timeout: WAIT_MS,
    });
    await page.fill('#live-webinar', '');
    await waitForLive(100);

    await page.click('#live-pause');
    const before = await liveCount();
    // A left with no entry before it: accepted with warnings.
    const verdict = await post(left({ lead: 'L-late', webinar: W }, 'S-late', { id: 'late-left' }));
    assert.equal(verdict['status'], 'accepted');
    assert.ok((verdict['warnings'] as Json[]).length > 0);
    await page.waitForFunction(
      () => /Resume \(1 new\)/.test(document.querySelector('#live-pause')?.textContent ?? ''),
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    assert.equal(await liveCount(), before, 'nothing is added while paused');
    await page.click('#live-pause');
    await waitForLive(before + 1);
    assert.equal(
      await page.locator('#live-list li').first().getAttribute('data-type'),
      'client_webinar_left',
    );
  });

  it("Live: clicking an event shows its CloudEvent, warnings and the lead's timeline", async () => {
    await page.locator('#live-list li').first().click();
    await page.waitForSelector('#live-detail .timeline table');
    const detail = (await page.textContent('#live-detail')) ?? '';
    assert.match(detail, /late-left/);
    assert.match(detail, /NO_PRIOR_ENTRY|NO_PRIOR_REGISTRATION/);
    const json = (await page.textContent('#live-detail pre.json')) ?? '';
    const shown = JSON.parse(json) as Json;
    assert.equal(shown['id'], 'late-left');
    assert.equal(shown['type'], 'client_webinar_left');

    const completion = page.locator(`#live-list li[data-type="client_webinar_completed"]`).first();
    await completion.click();
    await page.waitForSelector('#live-detail .timeline table');
    const shownLead = (
      (JSON.parse((await page.textContent('#live-detail pre.json')) ?? '{}') as Json)['data'] as Json
    )['lead_id'] as string;
    const timeline = await read<{ events: Json[] }>(`/v1/leads/${shownLead}/timeline?webinar_id=${W}`);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#live-detail .timeline tbody tr').length === n,
      timeline.events.length,
      { timeout: WAIT_MS },
    );
    assert.equal(await page.locator('#live-detail .timeline tr.current').count(), 1);
    if (SCREENSHOTS) {
      // The newest rows (the late left with its warnings first), and the latest route in full.
      await page.locator('#live-list li').nth(1).click();
      await page.waitForSelector('#live-detail .timeline tr.current');
      await page.evaluate(() => document.querySelector('.list-pane')!.scrollTo(0, 0));
      await shot('live');
    }
  });

  it('Rejections: newest first, with codes, pointers and the raw input marked; filter by code', async () => {
    const bad = registered({ lead: 'L-bad', webinar: W }, { id: 'bad-type' });
    (bad['data'] as Json)['webinar_type'] = 'hybrid';
    assert.equal((await server.post(bad, TOKENS.ingest)).status, 422);
    const missing = registered({ lead: 'L-miss', webinar: W }, { id: 'no-lead' });
    delete (missing['data'] as Json)['lead_id'];
    assert.equal((await server.post(missing, TOKENS.ingest)).status, 422);
    assert.equal((await server.post('{"specversion":"1.0",', TOKENS.ingest)).status, 400);
    const unknown = cloudEvent('client_webinar_paused', { webinar_id: W }, { id: 'paused' });
    assert.equal((await server.post(unknown, TOKENS.ingest)).status, 422);

    await page.click('#tabs a[data-tab="rejections"]');
    await page.waitForFunction(
      () => document.querySelectorAll('#rejections-list article').length === 4,
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    const seqs = await page
      .locator('#rejections-list article')
      .evaluateAll((els) => els.map((el) => Number((el as El).dataset['seq'])));
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
      'newest first',
    );
    const byId = (id: string) => page.locator('#rejections-list article', { hasText: `id ${id}` });
    const badCard = byId('bad-type');
    assert.match(
      (await badCard.locator('.errors').textContent()) ?? '',
      /INVALID_FIELD\s+\/data\/webinar_type/,
    );
    assert.equal(await badCard.locator('mark.hl').textContent(), '"hybrid"');
    assert.equal(await badCard.locator('mark.hl-key').textContent(), '"webinar_type"');
    const missingCard = byId('no-lead');
    assert.match(
      (await missingCard.locator('.errors').textContent()) ?? '',
      /MISSING_FIELD\s+\/data\/lead_id/,
    );
    assert.equal(await missingCard.locator('mark.hl-missing').textContent(), '"data"');
    assert.match((await missingCard.textContent()) ?? '', /"lead_id" is absent from \/data/);
    const newest = page.locator('#rejections-list article').first();
    assert.match((await newest.textContent()) ?? '', /UNKNOWN_EVENT/);

    await page.selectOption('#rejections-code', 'MALFORMED_JSON');
    await page.waitForFunction(
      () => document.querySelectorAll('#rejections-list article').length === 1,
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    assert.match((await page.textContent('#rejections-list')) ?? '', /MALFORMED_JSON/);
    assert.match((await page.textContent('#rejections-list pre.raw')) ?? '', /\{"specversion":"1.0",/);
    await page.selectOption('#rejections-code', '');
    await page.waitForFunction(
      () => document.querySelectorAll('#rejections-list article').length === 4,
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    await shot('rejections');
  });

  it('Rejections: a large quarantine is read a page at a time, newest first; older pages on "Show more"', async () => {
    const before = (await read<{ rejections: Json[] }>('/v1/rejections?limit=1000')).rejections.length;
    const batch = Array.from({ length: 250 }, (_, i) => {
      const e = registered({ lead: `L-many-${i}`, webinar: W }, { id: `many-${i}` });
      (e['data'] as Json)['webinar_type'] = 'hybrid';
      return e;
    });
    assert.equal((await server.post(batch, TOKENS.ingest)).status, 200);
    const total = before + 250;
    await page.goto(`${server.url}/console#rejections`);
    await page.reload(); // a fresh load: the view starts empty
    await page.waitForFunction(
      () => document.querySelectorAll('#rejections-list article').length === 50,
      undefined,
      {
        timeout: WAIT_MS,
      },
    );
    // Only the newest page (200) was fetched, not the whole quarantine.
    assert.match((await page.textContent('#rejections-count')) ?? '', /^200 rejected inputs \(the newest/);
    assert.match((await page.locator('#rejections-list article').first().textContent()) ?? '', /id many-249/);
    for (let i = 0; i < 12 && (await page.locator('#rejections-more').isVisible()); i++) {
      await page.click('#rejections-more');
      await page.waitForTimeout(100);
    }
    assert.equal(await page.locator('#rejections-more').isVisible(), false);
    assert.equal(await page.locator('#rejections-list article').count(), total);
    assert.equal(await page.textContent('#rejections-count'), `${total} rejected inputs`);
    const seqs = await page
      .locator('#rejections-list article')
      .evaluateAll((els) => els.map((el) => Number((el as El).dataset['seq'])));
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
      'newest first, each once',
    );
    assert.equal(new Set(seqs).size, total);

    // The code filter is the server's: after a fresh load (the newest 200 only, none of them MALFORMED_JSON), the
    // one MALFORMED_JSON of the earlier test, older than all of them, is found.
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#rejections-list article').length === 50);
    await page.selectOption('#rejections-code', 'MALFORMED_JSON');
    await page.waitForFunction(
      () => document.querySelectorAll('#rejections-list article').length === 1,
      undefined,
      { timeout: WAIT_MS },
    );
    assert.equal(await page.textContent('#rejections-count'), '1 rejected input with MALFORMED_JSON');
    assert.match((await page.textContent('#rejections-list pre.raw')) ?? '', /\{"specversion":"1.0",/);
    await page.selectOption('#rejections-code', '');
    await page.waitForFunction(
      () => document.querySelectorAll('#rejections-list article').length === 50,
      undefined,
      { timeout: WAIT_MS },
    );
  });

  const totalsShown = (): Promise<Record<string, number>> =>
    page.evaluate(() => {
      const out: Record<string, number> = {};
      for (const el of document.querySelectorAll('#totals [data-total]')) {
        out[el.dataset['total']!] = Number(el.querySelector('b')?.textContent);
      }
      return out;
    });
  const funnelShown = (): Promise<Record<string, number>> =>
    page.evaluate(() => {
      const out: Record<string, number> = {};
      for (const el of document.querySelectorAll('#funnel [data-stage]')) {
        out[el.getAttribute('data-stage')!] = Number(el.getAttribute('data-count'));
      }
      return out;
    });

  /** The totals shown are the report's, and the warnings line gives its events per warning code. */
  const assertTotalsShown = async (report: Report): Promise<void> => {
    const { warnings, ...counts } = report.totals as Record<string, unknown>;
    assert.deepEqual(await totalsShown(), counts);
    const expected = Object.entries(warnings as Record<string, number>)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    assert.equal(await page.textContent('#warning-totals'), `Warnings: ${expected || 'none'}`);
  };

  it('Webinar without an id: the webinars with their totals and who awaits evaluation; a click opens the report', async () => {
    await page.goto(`${server.url}/console#webinar`);
    await page.waitForSelector('#webinars tbody tr');
    const list = await read<{ webinars: Json[] }>('/v1/webinars');
    const row = page.locator(`#webinars tbody tr[data-webinar="${W}"]`);
    const cells = await row.locator('td').allTextContents();
    const listed = list.webinars.find((w) => w['webinar_id'] === W)!;
    assert.deepEqual(cells, [
      W,
      ...[
        'registered',
        'entered',
        'completed',
        'attended',
        'not_attended',
        'unclassified',
        'awaiting_evaluation',
      ].map((k) => String(listed[k])),
    ]);
    assert.ok(
      Number(listed['awaiting_evaluation']) > 0,
      'the story leaves leads who entered and did not complete',
    );
    await row.locator('a').click();
    await page.waitForSelector('#funnel');
    assert.equal(new URL(page.url()).hash, `#webinar/${W}`);
  });

  it('Webinar: the totals and the funnel match the report; the leads table pages', async () => {
    await page.goto(`${server.url}/console#webinar/${W}`);
    await page.waitForSelector('#funnel');
    const report = await read<Report>(`/v1/webinars/${W}/attendance`);
    await assertTotalsShown(report);
    assert.deepEqual(await funnelShown(), {
      registered: report.totals['registered'],
      entered: report.totals['entered'],
      completed: report.totals['completed'],
      attended: report.totals['attended'],
    });
    assert.deepEqual(await funnelShown(), { registered: 30, entered: 20, completed: 12, attended: 12 });

    // 31 leads (30 registered and L-late): 25 on the first page, 6 on the second.
    assert.equal(await page.locator('#leads tbody tr').count(), 25);
    await page.click('#leads-next');
    await page.waitForFunction(() => document.querySelectorAll('#leads tbody tr').length === 6, undefined, {
      timeout: WAIT_MS,
    });
    assert.equal(await page.locator('#leads tbody tr').first().getAttribute('data-lead'), 'L-26');
    await page.click('#leads-prev');
    await page.waitForFunction(() => document.querySelectorAll('#leads tbody tr').length === 25, undefined, {
      timeout: WAIT_MS,
    });
    const first = page.locator('#leads tbody tr[data-lead="L-01"]');
    assert.match((await first.textContent()) ?? '', /attended/);
  });

  it('Webinar: "Evaluate attendance" needs an admin token, then shows what it classified', async () => {
    // With the read token the button is offered, but the server refuses: the console says why.
    await page.click('#evaluate');
    await page.waitForSelector('#evaluation .note.error');
    assert.match((await page.textContent('#evaluation')) ?? '', /admin/);

    await useToken(TOKENS.admin);
    await page.waitForFunction(() => !document.querySelector('#evaluate')!.disabled, undefined, {
      timeout: WAIT_MS,
    });
    await page.click('#evaluate');
    await page.waitForSelector('#evaluation-result');
    // L-13…L-20 entered and did not complete; L-late left without an entry, so it has nothing to classify.
    const classified = await page
      .locator('#evaluation-result tbody tr')
      .evaluateAll((rows) => rows.map((r) => (r as El).dataset['lead']));
    assert.deepEqual(classified, ['L-13', 'L-14', 'L-15', 'L-16', 'L-17', 'L-18', 'L-19', 'L-20']);
    assert.match((await page.textContent('#evaluation-result')) ?? '', /classified 8 leads/);
    assert.equal(await page.locator('#evaluation-result .verdict.no').count(), 8);

    const report = await read<Report>(`/v1/webinars/${W}/attendance`);
    assert.equal(report.totals['not_attended'], 8);
    await page.waitForFunction(
      () => document.querySelector('#totals [data-total="not_attended"] b')?.textContent === '8',
      undefined,
      { timeout: WAIT_MS },
    );
    await assertTotalsShown(report);
    assert.match(
      (await page.locator('#leads tbody tr[data-lead="L-15"]').textContent()) ?? '',
      /not attended/,
    );
    await page.locator('#leads tbody tr[data-lead="L-15"]').click();
    await page.waitForSelector('#webinar-detail .timeline table');
    await shot('webinar');

    // A second evaluation has nothing new to classify.
    await page.click('#evaluate');
    await page.waitForFunction(
      () => document.querySelector('#evaluation-result')?.getAttribute('data-classified') === '0',
      undefined,
      { timeout: WAIT_MS },
    );
  });

  it('Contract: the six events (and the route) with the fields of the JSON Schema the server uses', async () => {
    await page.click('#tabs a[data-tab="contract"]');
    await page.waitForSelector('#contract-post_webinar_route');
    const schema = await read<{ $defs: Record<string, { properties: { data: { properties: Json } } }> }>(
      '/v1/schema',
    );
    const types = Object.keys(schema.$defs);
    assert.equal(types.length, 7);
    assert.match((await page.textContent('#view-contract')) ?? '', /The six canonical events/);
    for (const type of types) {
      const fields = await page
        .locator(`#fields-${type} tbody tr`)
        .evaluateAll((rows) => rows.map((r) => (r as El).dataset['field']));
      assert.deepEqual(fields, Object.keys(schema.$defs[type]!.properties.data.properties), type);
    }
    const registeredCard = (await page.textContent('#contract-client_webinar_registered')) ?? '';
    assert.match(registeredCard, /when webinar_type is "auto": slot_id must be absent/);
    assert.match(registeredCard, /sent by clients/);
    assert.match((await page.textContent('#contract-post_webinar_route')) ?? '', /emitted by the service/);
    await shot('contract');
  });

  it('talks only to its own server, never puts the token in a URL, and throws no page error', async () => {
    assert.ok(requests.length > 10);
    const origin = new URL(server.url).origin;
    for (const url of requests) {
      assert.ok(
        url.startsWith(`${origin}/`) || url.startsWith('data:'),
        `request outside the server: ${url}`,
      );
      for (const token of Object.values(TOKENS)) assert.ok(!url.includes(token), `token in a URL: ${url}`);
    }
    assert.ok(!page.url().includes(TOKENS.admin));
    assert.deepEqual(pageErrors, []);
  });
});
