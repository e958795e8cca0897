/**
 * The CLI commands of SPEC §7 that work on a store (`ingest`, `report`, `evaluate`) and `validate`, run as real
 * processes on a real SQLite file: output, exit codes, and that several batches keep their input order.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MAX_LINE_BYTES } from '../../src/cli/ndjson-lines.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
import { funnelEvents } from './story.js';

const BIN = fileURLToPath(new URL('../../../bin/webinar-events.js', import.meta.url));

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], stdin?: string, env?: NodeJS.ProcessEnv, cwd?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      ...(cwd === undefined ? {} : { cwd }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

const jsonLines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * One webinar, five leads (two complete, two enter and leave, one only registers: 15 events), with a line that
 * is not JSON, a blank line, an event without `lead_id` and a re-send of the first event mixed in.
 */
function mixedStream(): { text: string; expected: Array<{ line: number; status: string; code?: string }> } {
  const lines = funnelEvents(1, 5).map((event) => JSON.stringify(event));
  lines.splice(3, 0, '{not json');
  lines.splice(6, 0, '');
  lines.splice(
    8,
    0,
    JSON.stringify({
      specversion: '1.0',
      id: 'no-lead',
      source: '/test-room',
      type: 'client_webinar_registered',
      data: { webinar_id: 'W-0', webinar_type: 'live', registered_at: '2026-11-26T10:00:00Z', source: 'x' },
    }),
  );
  lines.push(lines[0]!);
  const expected = lines.flatMap((text, i) => {
    const line = i + 1;
    if (text === '') return [];
    if (text === '{not json') return [{ line, status: 'rejected', code: 'MALFORMED_JSON' }];
    if (text.includes('"no-lead"')) return [{ line, status: 'rejected', code: 'MISSING_FIELD' }];
    return [{ line, status: line === lines.length ? 'duplicate' : 'accepted' }];
  });
  return { text: `${lines.join('\n')}\n`, expected };
}

