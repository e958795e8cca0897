/**
 * A store that cannot write (here SQLite at its page limit: SQLITE_FULL, as on a full disk) answers 503
 * STORE_UNAVAILABLE with Retry-After, not 500; /readyz says so even though the store still answers a ping; the
 * failures are counted; and the next write that fits makes it ready again, without a restart. A store that cannot be
 * read at all shows as webinar_events_store_up 0 on /metrics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { openRuntime, resolveConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { registered } from './http-helpers.js';

describe('a store that cannot write', () => {
  it('answers 503 STORE_UNAVAILABLE, is not ready, counts it, and recovers when space returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'we-full-'));
    const runtime = await openRuntime(resolveConfig({ db: join(dir, 'full.sqlite') }, {}));
    const app = await buildApp(runtime.httpContext());
    // The service's own connection, capped at its current size: the next pages it needs are refused.
    const db = (runtime.store as unknown as { db: Database.Database }).db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const post = (lead: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: JSON.stringify(
          Array.from({ length: 200 }, (_, i) => registered({ lead: `${lead}-${i}`, webinar: 'W-full' })),
        ),
        headers: { 'content-type': 'application/json' },
      });
    try {
      const full = await post('L-a');
      assert.equal(full.statusCode, 503, full.body);
      assert.equal(full.headers['retry-after'], '1');
      assert.match(String(full.headers['content-type']), /application\/problem\+json/);
      assert.equal(full.json<{ code: string }>().code, 'STORE_UNAVAILABLE');
      assert.equal(await runtime.store.head(), 0, 'nothing was committed');

      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503, ready.body);
      const checks = ready.json<{ checks: Record<string, string> }>().checks;
      assert.equal(checks['store'], 'ok', 'the store still answers a ping');
      assert.match(checks['store_writes']!, /the last write failed .*SQLITE_FULL/);
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /webinar_events_store_write_failures_total\{code="SQLITE_FULL"\} [1-9]/);

      db.pragma('max_page_count = 1073741823');
      const again = await post('L-a');
      assert.equal(again.statusCode, 200, again.body);
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a store that cannot be read', () => {
  it('/metrics still answers, with webinar_events_store_up 0 beside the last positions read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'we-down-'));
    const runtime = await openRuntime(resolveConfig({ db: join(dir, 'down.sqlite') }, {}));
    const app = await buildApp(runtime.httpContext());
    const db = (runtime.store as unknown as { db: Database.Database }).db;
    try {
      const up = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(up, /^webinar_events_store_up 1$/m);
      db.close(); // every read of the store now throws
      const down = await app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(down.statusCode, 200);
      assert.match(down.body, /^webinar_events_store_up 0$/m);
      assert.match(down.body, /^webinar_events_log_head_position 0$/m);
      assert.match(down.body, /^webinar_events_process_cpu_seconds_total /m);
    } finally {
      await app.close();
      await runtime.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
