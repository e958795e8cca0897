/**
 * `webinar-events replay`, run as a real process between real stores (SQLite files, PostgreSQL schemas): what it
 * copies, what it replays, how it compares, and what it refuses. The derived events are compared here by reading
 * both stores, not by trusting the command's own report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { EMPTY_FORMS_CATALOG } from '../../src/intake/index.js';
import {
  attendanceReport,
  drainClassifier,
  drainRouter,
  evaluateAttendance,
  replayMatched,
  replayStore,
} from '../../src/pipeline/index.js';
import { SIMULATED_FORMS, simulate } from '../../src/simulate/index.js';
import type { EventStore } from '../../src/store/port.js';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
import { derivedShape, entered, ingest, registered, tickingClock, wholeLog } from './store-suite.js';
import { freshSchema, onPostgres, postgresUrl, serviceAvailable, type FreshSchema } from './services.js';

const BIN = fileURLToPath(new URL('../../../bin/webinar-events.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'we-replay-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI with no store settings from the environment but `extra`: every store is named by a flag. */
function cli(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const name of ['DATABASE_URL', 'WEBINAR_EVENTS_DB', 'WEBINAR_EVENTS_FORMS', 'NATS_URL'])
      delete env[name];
    Object.assign(env, extra);
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What SPEC §6 says a replay keeps: derived ids and payloads, without the time they were made. */
async function derivedOf(store: EventStore): Promise<string[]> {
  return derivedShape(await wholeLog(store)).sort();
}

/** Client events as stored (the text, not a value parsed from it) with their warnings, in log order. */
async function clientEventsOf(store: EventStore): Promise<string[]> {
  const out: string[] = [];
  for (let after = 0; ;) {
    const page = await store.readStoredLog(after, 1000);
    if (page.length === 0) return out;
    for (const row of page) if (!row.derived) out.push(`${row.envelope} ${row.warnings}`);
    after = page[page.length - 1]!.position;
  }
}

async function quarantineOf(store: EventStore): Promise<unknown[]> {
  return (await store.readRejections(0, 10_000)).map(({ seq: _seq, ...rest }) => rest);
}

async function evaluationsOf(store: EventStore): Promise<unknown[]> {
  return (await store.evaluations()).map(({ at_position: _a, ...rest }) => rest);
}

const PAYLOAD = '{"b":1,"2":2,"order":12345678901234567890,"x":1.50}';
const forms = join(dir, 'forms.json');
const noForms = join(dir, 'no-forms.json');
const source = join(dir, 'source.sqlite');

/** A store with history: a faulty stream in two runs of `ingest`, an evaluation of every webinar between them. */
before(async () => {
  writeFileSync(forms, JSON.stringify(SIMULATED_FORMS));
  writeFileSync(noForms, JSON.stringify({ forms: {} }));
  const lines = [...simulate({ seed: 'replay-cli', webinars: 2, leads: 80, faults: 0.05 })].map((l) =>
    typeof l.line === 'string' ? l.line : JSON.stringify(l.line),
  );
  // A form payload whose text a parse and serialize would change: an integer beyond 2^53, 1.50, key order.
  const form = lines.findIndex((line) => line.includes('"form_payload":{"rating"'));
  assert.ok(form > 0);
  lines[form] = lines[form]!.replace(/"form_payload":\{[^}]*\}/, `"form_payload":${PAYLOAD}`);
  const half = Math.floor(lines.length / 2);
  writeFileSync(join(dir, 'a.ndjson'), lines.slice(0, half).join('\n') + '\n');
  writeFileSync(join(dir, 'b.ndjson'), lines.slice(half).join('\n') + '\n');
  assert.equal((await cli(['ingest', join(dir, 'a.ndjson'), '--db', source, '--forms', forms])).code, 3);
  const webinars = JSON.parse((await cli(['report', '--json', '--db', source])).stdout) as {
    webinars: Array<{ webinar_id: string }>;
  };
  assert.equal(webinars.webinars.length, 2);
  for (const w of webinars.webinars) {
    assert.equal((await cli(['evaluate', w.webinar_id, '--db', source])).code, 0);
  }
  assert.equal((await cli(['ingest', join(dir, 'b.ndjson'), '--db', source, '--forms', forms])).code, 3);
});

