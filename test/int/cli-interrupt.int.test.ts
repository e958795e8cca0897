/**
 * `ingest` interrupted: by SIGINT (Ctrl-C), or by the reader of its --json output going away (`| head`). What it
 * reported is what is stored, it says how to continue, exits 130, and never crashes with a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';

const BIN = fileURLToPath(new URL('../../../bin/webinar-events.js', import.meta.url));

describe('ingest, interrupted', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'we-interrupt-'));
    file = join(dir, 'many.ndjson');
    const made = spawnSync(process.execPath, [
      BIN,
      'simulate',
      '--events',
      '60000',
      '--seed',
      'int',
      '--out',
      file,
    ]);
    assert.equal(made.status, 0, String(made.stderr));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const storedClientEvents = async (db: string): Promise<number> => {
    const store = new SqliteEventStore(db);
    try {
      let n = 0;
      for (let after = 0; ;) {
        const page = await store.readEvents(after, 1000);
        if (page.length === 0) return n;
        n += page.filter((e) => !String(e.event['source']).startsWith('webinar-events/')).length;
        after = page.at(-1)!.position;
      }
    } finally {
      await store.close();
    }
  };

  it('SIGINT: commits and reports the lines read, prints the summary so far, exits 130', async () => {
    const db = join(dir, 'sigint.sqlite');
    const child = spawn(process.execPath, [BIN, 'ingest', file, '--json', '--batch', '500', '--db', db]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    // Interrupted once some batches are committed, well before the end.
    while (stdout.split('\n').length < 2000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    const verdicts = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { line: number; status: string });
    assert.ok(verdicts.length < 60000, `stopped early (${verdicts.length} lines)`);
    assert.deepEqual(
      verdicts.map((v) => v.line),
      verdicts.map((_, i) => i + 1),
      'every line up to the stop, in order',
    );
    const accepted = verdicts.filter((v) => v.status === 'accepted').length;
    assert.equal(await storedClientEvents(db), accepted, 'what was reported accepted is what is stored');
    assert.match(stderr, new RegExp(`ingest: ${verdicts.length} events: ${accepted} accepted`));
    assert.match(
      stderr,
      new RegExp(
        `stopped \\(SIGINT\\): lines 1–${verdicts.length} are committed \\(${verdicts.length} events\\)`,
      ),
    );
    assert.match(stderr, /run the same file again/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  it('the reader of --json goes away (| head): no EPIPE crash, stops, exits 130', async () => {
    const db = join(dir, 'epipe.sqlite');
    const child = spawn(process.execPath, [BIN, 'ingest', file, '--json', '--batch', '500', '--db', db]);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    // Read the first chunk, then close our end of the pipe, as `head` does.
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.stdout.destroy();
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /the reader of stdout went away/);
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at /, 'no crash');
    const stored = await storedClientEvents(db);
    assert.ok(stored > 0 && stored < 60000, `${stored} stored before the stop`);
  });
});
