import { resolve } from 'node:path';
import { STORE_FLAGS, STORE_FLAGS_HELP, openStore, resolveConfig, shownUrl, type Config } from '../config.js';
import {
  ReplayInterrupted,
  ReplayTargetNotEmpty,
  replayMatched,
  replayStore,
  type ReplayReport,
} from '../pipeline/index.js';
import type { EventStore } from '../store/port.js';
import { holdsSqliteStore } from '../store/sqlite/sqlite-store.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import { fileSize } from './existing-store.js';
import { loadFormsCatalog } from './forms-option.js';
import { Interruption } from './interruption.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';

export const replayHelp = `Usage: webinar-events replay --from SOURCE [--json] [--batch N] [store options]

Replays a store into another, empty one, through the same pipeline (SPEC §6): the quarantine is copied as it
is (origin, time, raw input, errors); the client events go through the target's intake in log order, with
each recorded evaluation request replayed (same id, time and requester) after exactly the events it saw; the
target derives its own classifications and routes, which are then compared with the source's by id and
payload (not the time they were made). Moves a store between runtimes (SQLite to PostgreSQL and back), or
checks a build against a store's history.

SOURCE: an SQLite file, or a postgres://, postgresql:// or socket: URL (its schema: the first of its
search_path; a socket directory alone is read as a file path: give socket:/dir?db=name). It must hold a store;
it is only read (a store of an older schema is migrated first, as every command does), as it was when the
replay started. The target is the store the options below name (an explicit --db wins over DATABASE_URL); it
must be empty, and nothing else should write to it meanwhile.

Options:
  --from SOURCE      the store to replay
  --json             print the result as one JSON object
  --batch N          client events per transaction (default 1000, at most 10000)
${STORE_FLAGS_HELP}
  (--forms is the catalog the target judges with: give the one the source was judged with)

Compared: each client event's verdict and warnings, and (when all were accepted) the text the target stored
against the source's; the derived events webinar by webinar (count and a digest of their ids and payloads).

Exit codes: 0 every client event accepted, stored as the same text with the same warnings, and the same
derived events; 3 not so (the first differences are listed; events the target refused are in its quarantine,
origin replay:<source>; also: the source was written meanwhile); 2 usage (also: the target is not empty, or is
the source); 1 failure (also: SOURCE holds no store); 130 interrupted (Ctrl-C, SIGTERM: the batch under way is
committed, then it stops and says what the target holds; a second signal stops at once). An interrupted or
failed replay leaves a partial copy: empty the target and run the replay again.`;

/**
 * The source as given, checked to hold a store without changing it (opening a store migrates it, and would create
 * the tables in a schema or file that holds none): a postgres:// URL, else an SQLite file. Environment variables
 * play no part.
 */