/** Checks that `target` holds what `origin` holds, as SPEC §6 and the command promise. */
async function assertSameHistory(origin: EventStore, target: EventStore): Promise<void> {
  const derived = await derivedOf(origin);
  assert.ok(derived.length > 100, `the source derived ${derived.length} events`);
  assert.deepEqual(await derivedOf(target), derived);
  const clients = await clientEventsOf(origin);
  assert.equal(
    clients.filter((text) => text.includes(PAYLOAD)).length,
    1,
    'the crafted form is stored as sent',
  );
  assert.deepEqual(await clientEventsOf(target), clients);
  const quarantine = await quarantineOf(origin);
  assert.ok(quarantine.length > 0);
  assert.deepEqual(await quarantineOf(target), quarantine);
  const evaluations = await evaluationsOf(origin);
  assert.equal(evaluations.length, 2);
  assert.deepEqual(await evaluationsOf(target), evaluations);
  // The evaluations classified leads mid-stream: some routes are not_attended.
  assert.ok(derived.some((d) => d.includes('"not_attended"')));
}

describe('replay: SQLite to SQLite', () => {
  it('copies the quarantine, replays events and evaluations, derives the same events, exits 0', async () => {
    const target = join(dir, 'copy.sqlite');
    const ran = await cli(['replay', '--from', source, '--db', target, '--forms', forms, '--json']);
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as Record<string, unknown> & { derived: Record<string, unknown> };
    assert.equal(report['matched'], true);
    assert.equal(report['notAccepted'], 0);
    assert.equal(report['evaluations'], 2);
    assert.equal(report['clientEvents'], report['accepted']);
    const a = new SqliteEventStore(source);
    const b = new SqliteEventStore(target);
    try {
      await assertSameHistory(a, b);
      const derived = (await derivedOf(a)).length;
      assert.deepEqual(report.derived, {
        source: derived,
        target: derived,
        differingWebinars: 0,
        webinars: [],
      });
      assert.deepEqual(report['otherTexts'], { count: 0, positions: [] });
      assert.equal((await quarantineOf(a)).length, report['rejections']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('judged with another forms catalog: lists what the target refused, quarantines it, exits 3', async () => {
    const target = join(dir, 'other-forms.sqlite');
    const ran = await cli(['replay', '--from', source, '--db', target, '--forms', noForms]);
    assert.equal(ran.code, 3, ran.stderr);
    assert.match(ran.stdout, /NOT accepted/);
    assert.match(ran.stdout, /rejected FORM_ALREADY_SUBMITTED/);
    const b = new SqliteEventStore(target);
    try {
      const refused = (await b.readRejections(0, 10_000)).filter((r) =>
        r.origin.startsWith('replay:sqlite '),
      );
      assert.ok(refused.length > 0);
      assert.ok(refused.every((r) => JSON.stringify(r.errors).includes('FORM_ALREADY_SUBMITTED')));
    } finally {
      await b.close();
    }
  });

  it('refuses a target that is not empty, the source itself, and a source that does not exist', async () => {
    const target = join(dir, 'copy.sqlite');
    const before = new SqliteEventStore(target);
    const head = await before.head();
    await before.close();
    const again = await cli(['replay', '--from', source, '--db', target, '--forms', forms]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /the target store is not empty \(it holds events up to position [\d,]+, rejected inputs, 2 evaluations\)/,
    );
    const after = new SqliteEventStore(target);
    assert.equal(await after.head(), head, 'nothing written');
    await after.close();

    const itself = await cli(['replay', '--from', source, '--db', source]);
    assert.equal(itself.code, 2);
    assert.match(itself.stderr, /the source and the target are the same store/);

    const missing = join(dir, 'no-such.sqlite');
    const fresh = join(dir, 'not-created.sqlite');
    const gone = await cli(['replay', '--from', missing, '--db', fresh]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /--from: no store at .*no-such\.sqlite \(no such file\)/);
    assert.ok(!existsSync(missing) && !existsSync(fresh), 'neither store created');

    const usage = await cli(['replay', '--db', fresh]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /replay needs --from SOURCE/);

    // Another application's database is read, not migrated.
    const foreign = join(dir, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE notes (body TEXT)');
    db.close();
    const notOurs = await cli(['replay', '--from', foreign, '--db', fresh]);
    assert.equal(notOurs.code, 1);
    assert.match(notOurs.stderr, /--from: no store at .*foreign\.sqlite \(not a store of this service\)/);
    const after2 = new Database(foreign, { readonly: true });
    assert.deepEqual(after2.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), [
      'notes',
    ]);
    after2.close();
    assert.ok(!existsSync(fresh));
    // A file that is not a database at all.
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database\n'.repeat(500));
    const notDb = await cli(['replay', '--from', text, '--db', fresh]);
    assert.equal(notDb.code, 1);
    assert.match(notDb.stderr, /--from: no store at .*notes\.txt \(not a store of this service\)/);
  });
});

describe('replay: interrupted', () => {
  it('commits the batch under way, says what the target holds and what to do, exits 130', async () => {
    // A source big enough that a replay one event per transaction takes seconds.
    const big = join(dir, 'big.sqlite');
    const store = new SqliteEventStore(big);
    const lines = [...simulate({ seed: 'replay-interrupt', webinars: 4, leads: 400 })].map((l) =>
      typeof l.line === 'string' ? l.line : JSON.stringify(l.line),
    );
    for (let i = 0; i < lines.length; i += 1000)
      await ingest(store, lines.slice(i, i + 1000), tickingClock());
    await store.close();
    const target = join(dir, 'interrupted.sqlite');
    const child = spawn(
      process.execPath,
      [BIN, 'replay', '--from', big, '--db', target, '--forms', forms, '--batch', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.resume();
    // Once client events are being replayed (one transaction each), interrupt.
    for (let i = 0; i < 400; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (!existsSync(target)) continue;
      try {
        const probe = new Database(target, { readonly: true });
        const head = probe.prepare('SELECT count(*) FROM events').pluck().get() as number;
        probe.close();
        if (head > 20) break;
      } catch {
        // not created yet
      }
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /replay: SIGINT: stopping after the current batch/);
    assert.match(stderr, /replay: stopped \(SIGINT\)/);
    assert.match(
      stderr,
      /the target holds [\d,]+ rejected inputs, [\d,]+ client events and \d+ evaluations .*not a whole copy/,
    );
    assert.match(stderr, /To start again, delete .*interrupted\.sqlite/);
    const a = new SqliteEventStore(big);
    const b = new SqliteEventStore(target);
    try {
      const written = Number(/, ([\d,]+) client events/.exec(stderr)![1]!.replace(/,/g, ''));
      const clients = await clientEventsOf(b);
      assert.ok(written > 0 && written < (await clientEventsOf(a)).length, stderr);
      assert.equal(clients.length, written, 'every batch it reported is committed, and nothing more');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('replayStore: a source written meanwhile', () => {
  it('replays the snapshot it started from and reports the change', async () => {
    const a = new SqliteEventStore(join(dir, 'moving-a.sqlite'));
    const b = new SqliteEventStore(join(dir, 'moving-b.sqlite'));
    try {
      const clock = tickingClock();
      await ingest(a, [registered('r-1', 'L-1', 'W-1'), registered('r-2', 'L-2', 'W-1')], clock);
      await ingest(a, ['{"broken'], clock);
      const head = await a.head();
      let wrote = false;
      const report = await replayStore(
        a,
        { store: b, forms: EMPTY_FORMS_CATALOG, origin: 'replay:test', clock },
        {
          batch: 1,
          onProgress: () => {
            if (wrote) return;
            wrote = true;
            // A writer of the source, after the replay took its snapshot.
            void ingest(a, [registered('r-3', 'L-3', 'W-1'), '{"also broken'], clock);
          },
        },
      );
      assert.deepEqual(report.source, { head, rejections: 1, changed: true });
      assert.equal(replayMatched(report), false);
      assert.equal(report.clientEvents, 2);
      assert.equal(await b.head(), 2, 'the event written after the snapshot is not in the copy');
      assert.equal((await b.readRejections(0, 10)).length, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('replayStore: an evaluation runs after exactly the events it saw', () => {
  it('replays an evaluation made right after a client event, before the next one', async () => {
    const a = new SqliteEventStore(join(dir, 'boundary-a.sqlite'));
    const b = new SqliteEventStore(join(dir, 'boundary-b.sqlite'));
    try {
      const clock = tickingClock();
      // The evaluation's at_position is L-1's entry (no derived event after it): taken one event early, L-1's
      // entry would come after the evaluation and L-1 would never be classified; one event late, L-2 would be
      // classified not_attended by it too.
      await ingest(a, [registered('r-1', 'L-1', 'W-1'), registered('r-2', 'L-2', 'W-1')], clock);
      await ingest(a, [entered('e-1', 'L-1', 'W-1', 's-1')], clock);
      const evaluated = await evaluateAttendance(a, { webinarId: 'W-1', requester: 'test' }, clock);
      assert.equal(evaluated.length, 1);
      assert.equal((await a.evaluations())[0]!.at_position, 3);
      await ingest(a, [entered('e-2', 'L-2', 'W-1', 's-2')], clock);
      await drainClassifier(a, clock);
      await drainRouter(a, clock);
      const report = await replayStore(
        a,
        { store: b, forms: EMPTY_FORMS_CATALOG, origin: 'replay:test', clock },
        { batch: 1000 },
      );
      assert.equal(replayMatched(report), true, JSON.stringify(report));
      assert.deepEqual(await derivedOf(b), await derivedOf(a));
      const leads = (await attendanceReport(b, 'W-1')).leads.map((l) => [l.lead_id, l.attended]);
      assert.deepEqual(leads, [
        ['L-1', false],
        ['L-2', null],
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

const url = postgresUrl();
const available = await serviceAvailable('PostgreSQL', url);

if (!available) {
  describe('replay: SQLite to PostgreSQL and back', { skip: `cannot reach ${url}` }, () => {
    it('moves a store between runtimes', () => undefined);
  });
} else {
  describe('replay: SQLite to PostgreSQL and back', () => {
    let schema: FreshSchema;
    before(async () => {
      schema = await freshSchema(url);
    });
    after(async () => {
      await schema?.drop();
    });

    it('moves a store to PostgreSQL and back to SQLite with the same history', async () => {
      const target = new URL(url);
      target.searchParams.set('options', `-c search_path=${schema.schema}`);
      const toPostgres = await cli([
        'replay',
        '--from',
        source,
        '--postgres',
        target.toString(),
        '--forms',
        forms,
      ]);
      assert.equal(toPostgres.code, 0, toPostgres.stdout + toPostgres.stderr);
      assert.match(toPostgres.stdout, /derived events +[\d,]+ in the source, [\d,]+ in the target: the same/);
      const back = join(dir, 'back.sqlite');
      // On a host of the scale runtime DATABASE_URL names the PostgreSQL store: the explicit --db is the target.
      const toSqlite = await cli(['replay', '--from', target.toString(), '--db', back, '--forms', forms], {
        DATABASE_URL: target.toString(),
      });
      assert.equal(toSqlite.code, 0, toSqlite.stdout + toSqlite.stderr);

      const a = new SqliteEventStore(source);
      const pg = await PostgresEventStore.open(url, { schema: schema.schema });
      const b = new SqliteEventStore(back);
      try {
        await assertSameHistory(a, pg);
        await assertSameHistory(a, b);
      } finally {
        await a.close();
        await pg.close();
        await b.close();
      }
    });

    it('refuses a PostgreSQL schema that holds no store, and leaves it as it was', async () => {
      const empty = await freshSchema(url);
      const other = await freshSchema(url);
      try {
        // Another schema of the search_path holds a store: the source's schema is the first, where opening it
        // would create the tables.
        await (await PostgresEventStore.open(url, { schema: other.schema })).close();
        const at = new URL(url);
        at.searchParams.set('options', `-c search_path=${empty.schema},${other.schema}`);
        const ran = await cli(['replay', '--from', at.toString(), '--db', join(dir, 'unused.sqlite')]);
        assert.equal(ran.code, 1);
        assert.match(ran.stderr, /--from: no store in postgres:\/\/.*\(no schema_migrations table/);
        const tables = await onPostgres(
          url,
          `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = '${empty.schema}'`,
        );
        assert.equal(tables.rows[0].n, 0);
        assert.ok(!existsSync(join(dir, 'unused.sqlite')));
      } finally {
        await empty.drop();
        await other.drop();
      }
    });
  });
}
