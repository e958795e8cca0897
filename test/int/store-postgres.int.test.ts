import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ROUTE, CLASSIFIED } from '../../src/contract/index.js';
import type { EventType } from '../../src/contract/index.js';
import { EMPTY_FORMS_CATALOG, intakeKeys, planIntake } from '../../src/intake/index.js';
import {
  RecentLog,
  drainClassifier,
  drainRouter,
  evaluateAttendance,
  ingestBatch,
} from '../../src/pipeline/index.js';
import type { Verdict } from '../../src/intake/index.js';
import { copyRows } from '../../src/store/postgres/copy.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.js';
import type { EventStore, StoreTx } from '../../src/store/port.js';
import { freshSchema, onPostgres, postgresUrl, serviceAvailable, uniqueSchemaName } from './services.js';
import { funnelEvents } from './story.js';
import {
  assertDerivedOnce,
  assertGapFree,
  entered,
  ingest,
  judge,
  registered,
  storeSuite,
  tickingClock,
  wholeLog,
  withStore,
  type OpenStore,
} from './store-suite.js';

const url = postgresUrl();
const available = await serviceAvailable('PostgreSQL', url);

/** A fresh schema per test; every store opened on it (two pools = two instances) is closed at cleanup. */
const openPostgres: OpenStore = async () => {
  const fresh = await freshSchema(url);
  const opened: EventStore[] = [];
  const openOne = async (): Promise<EventStore> => {
    const store = await PostgresEventStore.open(url, { schema: fresh.schema });
    opened.push(store);
    return store;
  };
  return {
    store: await openOne(),
    reopen: openOne,
    async cleanup() {
      for (const store of opened) await store.close();
      await fresh.drop();
    },
    async sql(statement) {
      const result = await onPostgres(url, `SET search_path TO "${fresh.schema}"; ${statement}`);
      const last = Array.isArray(result) ? (result[result.length - 1] as pg.QueryResult) : result;
      return last.rows as Array<Record<string, unknown>>;
    },
  };
};

/** A deterministic shuffle, so each instance submits in its own order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The PostgreSQL backend serving an open transaction (the adapter's pooled connection), to cut it from outside. */
async function backendPid(tx: StoreTx): Promise<number> {
  const client = (tx as unknown as { client: { query(text: string): Promise<pg.QueryResult> } }).client;
  return Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
}