async function sourceConfig(from: string): Promise<Config> {
  if (from === ':memory:') throw new UsageError('--from: an in-memory database holds nothing to replay');
  if (/^(postgres(ql)?:\/\/|socket:)/i.test(from)) {
    const config = resolveConfig({ postgres: from }, {});
    const { PostgresEventStore } = await import('../store/postgres/postgres-store.js');
    if (!(await PostgresEventStore.holdsStore(from))) {
      throw new Error(
        `--from: no store in ${shownUrl(from)} (no schema_migrations table in the schema its connections use)`,
      );
    }
    return config;
  }
  const config = resolveConfig({ db: from }, {});
  const size = fileSize(config.db);
  let why: string | undefined;
  if (size === undefined) why = 'no such file';
  else if (size === 0) why = 'the file is empty';
  else {
    try {
      if (!holdsSqliteStore(config.db)) why = 'not a store of this service';
    } catch (error) {
      throw new Error(`--from: cannot read ${config.db}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (why !== undefined) throw new Error(`--from: no store at ${config.db} (${why})`);
  return config;
}

/** A store as it is named in output and in the target's quarantine: the absolute path of a file. */
const describeStore = (config: Config): string =>
  config.postgres !== undefined ? `postgres ${shownUrl(config.postgres)}` : `sqlite ${resolve(config.db)}`;

/** What an interrupted or failed replay leaves, and what to do about it. */
function partialCopyHint(target: Config, written?: ReplayInterrupted['written']): string {
  const what =
    written === undefined
      ? 'part of the copy'
      : `${written.rejections.toLocaleString('en')} rejected inputs, ${written.clientEvents.toLocaleString('en')} ` +
        `client events and ${written.evaluations.toLocaleString('en')} evaluations with what they derived`;
  const empty =
    target.postgres !== undefined
      ? `drop the store's tables (or the schema) in ${describeStore(target)}`
      : `delete ${resolve(target.db)} (and its -wal and -shm files)`;
  return `replay: the target holds ${what}, not a whole copy: it is not usable as one. To start again, ${empty}, then run the same replay`;
}

const sameStore = (a: Config, b: Config): boolean =>
  a.postgres !== undefined || b.postgres !== undefined
    ? a.postgres === b.postgres
    : resolve(a.db) === resolve(b.db);

function render(report: ReplayReport, from: string, to: string): string[] {
  const n = (value: number): string => value.toLocaleString('en');
  const { derived, otherTexts } = report;
  const lines = [
    `replay: ${from} → ${to}`,
    `  quarantine      ${n(report.rejections)} rejected inputs copied`,
    `  client events   ${n(report.clientEvents)} replayed: ${n(report.accepted)} accepted` +
      (report.notAccepted > 0 ? `, ${n(report.notAccepted)} NOT accepted` : '') +
      (report.otherWarnings > 0 ? `, ${n(report.otherWarnings)} with other warnings` : '') +
      (otherTexts === null
        ? ' (texts not compared)'
        : otherTexts.count > 0
          ? `, ${n(otherTexts.count)} stored with another text`
          : ', stored as the same texts'),
    `  evaluations     ${n(report.evaluations)} replayed`,
    ...(report.source.changed
      ? [
          `  the source was written during the replay: only its log up to position ${n(report.source.head)} and ` +
            'its quarantine as it was at the start are in the copy (stop its writers, empty the target, run again)',
        ]
      : []),
    `  derived events  ${n(derived.source)} in the source, ${n(derived.target)} in the target: ` +
      (derived.differingWebinars === 0
        ? 'the same'
        : `they differ in ${n(derived.differingWebinars)} webinar(s)`),
  ];
  for (const d of report.differences) {
    const verdict =
      d.verdict.status === 'rejected'
        ? `rejected ${d.verdict.errors.map((e) => e.code).join(', ')}`
        : d.verdict.status === 'accepted'
          ? `accepted with warnings ${JSON.stringify(d.verdict.warnings)} (stored: ${JSON.stringify(d.storedWarnings)})`
          : d.verdict.status;
    lines.push(`    source position ${d.position}, id ${d.id}: ${verdict}`);
  }
  const unlisted = report.notAccepted + report.otherWarnings - report.differences.length;
  if (unlisted > 0)
    lines.push(`    … and ${n(unlisted)} more (the target's quarantine holds the refused ones)`);
  if (
    report.differences.some(
      (d) =>
        d.verdict.status === 'rejected' && d.verdict.errors.some((e) => e.code === 'FORM_ALREADY_SUBMITTED'),
    )
  ) {
    lines.push('    (FORM_ALREADY_SUBMITTED: give --forms the catalog the source was judged with)');
  }
  if (otherTexts !== null && otherTexts.count > 0) {
    lines.push(
      `    stored with another text: source positions ${otherTexts.positions.join(', ')}${otherTexts.count > otherTexts.positions.length ? ', …' : ''}`,
    );
  }
  for (const w of derived.webinars) {
    lines.push(
      `    derived events of ${w.webinar_id}: ${n(w.source)} in the source, ${n(w.target)} in the target${w.source === w.target ? ', other ids or payloads' : ''}`,
    );
  }
  return lines;
}

export async function replayCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...STORE_FLAGS,
    from: { type: 'string' },
    json: { type: 'boolean' },
    batch: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(replayHelp);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError('replay takes no positional arguments (the source is --from)');
  const from = values['from'];
  if (typeof from !== 'string' || from === '') throw new UsageError('replay needs --from SOURCE');
  const batch = Number(values['batch'] ?? 1000);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10000) {
    throw new UsageError('--batch must be an integer from 1 to 10000');
  }
  const targetConf = resolveConfig(values);
  const sourceConf = await sourceConfig(from);
  if (sameStore(sourceConf, targetConf)) throw new UsageError('the source and the target are the same store');
  const forms = loadFormsCatalog(targetConf.forms, {});
  const source = await openStore(sourceConf);
  let target: EventStore | undefined;
  const progress = new Progress('replay', undefined, 'client events');
  // Interrupted (Ctrl-C, SIGTERM): the batch under way is committed, then the replay stops and says what the
  // target holds. A second signal stops at once.
  const interruption = new Interruption((why) =>
    out.stderr(`replay: ${why}: stopping after the current batch (again to stop at once)`),
  );
  let writing = false;
  try {
    target = await openStore(targetConf);
    const report = await replayStore(
      source,
      { store: target, forms, origin: `replay:${describeStore(sourceConf)}` },
      {
        batch,
        onProgress: (done) => progress.update(done),
        stopRequested: () => interruption.reason !== null,
        onFirstWrite: () => (writing = true),
      },
    );
    progress.done();
    if (interruption.reason !== null) {
      out.stderr('replay: the signal came after the last batch: the copy is whole');
    }
    if (values['json']) out.stdout(JSON.stringify({ ...report, matched: replayMatched(report) }));
    else
      for (const line of render(report, describeStore(sourceConf), describeStore(targetConf)))
        out.stdout(line);
    return replayMatched(report) ? EXIT.ok : EXIT.rejected;
  } catch (error) {
    progress.done();
    if (error instanceof ReplayTargetNotEmpty) {
      throw new UsageError(
        `${error.message}: replay writes only into an empty store (${describeStore(targetConf)})`,
      );
    }
    if (error instanceof ReplayInterrupted) {
      out.stderr(`replay: stopped (${interruption.reason ?? 'interrupted'})`);
      out.stderr(partialCopyHint(targetConf, error.written));
      return EXIT.interrupted;
    }
    if (writing) out.stderr(partialCopyHint(targetConf));
    throw error;
  } finally {
    interruption.release();
    await target?.close();
    await source.close();
  }
}
