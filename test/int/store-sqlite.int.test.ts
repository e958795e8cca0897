import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
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
  };
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
