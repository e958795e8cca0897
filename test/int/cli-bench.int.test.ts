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
});
