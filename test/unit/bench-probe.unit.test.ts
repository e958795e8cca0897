import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Child, removeTempRoot } from '../../bench/util.js';
import { parseIngestSummary } from '../../bench/sqlite.js';

after(() => removeTempRoot());

describe('bench: what a measured child reports', () => {
  it('peak RSS and CPU seconds come from the preloaded probe', async () => {
    // About 0.1–0.3 s of pure computation and a 64 MB buffer that is touched, so both figures are visible.
    const script =
      'const b = Buffer.alloc(64 * 2 ** 20, 1); let x = 0; for (let i = 0; i < 1e8; i++) x += i; console.log(x + b[0]);';
    const finished = await new Child(process.execPath, ['-e', script], { timeoutMs: 30_000, rssProbe: true })
      .exited;
    assert.equal(finished.code, 0);
    assert.ok(finished.peakRssMb !== undefined && finished.peakRssMb > 64, `peak RSS ${finished.peakRssMb}`);
    assert.ok(finished.cpu !== undefined, 'cpu reported');
    assert.ok(finished.cpu.user > 0.02, `user ${finished.cpu.user}`);
  });

  it('a child run without the probe reports neither', async () => {
    const finished = await new Child(process.execPath, ['-e', '0'], { timeoutMs: 30_000 }).exited;
    assert.equal(finished.peakRssMb, undefined);
    assert.equal(finished.cpu, undefined);
  });

  it('reads the counts out of the ingest summary', () => {
    const summary = parseIngestSummary(
      'ingest: 10 events: 7 accepted, 1 duplicate, 2 rejected\nlog head: position 12; store: sqlite x.db',
    );
    assert.deepEqual(summary, { accepted: 7, duplicate: 1, rejected: 2, log_head: 12 });
  });
});
