import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = fileURLToPath(new URL('../../../bin/webinar-events.js', import.meta.url));

describe('webinar-events bench (SPEC §7 CLI)', () => {
  it('runs the benchmark runner and prints JSON lines, each figure beside its baseline', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'bench', '--quick', '--only', 'validate'],
      {
        timeout: 60_000,
      },
    );
    const rows = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const byName = new Map(rows.map((r) => [r['bench'], r]));
    assert.ok(byName.has('machine'));
    const raw = byName.get('validate-raw')!;
    const validate = byName.get('validate')!;
    assert.equal(typeof raw['events_per_s'], 'number');
    assert.equal(validate['baseline'], 'validate-raw');
    assert.equal(typeof validate['vs_baseline'], 'number');
    assert.equal(typeof validate['met'], 'boolean');
  });

  it('runs a storage row and its baseline alternately for --rounds, and reports the median runs', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'bench', '--quick', '--only', 'ingest-sqlite-1m', '--rounds', '2'],
      { timeout: 120_000 },
    );
    const rows = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const byName = new Map(rows.map((r) => [r['bench'], r]));
    assert.equal(byName.get('machine')!['rounds'], 2);
    for (const name of ['append-raw-sqlite', 'store-raw-sqlite', 'ingest-sqlite']) {
      const row = byName.get(name)!;
      assert.equal(row['rounds'], 2, name);
      const runs = row['runs_events_per_s'] as number[];
      assert.equal(runs.length, 2, name);
      assert.equal(row['events_per_s'], Math.min(...runs), `${name}: the lower middle of two runs`);
    }
    const ingest = byName.get('ingest-sqlite')!;
    assert.equal(ingest['baseline'], 'append-raw-sqlite');
    assert.equal(
      ingest['vs_baseline'],
      Math.round(
        ((ingest['events_per_s'] as number) / (byName.get('append-raw-sqlite')!['events_per_s'] as number)) *
          1000,
      ) / 1000,
    );
    // ingest-sqlite brings the replay of its own statements, and its share of that replay's rate.
    const storeRaw = byName.get('store-raw-sqlite')!;
    assert.equal(storeRaw['baseline'], 'append-raw-sqlite');
    assert.ok((storeRaw['statements'] as number) > (storeRaw['events'] as number));
    assert.equal(
      ingest['vs_store_raw'],
      Math.round(((ingest['events_per_s'] as number) / (storeRaw['events_per_s'] as number)) * 1000) / 1000,
    );
    // The 1M row is judged against two more ingest-sqlite runs, right before and right after it.
    const million = byName.get('ingest-sqlite-1m')!;
    const adjacent = million['baseline_runs_events_per_s'] as number[];
    assert.equal(adjacent.length, 2);
    assert.ok(adjacent.every((rate) => rate > 0));
    assert.equal(million['baseline_events_per_s'], Math.round((adjacent[0]! + adjacent[1]!) / 2));
    assert.equal(
      million['vs_baseline'],
      Math.round(
        ((million['events_per_s'] as number) / (million['baseline_events_per_s'] as number)) * 1000,
      ) / 1000,
    );
  });

  it('refuses --rounds that is not a small positive integer', async () => {
    await assert.rejects(
      promisify(execFile)(process.execPath, [BIN, 'bench', '--rounds', '0'], { timeout: 30_000 }),
      (error: { code?: number; stderr?: string }) => error.code === 2 && /--rounds/.test(error.stderr ?? ''),
    );
  });
});
