import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from './process-helpers.js';
import { ServerProcess, readWholeLog } from './server-process.js';
import { funnelEvents } from './story.js';

/**
 * SPEC §6: an acknowledged event is durable; killing the process at any moment and restarting loses and
 * doubles nothing, and every classification has exactly one route.
 */
describe('SIGKILL in the middle of a stream of batches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-crash-'));
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.kill(); // a failed assertion must not leave the child keeping the test process alive
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged event once, nothing twice, one route per classification', async () => {
    const events = funnelEvents(4, 150);
    server = new ServerProcess(await freePort(), ['--db', join(dir, 'crash.sqlite')]);
    await server.start();
    const acknowledged = new Set<string>();
    const batchSize = 40;
    const killEvery = 5;
    let kills = 0;
    for (let i = 0, batch = 0; i < events.length; batch++) {
      const slice = events.slice(i, i + batchSize);
      const sending = fetch(`${server.url}/v1/events`, {
        signal: AbortSignal.timeout(20_000),
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(slice),
      });
      sending.catch(() => undefined); // its failure is expected when the server is killed under it
      if (batch % killEvery === killEvery - 1) {
        // Kill while the batch is in flight: its fate is unknown, so it is re-sent after the restart.
        await new Promise((r) => setTimeout(r, batch % 3));
        await server.kill();
        kills++;
        await sending.then(
          (r) => r.arrayBuffer(),
          () => undefined,
        );
        await server.start();
        if (process.env['DEBUG_CRASH']) console.error(`killed at batch ${batch}, event ${i}`);
        continue;
      }
      const response = await sending;
      assert.equal(response.status, 200);
      const body = (await response.json()) as { results: Array<{ id: string; status: string }> };
      for (const result of body.results) {
        assert.notEqual(result.status, 'rejected', JSON.stringify(result));
        acknowledged.add(result.id);
      }
      i += batchSize;
    }
    assert.ok(kills >= 5, `killed ${kills} times`);
    // Re-send everything once more: all of it must come back as duplicate.
    for (let i = 0; i < events.length; i += 200) {
      const response = await fetch(`${server.url}/v1/events`, {
        signal: AbortSignal.timeout(20_000),
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events.slice(i, i + 200)),
      });
      const body = (await response.json()) as { duplicates: number; results: unknown[] };
      assert.equal(body.duplicates, body.results.length);
    }
    for (let w = 0; w < 4; w++) {
      const response = await fetch(`${server.url}/v1/webinars/W-${w}/evaluate`, { method: 'POST' });
      assert.equal(response.status, 200);
    }
    await server.kill();
    await server.start();
    // Let the restarted processors catch up (evaluate drains the classifier; routes follow).
    await fetch(`${server.url}/v1/webinars/W-0/evaluate`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 300));
    const log = await readWholeLog(server.url);
    await server.stop();

    const positions = log.map((e) => e['position'] as number);
    assert.deepEqual(
      positions,
      positions.map((_, i) => i + 1),
      'positions are gap-free',
    );
    const clientIds = log.filter((e) => e['source'] === '/test-room').map((e) => e['id'] as string);
    assert.equal(new Set(clientIds).size, clientIds.length, 'no client event stored twice');
    assert.equal(clientIds.length, events.length, 'every event stored');
    for (const id of acknowledged) assert.ok(clientIds.includes(id), `acknowledged ${id} is stored`);

    const classifications = log.filter((e) => e['type'] === 'client_webinar_attendance_classified');
    const routes = log.filter((e) => e['type'] === 'post_webinar_route');
    assert.equal(new Set(classifications.map((e) => e['id'])).size, classifications.length);
    const routesPerClassification = new Map<unknown, number>();
    for (const route of routes) {
      routesPerClassification.set(
        route['causationid'],
        (routesPerClassification.get(route['causationid']) ?? 0) + 1,
      );
    }
    for (const c of classifications)
      assert.equal(routesPerClassification.get(c['id']), 1, `one route for ${c['id']}`);
    assert.equal(routes.length, classifications.length);
    // 4 webinars × 150 leads: 120 entered each, 60 completed → 60 true and 60 false per webinar.
    assert.equal(classifications.length, 4 * 120);
  });
});