describe('CLI on a store (SPEC §7): ingest, report, evaluate, validate', () => {
  let dir: string;
  let db: string;
  let file: string;
  const stream = mixedStream();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'webinar-events-cli-'));
    db = join(dir, 'store.sqlite');
    file = join(dir, 'mixed.ndjson');
    writeFileSync(file, stream.text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ingest --json: one verdict per line, in input order across batches, exit 3 when a line is rejected', async () => {
    const ran = await cli(['ingest', file, '--json', '--batch', '3', '--db', db]);
    assert.equal(ran.code, 3, ran.stderr);
    const verdicts = jsonLines(ran.stdout);
    assert.deepEqual(
      verdicts.map((v) => ({
        line: v['line'],
        status: v['status'],
        ...(v['errors'] === undefined ? {} : { code: (v['errors'] as Array<{ code: string }>)[0]!.code }),
      })),
      stream.expected,
    );
    // Accepted events get increasing positions (derived events take the ones in between); the re-send points
    // at the first one's position.
    const positions = verdicts.filter((v) => v['status'] === 'accepted').map((v) => v['position'] as number);
    assert.ok(
      positions.every((p, i) => i === 0 || p > positions[i - 1]!),
      `positions ${positions.join(',')}`,
    );
    const duplicate = verdicts.find((v) => v['status'] === 'duplicate')!;
    assert.equal(duplicate['position'], positions[0]);
  });

  it('report: the two completed leads are attended and routed; the others wait for an evaluation', async () => {
    const ran = await cli(['report', 'W-0', '--json', '--db', db]);
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as {
      totals: Record<string, number>;
      leads: Array<{ lead_id: string; attended: boolean | null; route: string | null }>;
    };
    assert.deepEqual(report.totals, {
      registered: 5,
      entered: 4,
      completed: 2,
      attended: 2,
      not_attended: 0,
      unclassified: 3,
      anonymous_entries: 0,
      warnings: {},
    });
    const attended = report.leads.filter((l) => l.attended === true).map((l) => [l.lead_id, l.route]);
    assert.deepEqual(attended, [
      ['L-0-0', 'attended'],
      ['L-0-2', 'attended'],
    ]);
  });

  it('report without a webinar_id lists the webinars; the two who entered and did not complete await evaluation', async () => {
    const json = await cli(['report', '--json', '--db', db]);
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout) as { webinars: Array<Record<string, unknown>>; next: string | null };
    assert.deepEqual(
      list.webinars.find((w) => w['webinar_id'] === 'W-0'),
      {
        webinar_id: 'W-0',
        registered: 5,
        entered: 4,
        completed: 2,
        attended: 2,
        not_attended: 0,
        unclassified: 3,
        awaiting_evaluation: 2,
      },
    );
    const text = await cli(['report', '--db', db, '--limit', '1']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^webinar_id +registered +entered +completed +attended +not attended +unclassified +awaiting\n/,
    );
    assert.match(text.stdout, /\nW-0 +5 +4 +2 +2 +0 +3 +2\n/);
    if (list.webinars.length > 1) assert.match(text.stdout, /… more webinars: --after W-0/);
    // A webinar id with nothing stored (a typo) says so instead of looking like an empty webinar.
    const typo = await cli(['report', 'W-O', '--db', db]);
    assert.equal(typo.code, 0, typo.stderr);
    assert.match(typo.stdout, /\(no lead of webinar W-O is stored: check the id/);
    assert.doesNotMatch((await cli(['report', 'W-0', '--db', db])).stdout, /no lead of webinar/);
    // A page past the last lead of a real webinar is not a typo.
    assert.doesNotMatch(
      (await cli(['report', 'W-0', '--db', db, '--after', 'L-9-9'])).stdout,
      /no lead of webinar/,
    );
  });

  it('evaluate classifies the leads who entered and did not complete, once', async () => {
    const first = await cli(['evaluate', 'W-0', '--db', db]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /2 lead\(s\) newly classified attended=false/);
    assert.match(first.stdout, /L-0-1/);
    assert.match(first.stdout, /L-0-3/);
    const again = await cli(['evaluate', 'W-0', '--db', db]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 lead\(s\) newly classified/);
    const report = JSON.parse((await cli(['report', 'W-0', '--json', '--db', db])).stdout) as {
      totals: Record<string, number>;
    };
    assert.equal(report.totals['not_attended'], 2);
    assert.equal(report.totals['unclassified'], 1);
  });

  it('ingest again: every event is a duplicate, the bad lines are rejected again; the summary says so', async () => {
    const ran = await cli(['ingest', file, '--db', db]);
    assert.equal(ran.code, 3, ran.stderr);
    assert.match(ran.stdout, /ingest: 18 events: 0 accepted, 16 duplicates?, 2 rejected/);
    assert.match(ran.stdout, /MALFORMED_JSON\s+1/);
    assert.match(ran.stdout, /line 9: MISSING_FIELD at \/data\/lead_id/);
  });

  it('ingest - reads stdin; a clean stream exits 0', async () => {
    const other = funnelEvents(2, 3).filter(
      (e) => (e['data'] as { webinar_id: string }).webinar_id === 'W-1',
    );
    const ran = await cli(['ingest', '-', '--db', db], `${other.map((e) => JSON.stringify(e)).join('\n')}\n`);
    assert.equal(ran.code, 0, ran.stderr);
    const n = other.length;
    assert.match(ran.stdout, new RegExp(`ingest: ${n} events: ${n} accepted, 0 duplicates?, 0 rejected`));
  });

  it('validate gives the same verdicts without writing anything', async () => {
    // Run where the default store (./data) would be created, with a store configured: neither may appear.
    const scratch = join(dir, 'never-created.sqlite');
    const cwd = mkdtempSync(join(dir, 'validate-cwd-'));
    const ran = await cli(['validate', file, '--json'], undefined, { WEBINAR_EVENTS_DB: scratch }, cwd);
    assert.equal(ran.code, 3, ran.stderr);
    assert.deepEqual(
      jsonLines(ran.stdout).map((v) => [v['line'], v['status']]),
      stream.expected.map((e) => [e.line, e.status]),
    );
    assert.equal(existsSync(scratch), false);
    assert.deepEqual(readdirSync(cwd), [], 'validate wrote nothing where it ran');
    const clean = join(dir, 'clean.ndjson');
    writeFileSync(
      clean,
      `${funnelEvents(1, 2)
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`,
    );
    assert.equal((await cli(['validate', clean])).code, 0);
  });

  it('ingest quarantines a line that is not UTF-8 and an oversized one as read (base64), not a placeholder', async () => {
    const notUtf8 = Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0xff, 0xfe, 0x7d]); // {"id":\xff\xfe}
    const oversized = Buffer.from(`{"pad":"${'p'.repeat(MAX_LINE_BYTES)}"}`);
    const raw = join(dir, 'unreadable.ndjson');
    writeFileSync(raw, Buffer.concat([notUtf8, Buffer.from('\n'), oversized, Buffer.from('\n')]));
    const rawDb = join(dir, 'unreadable.sqlite');
    const ran = await cli(['ingest', raw, '--json', '--db', rawDb]);
    assert.equal(ran.code, 3, ran.stderr);
    assert.deepEqual(
      jsonLines(ran.stdout).map((v) => [
        v['line'],
        v['status'],
        (v['errors'] as Array<{ code: string }>)[0]!.code,
      ]),
      [
        [1, 'rejected', 'MALFORMED_JSON'],
        [2, 'rejected', 'INVALID_ENVELOPE'],
      ],
    );
    const store = new SqliteEventStore(rawDb);
    try {
      const [first, second, ...more] = await store.readRejections(0, 10);
      assert.deepEqual(more, []);
      assert.equal(first!.raw_encoding, 'base64');
      assert.ok(Buffer.from(first!.raw, 'base64').equals(notUtf8), 'the bytes as read');
      assert.equal(second!.raw_encoding, 'base64');
      assert.ok(
        Buffer.from(second!.raw, 'base64').equals(oversized.subarray(0, MAX_LINE_BYTES)),
        'the first MAX_LINE_BYTES bytes',
      );
      assert.match(JSON.stringify(second!.errors), new RegExp(`the line is ${oversized.length} bytes`));
      // The origin names the file by its absolute path: two funnel.ndjson of different directories differ.
      assert.equal(first!.origin, `ingest:${raw}`);
    } finally {
      await store.close();
    }
  });

  it('ingest stopped by a store failure (the write lock held elsewhere) says what is committed and why', async () => {
    const lockedDb = join(dir, 'locked.sqlite');
    await new SqliteEventStore(lockedDb).close();
    const other = new Database(lockedDb);
    other.exec('BEGIN IMMEDIATE'); // another process's write, held past the 5 s the store waits
    try {
      const ran = await cli(['ingest', file, '--db', lockedDb]);
      assert.equal(ran.code, 1, ran.stderr);
      assert.match(
        ran.stderr,
        /ingest: stopped \(the store failed: database is locked \(another process held the database write lock for longer than 5 s\)\): nothing is committed; run the same file again/,
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a mistyped path creates nothing: report on a missing database, ingest of a missing file or a directory', async () => {
    const nowhere = join(dir, 'typo', 'store.sqlite');
    const report = await cli(['report', 'W-0', '--db', nowhere]);
    assert.equal(report.code, 1);
    assert.match(
      report.stderr,
      new RegExp(`no database at ${nowhere.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    const evaluate = await cli(['evaluate', 'W-0', '--db', nowhere]);
    assert.equal(evaluate.code, 1);
    // An empty file is no database either, and stays empty (a read would have migrated it into one).
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const onEmpty = await cli(['report', '--db', empty]);
    assert.equal(onEmpty.code, 1, onEmpty.stdout);
    assert.match(onEmpty.stderr, /no database at .*empty\.db \(the file is empty\)/);
    assert.equal(statSync(empty).size, 0);
    const missing = await cli(['ingest', join(dir, 'missing.ndjson'), '--db', nowhere]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*missing\.ndjson: ENOENT/);
    const directory = await cli(['ingest', dir, '--db', nowhere]);
    assert.equal(directory.code, 1);
    assert.match(directory.stderr, /it is a directory/);
    assert.equal(existsSync(join(dir, 'typo')), false, 'no database (nor its directory) was created');
    // validate says it the same way (it said EISDIR: illegal operation on a directory, read).
    const validateDirectory = await cli(['validate', dir]);
    assert.equal(validateDirectory.code, 1);
    assert.match(validateDirectory.stderr, /webinar-events validate: cannot read .*: it is a directory/);
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const batch = await cli(['ingest', file, '--batch', '0', '--db', db]);
    assert.equal(batch.code, 2);
    assert.match(batch.stderr, /--batch must be an integer from 1 to 10000/);
    const two = await cli(['ingest', file, file, '--db', db]);
    assert.equal(two.code, 2);
    const none = await cli(['validate']);
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr.trim(),
      "webinar-events validate: validate takes one file (or - for stdin)\nRun 'webinar-events validate --help' for usage.",
    );
    const unknown = await cli(['no-such-command']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "no-such-command"/);
    // A setting's value (flag or environment) is a usage error too, with the pointer to --help.
    const port = await cli(['serve', '--port', 'abc', '--db', db]);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /port must be 0–65535, not "abc"\nRun 'webinar-events serve --help' for usage/);
    const level = await cli(['report', 'W-1', '--db', db], undefined, { LOG_LEVEL: 'verbose' });
    assert.equal(level.code, 2);
    assert.match(level.stderr, /LOG_LEVEL must be one of/);
    const open = await cli(['serve', '--host', '0.0.0.0', '--db', db]);
    assert.equal(open.code, 2);
    assert.match(open.stderr, /refusing to listen on 0\.0\.0\.0 without WEBINAR_EVENTS_TOKENS/);
  });
});

describe('rejections: the quarantine out of the store, and its inputs back in once fixed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-rejections-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--inputs --code exports the rejected inputs as NDJSON that ingest accepts once the catalog allows them', async () => {
    const db = join(dir, 'store.sqlite');
    const funnel = join(dir, 'funnel.ndjson');
    const forms = join(dir, 'forms.json');
    assert.equal((await cli(['simulate', '--events', '3000', '--seed', 'rej', '--out', funnel])).code, 0);
    writeFileSync(forms, (await cli(['simulate', '--forms-catalog'])).stdout);
    // Without the catalog, re-submitted forms are rejected; a line that is not JSON and one that is not UTF-8 too.
    writeFileSync(
      funnel,
      Buffer.concat([
        Buffer.from(readFileSync(funnel, 'utf8')),
        Buffer.from('{"not json\n'),
        Buffer.from([0xff, 0xfe, 0x0a]),
      ]),
    );
    const first = await cli(['ingest', funnel, '--db', db]);
    assert.equal(first.code, 3, first.stderr);
    const resubmitted = Number(/FORM_ALREADY_SUBMITTED\s+(\d+)/.exec(first.stdout)?.[1]);
    assert.ok(resubmitted > 0, first.stdout);

    // Every rejection, as the HTTP API gives them.
    const all = await cli(['rejections', '--db', db]);
    assert.equal(all.code, 0, all.stderr);
    const records = jsonLines(all.stdout);
    assert.equal(records.length, resubmitted + 2);
    assert.deepEqual(Object.keys(records[0]!).sort(), [
      'errors',
      'id',
      'origin',
      'raw',
      'raw_encoding',
      'received_at',
      'seq',
    ]);
    assert.match(all.stderr, new RegExp(`${resubmitted + 2} read, ${resubmitted + 2} written`));

    // The inputs of one code, as NDJSON; --after continues where an export ended.
    const exported = await cli(['rejections', '--db', db, '--inputs', '--code', 'FORM_ALREADY_SUBMITTED']);
    assert.equal(exported.code, 0, exported.stderr);
    const lines = exported.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, resubmitted);
    for (const line of lines)
      assert.equal((JSON.parse(line) as { type: string }).type, 'client_webinar_form_submitted');
    assert.match(exported.stderr, new RegExp(`${resubmitted} matching, ${resubmitted} written`));
    const none = await cli(['rejections', '--db', db, '--origin', 'ingest:/nowhere']);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /0 matching, 0 written/);
    // Nothing matched, yet the whole quarantine was examined: the next export need not scan it again.
    assert.match(none.stderr, /\(continue with --after \d+\)/);
    // A filter that could match nothing (a typo, an empty value) is a usage error, not an empty export.
    const lower = await cli(['rejections', '--db', db, '--inputs', '--code', 'form_already_submitted']);
    assert.equal(lower.code, 2, lower.stderr);
    assert.equal(lower.stdout, '');
    assert.match(lower.stderr, /not an error code \(codes are upper case: FORM_ALREADY_SUBMITTED\)/);
    for (const bad of [
      ['--code', 'FORM_ALREADY_SUBMITED'],
      ['--code', ''],
      ['--code', 'ID_CONFLICT,'],
      ['--origin', ''],
    ]) {
      const refused = await cli(['rejections', '--db', db, ...bad]);
      assert.equal(refused.code, 2, `${bad.join(' ')}: ${refused.stderr}`);
    }
    const everything = await cli(['rejections', '--db', db, '--inputs']);
    assert.match(everything.stderr, /left out: 1 not JSON, 1 not UTF-8/);
    const lastSeq = Number(records.at(-1)!['seq']);
    // The filtered export examined the whole quarantine (its last two are not forms): it continues after all of it.
    assert.match(exported.stderr, new RegExp(`last seq ${lastSeq} \\(continue with --after ${lastSeq}\\)`));
    const later = await cli(['rejections', '--db', db, '--after', String(lastSeq - 1)]);
    assert.deepEqual(
      jsonLines(later.stdout).map((r) => r['seq']),
      [lastSeq],
    );

    // Fixed (the catalog marks those forms re-submittable): every exported input is accepted.
    const fixed = join(dir, 'fixed.ndjson');
    writeFileSync(fixed, exported.stdout);
    const again = await cli(['ingest', fixed, '--db', db, '--forms', forms]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, new RegExp(`${resubmitted} accepted, 0 duplicates?, 0 rejected`));
  });

  it('usage: no arguments, --after a seq, an existing store', async () => {
    assert.equal((await cli(['rejections', 'extra'])).code, 2);
    for (const bad of ['-1', '', '0x10', '1e3'])
      assert.equal((await cli(['rejections', '--after', bad, '--db', join(dir, 'x.sqlite')])).code, 2, bad);
    const missing = await cli(['rejections', '--db', join(dir, 'missing.sqlite')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no database at/);
    assert.match((await cli(['rejections', '--help'])).stdout, /--inputs/);
  });
});