/** Records the `after` of every readLog call the store's transactions make (wrapping `transaction`). */
function readLogCalls(store: EventStore): number[] {
  const reads: number[] = [];
  const transaction = store.transaction.bind(store);
  store.transaction = (purpose, work) =>
    transaction(purpose, (tx) =>
      work(
        new Proxy(tx, {
          get(target, key) {
            if (key === 'readLog') {
              return (after: number, limit: number, types: EventType[]) => {
                reads.push(after);
                return target.readLog(after, limit, types);
              };
            }
            const value = Reflect.get(target, key) as unknown;
            return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
          },
        }),
      ),
    );
  return reads;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

if (!available) {
  describe('EventStore: PostgreSQL', { skip: `cannot reach ${url}` }, () => {
    it('runs against a reachable PostgreSQL', () => undefined);
  });
} else {
  storeSuite('PostgreSQL', openPostgres);

  describe('EventStore: PostgreSQL, several instances at once', () => {
    it('migrates once when several instances open a new schema at the same time', async () => {
      const schema = uniqueSchemaName();
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => PostgresEventStore.open(url, { schema })),
      );
      try {
        await Promise.all(stores.map((s) => s.ping()));
        const { rows } = await onPostgres(
          url,
          `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
        );
        assert.deepEqual(
          rows.map((r) => r['version']),
          MIGRATIONS.map((m) => m.version),
        );
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await onPostgres(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });

    it('says so when the search_path names no schema that exists, and creates nothing', async () => {
      const missing = uniqueSchemaName();
      const at = new URL(url);
      at.searchParams.set('options', `-c search_path=${missing}`);
      await assert.rejects(PostgresEventStore.open(at.toString()), (error: Error) => {
        assert.match(error.message, /no schema of the connection's search_path exists/);
        assert.match(error.message, /CREATE SCHEMA/);
        return true;
      });
      const { rows } = await onPostgres(
        url,
        `SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = '${missing}'`,
      );
      assert.equal(rows[0]['n'], 0);
    });

    it('refuses a schema written by a newer version (an unknown migration)', async () => {
      const schema = uniqueSchemaName();
      try {
        await (await PostgresEventStore.open(url, { schema })).close();
        await onPostgres(
          url,
          `INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')`,
        );
        await assert.rejects(PostgresEventStore.open(url, { schema }), (error: Error) => {
          assert.match(error.message, new RegExp(`schema "${schema}" has schema migration 99`));
          assert.match(error.message, /newer version/);
          return true;
        });
      } finally {
        await onPostgres(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });

    it('accepts exactly one of each conflict between two instances, with gap-free positions', async () => {
      await withStore(openPostgres, async ({ store: a, reopen }) => {
        const b = await reopen();
        const leads = 60;
        // Per lead, both instances send: a registration under their own id, an entry into the same session,
        // the very same event, and an event with the same id but other content.
        const sent = (side: 'a' | 'b'): Array<Record<string, unknown>> =>
          Array.from({ length: leads }, (_, i) => [
            registered(`${side}-reg-${i}`, `L-${i}`, 'W-1'),
            entered(`${side}-ent-${i}`, `L-${i}`, 'W-1', `S-${i}`),
            entered(`same-${i}`, `L-${i}`, 'W-2', `T-${i}`),
            registered(`clash-${i}`, side === 'a' ? `LA-${i}` : `LB-${i}`, 'W-3'),
          ]).flat();
        const run = async (store: EventStore, events: Array<Record<string, unknown>>, seed: number) => {
          const verdicts = new Map<string, Verdict>();
          const batches = chunks(shuffled(events, seed), 7);
          await Promise.all(
            batches.map(async (batch) => {
              const results = await ingest(store, batch, tickingClock());
              results.forEach((v, i) => verdicts.set(`${batch[i]!['id']}|${JSON.stringify(batch[i])}`, v));
            }),
          );
          return verdicts;
        };
        const [va, vb] = await Promise.all([run(a, sent('a'), 1), run(b, sent('b'), 2)]);
        const verdictOf = (verdicts: Map<string, Verdict>, event: Record<string, unknown>): Verdict =>
          verdicts.get(`${event['id']}|${JSON.stringify(event)}`)!;
        const accepted: number[] = [];
        for (const v of [...va.values(), ...vb.values()])
          if (v.status === 'accepted') accepted.push(v.position!);
        for (let i = 0; i < leads; i++) {
          const pair = (ea: Record<string, unknown>, eb: Record<string, unknown>): [Verdict, Verdict] => [
            verdictOf(va, ea),
            verdictOf(vb, eb),
          ];
          const codes = (v: Verdict): string =>
            v.status === 'rejected' ? v.errors.map((e) => e.code).join('+') : v.status;
          const checkOne = (what: string, [x, y]: [Verdict, Verdict], loser: string) => {
            const outcomes = [codes(x), codes(y)].sort();
            assert.deepEqual(outcomes, ['accepted', loser].sort(), `${what} ${i}: ${outcomes.join(', ')}`);
          };
          checkOne(
            'registration',
            pair(registered(`a-reg-${i}`, `L-${i}`, 'W-1'), registered(`b-reg-${i}`, `L-${i}`, 'W-1')),
            'ALREADY_REGISTERED',
          );
          checkOne(
            'entry',
            pair(
              entered(`a-ent-${i}`, `L-${i}`, 'W-1', `S-${i}`),
              entered(`b-ent-${i}`, `L-${i}`, 'W-1', `S-${i}`),
            ),
            'REPEATED_IN_SESSION',
          );
          const same = pair(
            entered(`same-${i}`, `L-${i}`, 'W-2', `T-${i}`),
            entered(`same-${i}`, `L-${i}`, 'W-2', `T-${i}`),
          );
          checkOne('same event', same, 'duplicate');
          assert.equal(
            same[0].status !== 'rejected' && same[0].position,
            same[1].status !== 'rejected' && same[1].position,
          );
          checkOne(
            'same id',
            pair(registered(`clash-${i}`, `LA-${i}`, 'W-3'), registered(`clash-${i}`, `LB-${i}`, 'W-3')),
            'ID_CONFLICT',
          );
        }
        assert.equal(accepted.length, leads * 4);
        assert.deepEqual(
          accepted.sort((x, y) => x - y),
          accepted.map((_, i) => i + 1),
        );
        for (const store of [a, b]) {
          const log = await wholeLog(store);
          assertGapFree(log);
          assert.equal(log.length, leads * 4);
          assert.equal((await store.readRejections(0, 10_000)).length, leads * 3);
        }
      });
    });

    it('derives every classification and route exactly once with two classifiers and two routers', async () => {
      await withStore(openPostgres, async ({ store: a, reopen }) => {
        const b = await reopen();
        const events = funnelEvents(3, 60);
        const half = Math.floor(events.length / 2);
        await ingest(a, events.slice(0, half));
        const processors = async (): Promise<number> => {
          const derived = await Promise.all([
            drainClassifier(a, tickingClock()),
            drainClassifier(b, tickingClock()),
            drainRouter(a, tickingClock()),
            drainRouter(b, tickingClock()),
          ]);
          return derived.flat().length;
        };
        // The second half arrives through both instances while the processors run.
        const [, , derivedWhileIngesting] = await Promise.all([
          Promise.all(chunks(events.slice(half), 25).map((batch) => ingest(a, batch))),
          Promise.all(chunks(events.slice(half).reverse(), 25).map((batch) => ingest(b, batch))),
          processors(),
        ]);
        const derivedAfter = await processors();
        await processors();
        // Both instances evaluate every webinar at once: each `false` is emitted by one of them only.
        const evaluated = await Promise.all(
          ['W-0', 'W-1', 'W-2'].flatMap((webinarId) =>
            [a, b].map((store) =>
              evaluateAttendance(store, { webinarId, requester: 'suite' }, tickingClock()),
            ),
          ),
        );
        await Promise.all([drainRouter(a), drainRouter(b)]);
        const log = await wholeLog(a);
        assertGapFree(log);
        // 3 webinars × 60 leads: 48 entered each, 24 of them completed → 24 true and 24 false per webinar.
        assert.deepEqual(assertDerivedOnce(log), { classifications: 3 * 48, routes: 3 * 48 });
        const falses = evaluated.flat();
        assert.equal(falses.length, 3 * 24);
        assert.equal(new Set(falses.map((e) => e.id)).size, falses.length);
        assert.ok(derivedWhileIngesting + derivedAfter > 0);
        const clientEvents = log.filter((e) => e.event['type'] !== CLASSIFIED && e.event['type'] !== ROUTE);
        assert.equal(clientEvents.length, events.length, 'every client event stored once');
        const checkpoints = await b.checkpoints();
        assert.equal(
          checkpoints['post-webinar-routing'],
          log.filter((e) => e.event['type'] === CLASSIFIED).at(-1)!.position,
        );
      });
    });

    it("processors take this process's recent events from memory and read the log for another's", async () => {
      await withStore(openPostgres, async ({ store: a, reopen }) => {
        const b = await reopen();
        const recent = new RecentLog();
        const reads = readLogCalls(a);
        const events = funnelEvents(2, 30);
        const third = Math.floor(events.length / 3);
        const intake = (store: EventStore, batch: typeof events, withRecent: boolean) =>
          ingestBatch(store, batch.map(judge), {
            forms: EMPTY_FORMS_CATALOG,
            origin: 'test',
            clock: tickingClock(),
            ...(withRecent && { recent }),
          });
        await intake(a, events.slice(0, third), true);
        const gapAfter = third;
        await intake(b, events.slice(third, 2 * third), false); // another instance: not in a's memory
        await intake(a, events.slice(2 * third), true);
        await drainClassifier(a, tickingClock(), undefined, recent);
        await drainRouter(a, tickingClock(), undefined, recent);
        assert.ok(
          !reads.includes(0),
          `the first positions came from memory: reads after ${reads.join(', ')}`,
        );
        assert.ok(
          reads.includes(gapAfter),
          `the other instance's events were read: reads after ${reads.join(', ')}`,
        );
        const log = await wholeLog(a);
        assertGapFree(log);
        // 2 webinars × 30 leads, 12 of each 30 complete (24 of 60, as in the tests above): one `true` each.
        assert.deepEqual(assertDerivedOnce(log), { classifications: 2 * 12, routes: 2 * 12 });
        // Nothing is left for a processor without memory: both checkpoints are at the head.
        assert.deepEqual(await drainClassifier(b), []);
        assert.deepEqual(await drainRouter(b), []);
      });
    });

    it('processors trust their memory only where the log holds the same events (a database that fell behind)', async () => {
      await withStore(openPostgres, async ({ store: a, reopen, sql }) => {
        const b = await reopen();
        const recent = new RecentLog();
        const judged = (events: ReturnType<typeof funnelEvents>) => events.map(judge);
        const options = { forms: EMPTY_FORMS_CATALOG, origin: 'test', clock: tickingClock() };
        // `a` commits a funnel and remembers it; then the database loses it (a failover to a replica that had
        // not received it, a restore) and another instance writes other events at the same positions.
        const both = funnelEvents(2, 20);
        const webinarOf = (e: (typeof both)[number]) => (e['data'] as Record<string, unknown>)['webinar_id'];
        const lost = both.filter((e) => webinarOf(e) === 'W-0');
        const kept = both.filter((e) => webinarOf(e) === 'W-1');
        const lostVerdicts = await ingestBatch(a, judged(lost), { ...options, recent });
        assert.ok(lostVerdicts.every((v) => v.status === 'accepted'));
        assert.equal(recent.size, lost.length);
        await sql('DELETE FROM events');
        const keptVerdicts = await ingestBatch(b, judged(kept), options);
        assert.ok(keptVerdicts.every((v) => v.status === 'accepted'));
        await drainClassifier(a, tickingClock(), undefined, recent);
        await drainRouter(a, tickingClock(), undefined, recent);
        const log = await wholeLog(a);
        assertGapFree(log);
        const classified = log.filter((e) => e.event['type'] === CLASSIFIED);
        assert.ok(classified.length > 0);
        for (const c of classified)
          assert.equal((c.event['data'] as Record<string, unknown>)['webinar_id'], 'W-1');
        assertDerivedOnce(log);
      });
    });

    it('processors take the confirmed part of their memory and read the log from where it differs', async () => {
      await withStore(openPostgres, async ({ store: a, reopen, sql }) => {
        const b = await reopen();
        const recent = new RecentLog();
        const reads = readLogCalls(a);
        const options = { forms: EMPTY_FORMS_CATALOG, origin: 'test', clock: tickingClock() };
        const both = funnelEvents(2, 20);
        const webinarOf = (e: (typeof both)[number]) => (e['data'] as Record<string, unknown>)['webinar_id'];
        const first = both.filter((e) => webinarOf(e) === 'W-0');
        await ingestBatch(a, first.map(judge), { ...options, recent });
        // The database keeps only the first half of what `a` remembers; another instance fills the rest.
        const kept = Math.floor(first.length / 2);
        await sql(`DELETE FROM events WHERE position > ${kept}`);
        await ingestBatch(b, both.filter((e) => webinarOf(e) === 'W-1').map(judge), options);
        await drainClassifier(a, tickingClock(), undefined, recent);
        await drainRouter(a, tickingClock(), undefined, recent);
        assert.ok(
          !reads.includes(0),
          `positions 1..${kept} came from memory: reads after ${reads.join(', ')}`,
        );
        assert.ok(reads.includes(kept), `the log was read from ${kept}: reads after ${reads.join(', ')}`);
        // Nothing was classified that the log does not hold, and everything it holds was.
        const log = await wholeLog(a);
        assertGapFree(log);
        const ids = new Set(log.map((e) => e.event['id']));
        const classified = log.filter((e) => e.event['type'] === CLASSIFIED);
        for (const c of classified)
          assert.ok(ids.has(c.event['causationid']), `${c.event['causationid']} is stored`);
        assertDerivedOnce(log);
        assert.deepEqual(await drainClassifier(b), []);
      });
    });

    it('an evaluation waits for an open router step instead of deadlocking with it', async () => {
      await withStore(openPostgres, async ({ store: a, reopen }) => {
        const b = await reopen();
        // L-1 entered and never completed: evaluation will write its attendance row under the log lock.
        await ingest(a, [registered('r-1', 'L-1', 'W-1'), entered('e-1', 'L-1', 'W-1', 'S-1')]);
        await drainClassifier(a);
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let routed!: () => void;
        const holdsRow = new Promise<void>((resolve) => (routed = resolve));
        // A router step as routePending runs it: its route written (row lock on L-1's record), then, later, the
        // append, which takes the log lock.
        const router = a.transaction('router', async (tx) => {
          await tx.recordRoutes([
            {
              specversion: '1.0',
              id: 'route-1',
              source: 'webinar-events/test',
              type: ROUTE,
              time: '2026-11-26T11:00:00Z',
              causationid: 'classification-1',
              data: { status: 'not_attended', lead_id: 'L-1', webinar_id: 'W-1' },
            },
          ]);
          routed();
          await gate;
          await tx.appendDerived([], '2026-11-26T11:00:00Z');
        });
        await holdsRow;
        // Holding the log lock, this evaluation would wait for L-1's row while the router waits for the log lock:
        // a cycle PostgreSQL breaks by failing one of them (deadlock_detected). It takes the router lock first.
        const evaluation = evaluateAttendance(b, { webinarId: 'W-1', requester: 'test' }, tickingClock());
        await new Promise((resolve) => setTimeout(resolve, 300));
        release();
        await router;
        const falses = await evaluation;
        assert.deepEqual(
          falses.map((e) => [e.type, e.data['lead_id'], e.data['attended']]),
          [[CLASSIFIED, 'L-1', false]],
        );
      });
    });

    it('derives every classification once with intake, processors and evaluations all running at once', async () => {
      await withStore(openPostgres, async ({ store: a, reopen }) => {
        const b = await reopen();
        // Classifier and router steps write attendance rows before they take the log lock, evaluation under it
        // (src/store/postgres/README.md, "Concurrency"). Small batches through two instances keep every kind of
        // transaction open at once; a deadlock would fail one of them (the test above forces the one case).
        const webinars = ['W-0', 'W-1', 'W-2', 'W-3'];
        const events = funnelEvents(webinars.length, 80);
        let ingesting = true;
        const loop = async (step: () => Promise<unknown>): Promise<number> => {
          let runs = 0;
          while (ingesting) {
            await step();
            runs++;
          }
          return runs;
        };
        const stores = [a, b];
        const work = Promise.all([
          ...stores.map((store) =>
            loop(async () => {
              await drainClassifier(store, tickingClock());
              await drainRouter(store, tickingClock());
            }),
          ),
          ...stores.flatMap((store) =>
            webinars.map((webinarId) =>
              loop(() =>
                evaluateAttendance(store, { webinarId, requester: 'deadlock-test' }, tickingClock()),
              ),
            ),
          ),
        ]);
        try {
          await Promise.all([
            (async () => {
              for (const batch of chunks(events, 40)) await ingest(a, batch);
            })(),
            (async () => {
              for (const batch of chunks(shuffled(events, 7), 40)) await ingest(b, batch);
            })(),
          ]);
        } finally {
          ingesting = false;
        }
        const runs = await work;
        assert.ok(
          runs.every((n) => n > 0),
          `every loop ran: ${runs.join(', ')}`,
        );
        await Promise.all([drainClassifier(a), drainClassifier(b)]);
        await Promise.all([drainRouter(a), drainRouter(b)]);
        const log = await wholeLog(a);
        assertGapFree(log);
        const { classifications } = assertDerivedOnce(log);
        assert.ok(classifications > 0);
        const clientEvents = log.filter((e) => e.event['type'] !== CLASSIFIED && e.event['type'] !== ROUTE);
        assert.equal(clientEvents.length, events.length, 'every client event stored once');
      });
    });

    it('the relay lease: one instance holds it at a time, the other is told so at once; failing work frees it', async () => {
      await withStore(openPostgres, async ({ store: a, reopen }) => {
        const b = await reopen();
        let releaseA!: () => void;
        const aHolds = new Promise<void>((resolve) => (releaseA = resolve));
        let aIn = false;
        const first = a.withLease('relay', async () => {
          aIn = true;
          await aHolds;
          return 'a done';
        });
        while (!aIn) await new Promise((r) => setTimeout(r, 10));
        // Held by a: b does not run its work and does not wait.
        let bRan = false;
        assert.equal(
          await b.withLease('relay', async () => {
            bRan = true;
          }),
          undefined,
        );
        assert.equal(bRan, false);
        releaseA();
        assert.equal(await first, 'a done');
        assert.equal(await b.withLease('relay', async () => 'b now'), 'b now');
        // Work that fails gives the lease back (and keeps the connection): the other gets it at once.
        await assert.rejects(
          a.withLease('relay', async () => {
            throw new Error('publish failed');
          }),
          /publish failed/,
        );
        assert.equal(await b.withLease('relay', async () => 'next'), 'next');
      });
    });

    it('survives its connection being terminated mid-transaction: the transaction fails, the process does not', async () => {
      await withStore(openPostgres, async ({ store }) => {
        // Between two statements of a transaction the connection is cut (as a PostgreSQL restart does); without
        // a listener for the held connection's 'error' event this ended the whole process.
        const cut = store.transaction('intake', async (tx) => {
          await tx.head();
          const pid = await backendPid(tx);
          const terminated = await onPostgres(url, `SELECT pg_terminate_backend(${pid}) AS done`);
          assert.equal(terminated.rows[0].done, true, 'the backend was terminated');
          await new Promise((r) => setTimeout(r, 300)); // the termination arrives while no statement runs
          return tx.head();
        });
        // Failed because the connection was cut (57P01 admin_shutdown, or pg's own word for a dead connection),
        // not for any other reason.
        await assert.rejects(cut, (error: Error & { code?: string }) => {
          assert.ok(
            error.code === '57P01' || /terminat|connection error/i.test(error.message),
            `unexpected error: ${error.code} ${error.message}`,
          );
          return true;
        });
        // The broken connection was discarded: the next transactions get working ones.
        const verdicts = await ingest(store, [registered('r-after-cut', 'L-after-cut', 'W-cut')]);
        assert.equal(verdicts[0]!.status, 'accepted');
      });
    });

    it('fails, not hangs, when its connection is cut while a COPY of the log runs', async () => {
      const fresh = await freshSchema(url);
      const store = await PostgresEventStore.open(url, { schema: fresh.schema });
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      try {
        // An uncommitted row at position 1 makes the intake's COPY (also at position 1) wait on the primary key.
        await blocker.query(`SET search_path TO "${fresh.schema}"`);
        await blocker.query('BEGIN');
        await blocker.query(
          `INSERT INTO events (position, source, id, type, envelope, recorded_at) VALUES (1, '/b', 'b', 'x', '{}', 'x')`,
        );
        let pid = 0;
        const cut = store.transaction('intake', async (tx) => {
          pid = await backendPid(tx);
          const state = await tx.loadIntakeState(intakeKeys([judge(registered('r-cut', 'L-cut', 'W-cut'))]));
          const plan = planIntake(
            state,
            [judge(registered('r-cut', 'L-cut', 'W-cut'))],
            EMPTY_FORMS_CATALOG,
            1,
          );
          await tx.appendClientEvents(plan.appends, '2026-11-29T00:00:00Z');
        });
        const outcome = cut.then(
          () => 'resolved',
          (error: Error & { code?: string }) => `rejected ${error.code ?? ''} ${error.message}`,
        );
        // Once the COPY waits for the lock, its backend is terminated (as a PostgreSQL restart would).
        for (let waited = 0; ; waited += 50) {
          assert.ok(waited < 10_000, 'the COPY never waited for the lock');
          const waiting = await onPostgres(
            url,
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid} AND wait_event_type = 'Lock'`,
          );
          if (pid !== 0 && waiting.rows[0].n === 1) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await onPostgres(url, `SELECT pg_terminate_backend(${pid})`);
        let timer: NodeJS.Timeout | undefined;
        const settled = await Promise.race([
          outcome,
          new Promise<string>((r) => (timer = setTimeout(() => r('still pending after 10 s'), 10_000))),
        ]);
        clearTimeout(timer);
        assert.match(settled, /^rejected .*(57P01|terminat|connection)/i);
        await blocker.query('ROLLBACK');
        // The broken connection was discarded: the next transaction gets a working one.
        const verdicts = await ingest(store, [registered('r-after', 'L-after', 'W-cut')]);
        assert.equal(verdicts[0]!.status, 'accepted');
      } finally {
        await blocker.end().catch(() => undefined);
        await store.close();
        await fresh.drop();
      }
    });

    it('copies rows whose text holds what COPY reads as escapes, tabs, line ends and NULL, exactly', async () => {
      const values = [
        'plain',
        'tab\there',
        'line\nend',
        'cr\rreturn',
        'back\\slash',
        '\\N',
        '',
        'été 𝄞',
        '\\\\t',
      ];
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const client = await pool.connect();
      try {
        await client.query('CREATE TEMP TABLE copied (n bigint, t text)');
        const rows = [...values.map((t, i) => [i, t]), [values.length, null]];
        assert.equal(await copyRows(client, 'COPY copied (n, t) FROM STDIN', rows), rows.length);
        const back = await client.query<{ n: string; t: string | null }>(
          'SELECT n, t FROM copied ORDER BY n',
        );
        assert.deepEqual(
          back.rows.map((r) => [Number(r.n), r.t]),
          rows,
        );
        // A failing COPY rejects, and the connection stays usable.
        await assert.rejects(
          copyRows(client, 'COPY copied (n, t) FROM STDIN', [['not a number', 'x']]),
          /bigint/,
        );
        assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
      } finally {
        client.release();
        await pool.end();
      }
    });

    it('fails ping quickly when the server cannot be reached', async () => {
      const store = new PostgresEventStore('postgres://postgres@127.0.0.1:1/test', {
        pingTimeoutMs: 500,
        connectTimeoutMs: 500,
      });
      await assert.rejects(store.ping(), (error: Error & { code?: string }) => {
        assert.ok(
          error.code === 'ECONNREFUSED' || /ECONNREFUSED|timeout/i.test(error.message),
          `unexpected error: ${error.code} ${error.message}`,
        );
        return true;
      });
      await store.close();
    });
  });
}
