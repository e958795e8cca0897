import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CLASSIFIED, type DerivedEvent } from '../../src/contract/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
import { prepareStatements } from '../../src/store/sqlite/sqlite-tx.js';
import { ingest, registered } from './store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'we-sqlite-indexes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `store-${++files}.sqlite`);

const classification = (id: string, lead: string): DerivedEvent => ({
  specversion: '1.0',
  id,
  source: 'webinar-events/attendance-classifier',
  type: CLASSIFIED,
  time: '2026-11-26T10:00:00Z',
  causationid: `done-${lead}`,
  data: { lead_id: lead, webinar_id: 'W-1', attended: true, timestamp: '2026-11-26T10:00:00Z' },
});

function indexesOf(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name")
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

/** A file as schema `version` left it: the migrations up to it applied, in WAL mode. */
function schemaFile(path: string, version: number): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(
      `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        'then',
      );
    }
  } finally {
    db.close();
  }
}

describe('SQLite store: the indexes of the log', () => {
  it('looks every key of a batch up in an index: no scan of a table, no automatic index', async () => {
    const path = freshPath();
    await new SqliteEventStore(path).close();
    const db = new Database(path);
    try {
      const statements = prepareStatements(db);
      const loads = Object.entries(statements).filter(([name]) => name.startsWith('load'));
      assert.ok(loads.length >= 9);
      for (const [name, statement] of loads) {
        const params = statement.source.split('?').length - 1;
        const plan = (
          db
            .prepare(`EXPLAIN QUERY PLAN ${statement.source}`)
            .all(...Array<string>(params).fill('[]')) as Array<{
            detail: string;
          }>
        ).map((row) => row.detail);
        for (const step of plan) {
          // The keys themselves (json_each, aliased j) are scanned; every table is searched through an index.
          assert.ok(!/^SCAN (?!j\b)/.test(step) && !/AUTOMATIC/.test(step), `${name}: ${plan.join(' | ')}`);
        }
        if (name === 'loadEvents') assert.match(plan.join(' | '), /USING INDEX events_client_id/);
      }
    } finally {
      db.close();
    }
  });

  it('refuses a second derived event with the same id, and a second client event with the same source and id', async () => {
    const store = new SqliteEventStore(freshPath());
    try {
      await store.transaction('classifier', (tx) =>
        tx.appendDerived([classification('c-1', 'L-1')], '2026-11-26T10:00:01Z'),
      );
      // Unique by webinar, lead and id (schema 6): every second row the service can derive (a derived id is
      // uuid5 of a name holding its lead and webinar), also from another derived source.
      await assert.rejects(
        store.transaction('classifier', (tx) =>
          tx.appendDerived([classification('c-1', 'L-1')], '2026-11-26T10:00:02Z'),
        ),
        /UNIQUE constraint failed: events\.webinar_id, events\.lead_id, events\.id$/,
      );
      await assert.rejects(
        store.transaction('router', (tx) =>
          tx.appendDerived(
            [{ ...classification('c-1', 'L-1'), source: 'webinar-events/post-webinar-routing' }],
            '2026-11-26T10:00:02Z',
          ),
        ),
        /UNIQUE constraint failed: events\.webinar_id, events\.lead_id, events\.id$/,
      );
      // What schema 6 no longer refuses: the same id for another lead, a row the service cannot produce (a derived
      // id is uuid5 of a name holding its lead and webinar).
      await store.transaction('classifier', (tx) =>
        tx.appendDerived([classification('c-1', 'L-2')], '2026-11-26T10:00:02Z'),
      );
      const verdicts = await ingest(store, [registered('r-1', 'L-1', 'W-1')]);
      assert.equal(verdicts[0]!.status, 'accepted');
      // A client id equal to a derived one is another event: the indexes are apart.
      assert.equal((await ingest(store, [registered('c-1', 'L-3', 'W-1')]))[0]!.status, 'accepted');
      // The rules answer a retry as a duplicate before any insert; the index refuses a second row regardless.
      await assert.rejects(
        store.transaction('intake', async (tx) => {
          const head = await tx.head();
          const event = registered('r-1', 'L-9', 'W-1');
          await tx.appendClientEvents(
            [
              {
                position: head + 1,
                event: {
                  type: event.type,
                  id: event.id,
                  source: event.source,
                  sessionid: undefined,
                  data: event.data,
                  envelope: event,
                } as never,
                facts: {},
                warnings: [],
              },
            ],
            '2026-11-26T10:00:03Z',
          );
        }),
        /UNIQUE constraint failed: events\.source, events\.id$/,
      );
    } finally {
      await store.close();
    }
  });

  it('applies a migration once when another process applies it while this one opens the file', async () => {
    const path = freshPath();
    const latest = MIGRATIONS[MIGRATIONS.length - 1]!;
    schemaFile(path, latest.version - 1);
    // Another process takes the write lock, applies the newest migration and commits half a second later, after
    // this one has read which migrations the file has and is waiting for the lock to apply it too.
    const other = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import Database from 'better-sqlite3';
        const db = new Database(process.argv[1]);
        db.exec('BEGIN IMMEDIATE');
        db.exec(process.argv[2]);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(Number(process.argv[3]), 'other', 'now');
        process.stdout.write('locked');
        setTimeout(() => { db.exec('COMMIT'); db.close(); }, 500);`,
        path,
        latest.sql,
        String(latest.version),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      other.stdout.once('data', () => resolve());
      other.once('exit', (code) => reject(new Error(`the other process exited (${code}) before locking`)));
    });
    const store = new SqliteEventStore(path);
    await store.close();
    if (other.exitCode === null) await new Promise((resolve) => other.once('exit', resolve));
    const db = new Database(path, { readonly: true });
    try {
      const versions = db
        .prepare('SELECT version, name FROM schema_migrations ORDER BY version')
        .all() as Array<{
        version: number;
        name: string;
      }>;
      assert.deepEqual(
        versions.map((v) => v.version),
        MIGRATIONS.map((m) => m.version),
      );
      // Applied by the other process, and not again by this one.
      assert.equal(versions.at(-1)!.name, 'other');
    } finally {
      db.close();
    }
  });

  it('moves a database of schema 3 to the indexes of schema 6, keeping every row', async () => {
    const path = freshPath();
    schemaFile(path, 3);
    const db = new Database(path);
    const insert =
      db.prepare(`INSERT INTO events (position, source, id, type, lead_id, webinar_id, causationid,
      envelope, recorded_at) VALUES (?, ?, ?, ?, 'L-1', 'W-1', ?, '{}', 'then')`);
    insert.run(1, '/page', 'e-1', 'client_webinar_registered', null);
    insert.run(2, 'webinar-events/attendance-classifier', 'c-1', CLASSIFIED, 'e-1');
    db.close();
    assert.ok(indexesOf(path).includes('events_source_id'));

    const store = new SqliteEventStore(path);
    try {
      assert.equal(await store.head(), 2);
      // The stored client event is still found by its key: a retry is a duplicate.
      const verdict = (await ingest(store, [{ ...registered('e-1', 'L-1', 'W-1'), source: '/page' }]))[0]!;
      assert.notEqual(verdict.status, 'accepted');
      // And the stored derived row is held by the new index.
      await assert.rejects(
        store.transaction('classifier', (tx) =>
          tx.appendDerived([classification('c-1', 'L-1')], '2026-11-26T10:00:04Z'),
        ),
        /UNIQUE constraint failed: events\.webinar_id, events\.lead_id, events\.id$/,
      );
    } finally {
      await store.close();
    }
    const indexes = indexesOf(path);
    assert.ok(!indexes.includes('events_source_id'), indexes.join(', '));
    assert.ok(!indexes.includes('events_derived_id'), indexes.join(', '));
    assert.ok(
      indexes.includes('events_client_id') && indexes.includes('events_derived_key'),
      indexes.join(', '),
    );
  });
});
