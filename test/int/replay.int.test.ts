import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  drainClassifier,
  drainRouter,
  evaluateAttendance,
  ingestBatch,
  judgeText,
  judgeValue,
  type Clock,
} from '../../src/pipeline/index.js';
import { simulate, simulatedFormsCatalog } from '../../src/simulate/index.js';
import type { EventStore } from '../../src/store/port.js';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
import { freshSchema, postgresUrl, serviceAvailable, type FreshSchema } from './services.js';
import { derivedShape, wholeLog } from './store-suite.js';

const forms = simulatedFormsCatalog();

function ticking(start: number): Clock {
  let t = start;
  return () => new Date((t += 1000)).toISOString();
}

/** Opens an empty store; the scenario opens two (`original`, `replica`) and closes neither. */
type OpenStore = (name: 'original' | 'replica') => Promise<EventStore>;

/**
 * SPEC §6: replaying the stored client events and evaluation requests into an empty store yields the same
 * verdicts and the same derived events (ids and payloads; the classification timestamp may differ).
 */
async function replayIntoAnEmptyStore(open: OpenStore): Promise<void> {
  const original = await open('original');
  const clockA = ticking(Date.UTC(2026, 10, 27));
  const stream = [...simulate({ seed: 'replay', webinars: 3, leads: 120, faults: 0.05 })].map((e) => e.line);
  const webinars = new Set<string>();
  // Ingest in batches with evaluations in between (mid-stream, and at the end), as an operator would.
  for (let i = 0, round = 0; i < stream.length; i += 97, round++) {
    const inputs = stream
      .slice(i, i + 97)
      .map((line) => (typeof line === 'string' ? judgeText(line) : judgeValue(line)));
    for (const input of inputs) {
      if (input.judgement.ok) webinars.add(String(input.judgement.event.data.webinar_id));
    }
    await ingestBatch(original, inputs, { forms, origin: 'test', clock: clockA });
    if (round % 3 === 0) await drainClassifier(original, clockA);
    if (round % 7 === 6) {
      for (const webinar of webinars) {
        await evaluateAttendance(original, { webinarId: webinar, requester: 'test' }, clockA);
      }
    }
  }
  for (const webinar of webinars)
    await evaluateAttendance(original, { webinarId: webinar, requester: 'test' }, clockA);
  await drainClassifier(original, clockA);
  await drainRouter(original, clockA);
  const logA = await wholeLog(original);
  const evaluations = await original.evaluations();
  assert.ok(evaluations.length > webinars.size, 'evaluations were made mid-stream too');

  // Replay: the stored client events in log order, each evaluation after the events it saw.
  const replica = await open('replica');
  const clockB = ticking(Date.UTC(2027, 0, 1));
  const clientA = logA.filter((e) => !String(e.event['source']).startsWith('webinar-events/'));
  let next = 0;
  const warningsA: string[] = [];
  const warningsB: string[] = [];
  for (const stored of clientA) {
    while (next < evaluations.length && evaluations[next]!.at_position < stored.position) {
      const e = evaluations[next++]!;
      await evaluateAttendance(
        replica,
        { webinarId: e.webinar_id, requester: e.requester, id: e.id, requestedAt: e.requested_at },
        clockB,
      );
    }
    const { position: _p, recordedat: _r, ...event } = stored.event;
    const [verdict] = await ingestBatch(replica, [judgeValue(event)], {
      forms,
      origin: 'replay',
      clock: clockB,
    });
    assert.equal(verdict!.status, 'accepted', JSON.stringify(verdict));
    warningsA.push(JSON.stringify(stored.warnings ?? []));
    warningsB.push(JSON.stringify(verdict!.status === 'accepted' ? verdict!.warnings : []));
  }
  while (next < evaluations.length) {
    const e = evaluations[next++]!;
    await evaluateAttendance(
      replica,
      { webinarId: e.webinar_id, requester: e.requester, id: e.id, requestedAt: e.requested_at },
      clockB,
    );
  }
  await drainClassifier(replica, clockB);
  await drainRouter(replica, clockB);
  const logB = await wholeLog(replica);

  assert.deepEqual(warningsB, warningsA, 'same verdicts and warnings');
  const derivedA = derivedShape(logA);
  assert.ok(derivedA.length > 0);
  assert.deepEqual([...derivedShape(logB)].sort(), [...derivedA].sort(), 'same derived events');
}

describe('replay into an empty store: SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-replay-'));
  const opened: EventStore[] = [];
  after(async () => {
    for (const store of opened) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same verdicts and the same derived events', async () => {
    await replayIntoAnEmptyStore(async (name) => {
      const store = new SqliteEventStore(join(dir, `${name}.sqlite`));
      opened.push(store);
      return store;
    });
  });
});

const url = postgresUrl();
const postgresAvailable = await serviceAvailable('PostgreSQL', url);

if (!postgresAvailable) {
  describe('replay into an empty store: PostgreSQL', { skip: `cannot reach ${url}` }, () => {
    it('gives the same verdicts and the same derived events', () => undefined);
  });
} else {
  describe('replay into an empty store: PostgreSQL', () => {
    const opened: EventStore[] = [];
    const schemas: FreshSchema[] = [];
    after(async () => {
      for (const store of opened) await store.close();
      for (const schema of schemas) await schema.drop();
    });

    it('gives the same verdicts and the same derived events', async () => {
      // Each store in a fresh schema of its own: the replica cannot see the original or any other data.
      await replayIntoAnEmptyStore(async () => {
        const fresh = await freshSchema(url);
        schemas.push(fresh);
        const store = await PostgresEventStore.open(url, { schema: fresh.schema });
        opened.push(store);
        return store;
      });
    });
  });
}
