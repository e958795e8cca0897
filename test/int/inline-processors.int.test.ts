/**
 * The embedded runtime classifies and routes inside the intake transaction, taking the batch's own events as they
 * are and reading from the log only what lies between its checkpoint and them. That gap is normally the previous
 * batch's derived events, but another writer of the same file (an `ingest` run beside `serve`, an instance
 * without processors) can leave client events there: they must be classified too, once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLASSIFIED, ROUTE } from '../../src/contract/index.js';
import { EMPTY_FORMS_CATALOG } from '../../src/intake/forms-catalog.js';
import { CLASSIFIER, PROCESSOR_BATCH, drainClassifier } from '../../src/pipeline/classifier-processor.js';
import { ingestBatch, judgeValue } from '../../src/pipeline/index.js';
import { ROUTER } from '../../src/pipeline/router-processor.js';
import type { StoreTx, TxPurpose } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
import { funnelEvents, leadFunnel } from './story.js';

const dir = mkdtempSync(join(tmpdir(), 'webinar-events-inline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A lead that registers, enters, leaves and completes (index 0 of the funnel). */
function completingLead(name: string) {
  return leadFunnel(0, {
    source: '/room',
    lead_id: name,
    webinar_id: 'W-1',
    webinar_type: 'live',
    session: `S-${name}`,
    idTag: name,
  }).events.map((event) => judgeValue(event));
}

describe('inline processors with another writer on the same SQLite file', () => {
  it('client events another connection appended between two batches are classified and routed once', async () => {
    const path = join(dir, 'shared.sqlite');
    const serve = new SqliteEventStore(path);
    const other = new SqliteEventStore(path);
    try {
      const inline = { forms: EMPTY_FORMS_CATALOG, origin: 'test', inlineProcessors: true };
      await ingestBatch(serve, completingLead('L-a'), inline);
      // Another writer, without processors: its events sit after the inline processors' checkpoints.
      await ingestBatch(other, completingLead('L-b'), { ...inline, inlineProcessors: false });
      await ingestBatch(serve, completingLead('L-c'), inline);

      const log = await serve.readEvents(0, 1000);
      const derived = (type: string) =>
        log
          .filter((e) => e.event['type'] === type)
          .map((e) => (e.event['data'] as { lead_id: string }).lead_id)
          .sort();
      assert.deepEqual(derived(CLASSIFIED), ['L-a', 'L-b', 'L-c']);
      assert.deepEqual(derived(ROUTE), ['L-a', 'L-b', 'L-c']);
      // Positions stay gap-free and every processor has caught up with the head.
      assert.deepEqual(
        log.map((e) => e.position),
        log.map((_, i) => i + 1),
      );
      // Caught up: the classifier has read past the last client event, the router past the last classification.
      const checkpoints = await serve.checkpoints();
      const lastOf = (types: (type: string) => boolean): number =>
        log.filter((e) => types(String(e.event['type']))).at(-1)!.position;
      assert.deepEqual(Object.keys(checkpoints).sort(), [CLASSIFIER, ROUTER].sort());
      assert.ok(
        checkpoints[CLASSIFIER]! >= lastOf((t) => t !== CLASSIFIED && t !== ROUTE),
        JSON.stringify(checkpoints),
      );
      assert.ok(checkpoints[ROUTER]! >= lastOf((t) => t === CLASSIFIED), JSON.stringify(checkpoints));
      assert.ok(Object.values(checkpoints).every((p) => p <= log.length));
      const totals = await serve.reportTotals('W-1');
      assert.equal(totals.attended, 3);
      assert.equal(totals.unclassified, 0);
    } finally {
      await other.close();
      await serve.close();
    }
  });
});

describe('a worker draining a backlog', () => {
  it('stops between transactions at a signal: the checkpoint is past the first step only', async () => {
    const store = new SqliteEventStore(join(dir, 'backlog.sqlite'));
    try {
      // A backlog larger than one classifier step (PROCESSOR_BATCH client events), appended without processors.
      const events = funnelEvents(1, 700).map((event) => judgeValue(event));
      await ingestBatch(store, events, { forms: EMPTY_FORMS_CATALOG, origin: 'test' });
      const head = await store.head();
      assert.ok(head > PROCESSOR_BATCH, `a backlog of ${head} events`);
      const stop = new AbortController();
      // The real store, observed: the signal comes while the first step's transaction runs.
      const observed = new Proxy(store, {
        get(target, name, receiver) {
          if (name !== 'transaction') return Reflect.get(target, name, receiver) as unknown;
          return (purpose: TxPurpose, work: (tx: StoreTx) => Promise<unknown>) => {
            stop.abort();
            return target.transaction(purpose, work);
          };
        },
      });
      await drainClassifier(observed, undefined, stop.signal);
      assert.equal((await store.checkpoints())[CLASSIFIER], PROCESSOR_BATCH);
      // Not stopped: it drains the rest.
      await drainClassifier(store);
      assert.equal((await store.checkpoints())[CLASSIFIER], await store.head());
    } finally {
      await store.close();
    }
  });
});
