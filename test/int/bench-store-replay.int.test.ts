import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formsCatalogFile, simulateFile } from '../../bench/events.js';
import { recordStoreWork, replayStoreWork } from '../../bench/store-replay.js';
import { parseFormsCatalog } from '../../src/intake/forms-catalog.js';

/** Every row of every table, in key order: two files hold the same data exactly when these are equal. */
function contents(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    const out: Record<string, unknown[]> = {};
    // ORDER BY every column: a total order whatever the table's key.
    for (const table of tables) {
      const columns = (
        db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]
      ).join(', ');
      out[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY ${columns}`).all();
    }
    return out;
  } finally {
    db.close();
  }
}

describe('bench store-raw-sqlite: the recorded statements of the pipeline, replayed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-store-replay-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replays into a file holding exactly what the pipeline stored', async () => {
    const file = join(dir, 'events.ndjson');
    const formsPath = join(dir, 'forms.json');
    await simulateFile(file, 3000, 'replay-test');
    await formsCatalogFile(formsPath);
    const forms = parseFormsCatalog(JSON.parse(readFileSync(formsPath, 'utf8')), formsPath);

    const recorded = join(dir, 'recorded.sqlite');
    const recording = await recordStoreWork(file, forms, recorded);
    assert.equal(recording.events, 3000);
    assert.equal(recording.accepted, 3000);
    // Three batches of 1,000 lines, plus the processors' final catch-up transactions.
    assert.ok(recording.transactions.length >= 3, `${recording.transactions.length} transactions`);
    assert.ok(recording.statements > recording.events, `${recording.statements} statements`);

    const replayed = join(dir, 'replayed.sqlite');
    const row = await replayStoreWork('store-raw-sqlite', recording, replayed, 'full');
    assert.equal(row['events'], 3000);
    assert.equal(row['transactions'], recording.transactions.length);
    assert.equal(typeof row['events_per_s'], 'number');

    const expected = contents(recorded);
    const actual = contents(replayed);
    assert.ok((expected['events'] ?? []).length > 3000, 'client and derived events stored');
    assert.ok((expected['attendance'] ?? []).length > 0, 'attendance stored');
    assert.deepEqual(actual, expected);
  });
});
