import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Child, removeTempRoot } from '../../bench/util.js';
import { parseIngestSummary } from '../../bench/sqlite.js';
import { medianRun, type Row } from '../../bench/report.js';

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

  it('what the child wrote to storage comes from the probe too', async () => {
    // 8 MB written and fsynced, next to the repository (a real disk; /tmp may be a tmpfs, whose writes never
    // reach storage and are not counted).
    const file = join(process.cwd(), `.bench-probe-${process.pid}.bin`);
    const script = `const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(file)}, 'w');
      fs.writeSync(fd, Buffer.alloc(8e6, 1)); fs.fsyncSync(fd); fs.closeSync(fd); fs.rmSync(${JSON.stringify(file)});`;
    const finished = await new Child(process.execPath, ['-e', script], { timeoutMs: 30_000, rssProbe: true })
      .exited;
    assert.equal(finished.code, 0);
    assert.ok(
      finished.writtenMb !== undefined && finished.writtenMb >= 7.9 && finished.writtenMb < 12,
      `written ${finished.writtenMb} MB`,
    );
  });

  it('a child run without the probe reports neither', async () => {
    const finished = await new Child(process.execPath, ['-e', '0'], { timeoutMs: 30_000 }).exited;
    assert.equal(finished.peakRssMb, undefined);
    assert.equal(finished.cpu, undefined);
    assert.equal(finished.writtenMb, undefined);
  });

  it('reads the counts out of the ingest summary', () => {
    const summary = parseIngestSummary(
      'ingest: 10 events: 7 accepted, 1 duplicate, 2 rejected\nlog head: position 12; store: sqlite x.db',
    );
    assert.deepEqual(summary, { accepted: 7, duplicate: 1, rejected: 2, log_head: 12 });
  });
});

describe('bench: several rounds of a row', () => {
  const run = (rate: number, seconds: number): Row => ({ bench: 'x', events_per_s: rate, seconds });

  it('reports the median run by events/s, with every run in the order they ran', () => {
    const row = medianRun([run(300, 1), run(100, 3), run(200, 2)]);
    assert.equal(row['events_per_s'], 200);
    assert.equal(row['seconds'], 2, 'the median run, not a mix of runs');
    assert.equal(row['rounds'], 3);
    assert.deepEqual(row['runs_events_per_s'], [300, 100, 200]);
  });

  it('takes the lower middle run of an even count; one run is its own median', () => {
    assert.equal(medianRun([run(400, 1), run(100, 4), run(300, 2), run(200, 3)])['events_per_s'], 200);
    assert.deepEqual(medianRun([run(5, 1)]), { ...run(5, 1), rounds: 1, runs_events_per_s: [5] });
    assert.throws(() => medianRun([]));
  });
});
