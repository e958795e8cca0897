import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
import { openStore, resolveConfig, type Flags } from '../../src/config.js';
import { storeSuite } from './store-suite.js';

storeSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-store-'));
  const path = join(dir, 'store.sqlite');
  const opened: EventStore[] = [];
  const openOne = async (): Promise<EventStore> => {
    const store = new SqliteEventStore(path, { durability: 'normal' });
    opened.push(store);
    return store;
  };
  return {
    store: await openOne(),
    reopen: openOne,
    async cleanup() {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    async sql(statement) {
      const db = new Database(path);
      try {
        const prepared = db.prepare(statement);
        if (prepared.reader) return prepared.all() as Array<Record<string, unknown>>;
        prepared.run();
        return [];
      } finally {
        db.close();
      }
    },
  };
});

describe('SQLite store: durability (WEBINAR_EVENTS_DURABILITY)', () => {
  // What "an acknowledged event survives power loss" rests on: WAL with synchronous=FULL fsyncs the WAL at every
  // commit. A SIGKILL test cannot tell FULL from NORMAL (the OS keeps the page cache), so the setting is checked.
  const settings = async (flags: Flags): Promise<{ journal: unknown; synchronous: unknown }> => {
    const dir = mkdtempSync(join(tmpdir(), 'we-durability-'));
    const store = await openStore(resolveConfig({ db: join(dir, 'store.sqlite'), ...flags }, {}));
    try {
      const db = (store as unknown as { db: Database.Database }).db;
      return {
        journal: db.pragma('journal_mode', { simple: true }),
        synchronous: db.pragma('synchronous', { simple: true }),
      };
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is synchronous=FULL in WAL mode by default, NORMAL only when asked for', async () => {
    assert.deepEqual(await settings({}), { journal: 'wal', synchronous: 2 });
    assert.deepEqual(await settings({ durability: 'full' }), { journal: 'wal', synchronous: 2 });
    assert.deepEqual(await settings({ durability: 'normal' }), { journal: 'wal', synchronous: 1 });
  });
});

describe('SQLite store: opening a file it cannot serve', () => {
  it('refuses a database written by a newer version (an unknown migration), naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'we-newer-'));
    const path = join(dir, 'store.sqlite');
    try {
      await new SqliteEventStore(path).close();
      const raw = new Database(path);
      raw
        .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, ?)')
        .run('future', 'x');
      raw.close();
      assert.throws(
        () => new SqliteEventStore(path),
        (error: Error) =>
          error.message.includes(path) &&
          /schema migration 99/.test(error.message) &&
          /newer version/.test(error.message),
      );
      // Nothing was changed by the refused open: the file still opens once the unknown version is gone.
      const again = new Database(path);
      again.prepare('DELETE FROM schema_migrations WHERE version = 99').run();
      again.close();
      await new SqliteEventStore(path).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file when it is not a database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'we-garbage-'));
    const path = join(dir, 'garbage.sqlite');
    try {
      writeFileSync(path, Buffer.alloc(8192, 0x5a));
      assert.throws(
        () => new SqliteEventStore(path),
        (error: Error) => error.message.startsWith(`cannot open the SQLite database ${path}:`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite store: another process holds the write lock', () => {
  const withHeldLock = async (
    busyTimeoutMs: number,
    body: (store: SqliteEventStore, other: Database.Database) => Promise<void>,
  ): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'we-busy-'));
    const path = join(dir, 'store.sqlite');
    const store = new SqliteEventStore(path, { busyTimeoutMs });
    // A second connection stands for the other process (an ingest run, a sqlite3 shell): it takes the lock.
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await body(store, other);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('waits without blocking the event loop and writes once the lock is released', async () => {
    await withHeldLock(5000, async (store, other) => {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      // Released by a timer: with SQLite's synchronous busy wait the timer could not fire before the write gave up.
      const release = setTimeout(() => other.exec('COMMIT'), 150);
      try {
        const head = await store.transaction('intake', async (tx) => {
          await tx.setCheckpoint('busy-test', 7);
          return tx.head();
        });
        assert.equal(head, 0);
        assert.equal((await store.checkpoints())['busy-test'], 7);
        assert.equal(
          other.inTransaction,
          false,
          'the write went through after the other connection committed',
        );
        assert.ok(ticks > 0, 'timers ran while the write waited for the lock');
      } finally {
        clearInterval(ticker);
        clearTimeout(release);
      }
    });
  });

  it('counts the wait from when a transaction was asked for: queued ones do not add up their waits', async () => {
    await withHeldLock(1000, async (store, other) => {
      // Both asked for at once. The second reaches its turn when the first gives up (about 1 s), already at its
      // own deadline: it fails then too, instead of waiting 1 s more (it would have got the lock at 1.5 s).
      const release = setTimeout(() => other.exec('COMMIT'), 1500);
      try {
        const outcomes = await Promise.allSettled([
          store.transaction('intake', async (tx) => tx.head()),
          store.transaction('intake', async (tx) => tx.head()),
        ]);
        assert.deepEqual(
          outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : 'committed')),
          ['SQLITE_BUSY', 'SQLITE_BUSY'],
        );
      } finally {
        clearTimeout(release);
        if (other.inTransaction) other.exec('COMMIT');
      }
    });
  });

  it('gives up with SQLITE_BUSY after busyTimeoutMs and leaves no transaction open', async () => {
    await withHeldLock(200, async (store, other) => {
      await assert.rejects(
        store.transaction('intake', async (tx) => tx.head()),
        (error: { code?: string }) => error.code === 'SQLITE_BUSY',
      );
      other.exec('COMMIT');
      // The store is usable once the lock is free: the failed attempt left nothing behind.
      assert.equal(await store.transaction('intake', async (tx) => tx.head()), 0);
      assert.equal(await store.head(), 0);
    });
  });
});
