/**
 * `npm run bench [-- --quick] [-- --normal] [-- --only a,b] [-- --rounds N] [-- --dir DIR]`: the throughput figures of the
 * service, each measured in the same run as its baseline. One JSON line per figure on stdout; a table on a
 * terminal. See docs/performance.md.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseFormsCatalog } from '../src/intake/forms-catalog.js';
import type { SqliteDurability } from '../src/store/sqlite/sqlite-store.js';
import { formsCatalogFile, readEvents, simulateFile } from './events.js';
import { benchHttp } from './http.js';
import {
  appendRawPostgres,
  ingestPostgres,
  postgresSettings,
  postgresUnreachable,
  postgresUrl,
  redact,
} from './postgres.js';
import { Reporter, medianRun, atLeast, atMost, withTargets, type Row, type Target } from './report.js';
import { buildEventRows, type EventRow } from './rows.js';
import { appendRawSqlite, ingestSqlite, runIngest } from './sqlite.js';
import { recordStoreWork, replayStoreWork, type StoreRecording } from './store-replay.js';
import { benchValidate } from './validate.js';
import {
  killAllChildren,
  note,
  now,
  removeDb,
  removeTempRoot,
  round,
  setTempParent,
  tempPath,
  tempRoot,
  withTempDb,
} from './util.js';

const HELP = `Usage: npm run bench [-- options]        (node dist/bench/main.js [options])

Measures the service and prints one JSON line per figure on stdout (a table too, on a terminal).

Options:
  --quick          small sizes (under a minute in all)
  --normal         also bench the weaker durability (--durability normal): *-normal rows
  --only LIST      comma-separated bench names; their baselines run too
  --dir DIR        where temp files go (default: the OS temp dir); it should be a real disk, not tmpfs
  --rounds N       runs of each storage and HTTP row and its baseline, alternating (default 3; 1 with --quick);
                   each row is the median run, with every run's rate in runs_events_per_s
  -h, --help       this help

Environment: DATABASE_URL_BENCH (default postgres://postgres@127.0.0.1:5432/test) for the PostgreSQL rows.`;

const SIZES = {
  default: {
    ingest: 200_000,
    million: 1_000_000,
    httpBatch: 200_000,
    httpSingle: 50_000,
    validateSeconds: 2,
    httpSingleWarmup: 2_000,
    httpBatchWarmup: 2_000,
  },
  quick: {
    ingest: 20_000,
    million: 100_000,
    httpBatch: 20_000,
    httpSingle: 5_000,
    validateSeconds: 0.3,
    httpSingleWarmup: 500,
    httpBatchWarmup: 2_000,
  },
} as const;

const HTTP_BATCH = 500;
const HTTP_BATCH_POSTERS = 4;
const HTTP_SINGLE_CONNECTIONS = 64;
const SEED = 'bench';

const MAIN = [
  'validate-raw',
  'validate',
  'validate-dry-run',
  'append-raw-sqlite',
  'store-raw-sqlite',
  'ingest-sqlite',
  'ingest-sqlite-1m',
  'http-batch',
  'http-single-ceiling',
  'http-single',
  'append-raw-postgres',
  'ingest-postgres',
] as const;
const NORMAL = [
  'append-raw-sqlite-normal',
  'store-raw-sqlite-normal',
  'ingest-sqlite-normal',
  'http-batch-normal',
  'http-single-normal',
] as const;
const BASELINE: Record<string, string> = {
  validate: 'validate-raw',
  'validate-dry-run': 'validate-raw',
  'store-raw-sqlite': 'append-raw-sqlite',
  'ingest-sqlite': 'append-raw-sqlite',
  'ingest-sqlite-1m': 'ingest-sqlite',
  'store-raw-sqlite-normal': 'append-raw-sqlite-normal',
  'ingest-sqlite-normal': 'append-raw-sqlite-normal',
  'ingest-postgres': 'append-raw-postgres',
};

class UsageError extends Error {}

function selection(only: string | undefined, normal: boolean): Set<string> {
  const known = new Set<string>([...MAIN, ...NORMAL]);
  if (only === undefined) return new Set<string>(normal ? [...MAIN, ...NORMAL] : MAIN);
  const chosen = new Set<string>();
  const add = (name: string): void => {
    if (!known.has(name)) throw new UsageError(`unknown bench "${name}"; known: ${[...known].join(', ')}`);
    chosen.add(name);
    const baseline = BASELINE[name];
    if (baseline !== undefined) add(baseline);
    // Not a baseline (no ratio is judged on it), but http-single reports its share of the client's ceiling.
    if (name.startsWith('http-single') && name !== 'http-single-ceiling') add('http-single-ceiling');
    // Likewise ingest-sqlite reports its share of the replay of its own statements (vs_store_raw).
    if (name === 'ingest-sqlite' || name === 'ingest-sqlite-normal')
      add(name.replace('ingest-', 'store-raw-'));
  };
  for (const name of only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''))
    add(name);
  return chosen;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The filesystem type under `dir` (the longest mount point that contains it), from /proc/mounts. */
function filesystemOf(dir: string): string | undefined {
  try {
    let best: { point: string; type: string } | undefined;
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, point, type] = line.split(' ');
      if (point === undefined || type === undefined) continue;
      if (
        (dir === point || dir.startsWith(point.endsWith('/') ? point : `${point}/`)) &&
        point.length >= (best?.point.length ?? 0)
      ) {
        best = { point, type };
      }
    }
    return best?.type;
  } catch {
    return undefined;
  }
}

function machine(mode: string, sizes: object): Row {
  const cpus = os.cpus();
  let sqlite: string | undefined;
  try {
    const db = new Database(':memory:');
    sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string;
    db.close();
  } catch {
    sqlite = undefined;
  }
  const status = git(['status', '--porcelain', '--', 'src']);
  return {
    bench: 'machine',
    cpus: cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    total_memory_gb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadavg_1m: round(os.loadavg()[0] ?? 0, 2),
    sqlite,
    temp_dir: tempRoot(),
    temp_fs: filesystemOf(tempRoot()) ?? null,
    git_commit: git(['rev-parse', '--short', 'HEAD']) ?? null,
    src_uncommitted_changes: status === undefined ? null : status !== '',
    mode,
    sizes,
    started_at: new Date().toISOString(),
  };
}

/** vs_baseline (events/s over the baseline's) and the targets. */
function judge(row: Row, reporter: Reporter): Row {
  const rate = row['events_per_s'] as number | undefined;
  const baselineName = BASELINE[row.bench];
  const baseline = baselineName === undefined ? undefined : reporter.find(baselineName);
  // A row may name the baseline runs it is judged against (ingest-sqlite-1m: the runs adjacent to it).
  const baseRate = (row['baseline_events_per_s'] ?? baseline?.['events_per_s']) as number | undefined;
  const ratio =
    rate !== undefined && baseRate !== undefined && baseRate > 0 ? round(rate / baseRate, 3) : undefined;
  const out: Row = { ...row };
  // A clean stream: every event should be accepted; anything else makes the figure suspect.
  if (typeof row['accepted'] === 'number' && row['accepted'] !== row['events']) {
    out['problem'] = `${String(row['accepted'])} of ${String(row['events'])} events accepted`;
  }
  if (typeof row['errors'] === 'number' && row['errors'] > 0) {
    out['problem'] = `${String(row['errors'])} requests failed: ${String(row['first_problem'])}`;
  }
  if (baselineName !== undefined) {
    out['baseline'] = baselineName;
    out['vs_baseline'] = ratio ?? null;
  }
  if (row.bench.startsWith('http-single') && row.bench !== 'http-single-ceiling') {
    const ceiling = reporter.find('http-single-ceiling')?.['requests_per_s'] as number | undefined;
    const requests = row['requests_per_s'] as number | undefined;
    if (ceiling !== undefined && requests !== undefined)
      out['vs_client_ceiling'] = round(requests / ceiling, 3);
  }
  // The share of ingest's time that is storage work at all: over the replay of its own statements.
  if (row.bench.startsWith('ingest-sqlite') && row.bench !== 'ingest-sqlite-1m') {
    const storeRaw = reporter.find(row.bench.replace('ingest-', 'store-raw-'))?.['events_per_s'];
    if (typeof storeRaw === 'number' && rate !== undefined) out['vs_store_raw'] = round(rate / storeRaw, 3);
  }
  const targets: Target[] = [];
  switch (row.bench) {
    case 'validate':
      targets.push(atLeast('0.8 x validate-raw', ratio, 0.8));
      break;
    case 'ingest-sqlite':
      targets.push(atLeast('100000 events/s', rate, 100_000));
      targets.push(atLeast('0.5 x append-raw-sqlite', ratio, 0.5));
      break;
    case 'ingest-sqlite-1m':
      targets.push(atLeast('0.8 x ingest-sqlite', ratio, 0.8));
      targets.push(atMost('300 MB peak RSS', row['peak_rss_mb'] as number | undefined, 300));
      break;
    case 'http-batch':
      targets.push(atLeast('50000 events/s', rate, 50_000));
      break;
    case 'http-single':
      targets.push(atLeast('10000 requests/s', row['requests_per_s'] as number | undefined, 10_000));
      targets.push(atMost('25 ms p99', row['p99_ms'] as number | undefined, 25));
      break;
    case 'ingest-postgres':
      targets.push(atLeast('30000 events/s', rate, 30_000));
      targets.push(atLeast('0.5 x append-raw-postgres', ratio, 0.5));
      break;
  }
  return withTargets(out, targets);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      normal: { type: 'boolean' },
      only: { type: 'string' },
      dir: { type: 'string' },
      rounds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const mode = values.quick ? 'quick' : 'default';
  const rounds = values.rounds === undefined ? (values.quick ? 1 : 3) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    process.stderr.write(`--rounds must be an integer from 1 to 20, not ${String(values.rounds)}\n`);
    return 2;
  }
  const size = SIZES[mode];
  const selected = selection(values.only, values.normal === true);
  const wants = (...names: string[]): boolean => names.some((n) => selected.has(n));
  if (values.dir !== undefined) setTempParent(values.dir);

  const reporter = new Reporter();
  const began = now();
  reporter.emit({ ...machine(mode, size), rounds });

  /** Runs one figure; a failure becomes an `error` row and the run goes on. */
  const step = async (name: string, work: () => Promise<Row>): Promise<void> => {
    if (!selected.has(name)) return;
    note(`${name}…`);
    try {
      reporter.emit(judge(await work(), reporter));
    } catch (error) {
      reporter.emit({ bench: name, error: (error as Error).message || String(error) });
    }
  };
  /**
   * Storage and HTTP rows with their baselines: the machine's speed drifts by minutes (up to 2× in an hour here),
   * so each runs `rounds` times, alternating with its baseline, and the median runs are compared. A failed run
   * fails its row (the other rows go on).
   */
  const alternating = async (steps: ReadonlyArray<[string, () => Promise<Row>]>): Promise<void> => {
    const active = steps.filter(([name]) => selected.has(name));
    const runs = new Map<string, Row[]>(active.map(([name]) => [name, []]));
    const failed = new Map<string, string>();
    for (let turn = 1; turn <= rounds; turn++) {
      for (const [name, work] of active) {
        if (failed.has(name)) continue;
        note(rounds > 1 ? `${name} (round ${turn} of ${rounds})…` : `${name}…`);
        try {
          runs.get(name)!.push(await work());
        } catch (error) {
          failed.set(name, `round ${turn}: ${(error as Error).message || String(error)}`);
        }
      }
    }
    for (const [name] of active) {
      const error = failed.get(name);
      if (error !== undefined) {
        reporter.emit({ bench: name, error });
        continue;
      }
      const all = runs.get(name)!;
      const row = judge(medianRun(all), reporter);
      // A clean stream: a run that did not accept every event makes the row suspect, median or not.
      const odd = all.findIndex((r) => typeof r['accepted'] === 'number' && r['accepted'] !== r['events']);
      if (odd >= 0 && row['problem'] === undefined) {
        row['problem'] =
          `run ${odd + 1}: ${String(all[odd]!['accepted'])} of ${String(all[odd]!['events'])} events accepted`;
      }
      reporter.emit(row);
    }
  };
  const skip = (names: readonly string[], reason: string): void => {
    for (const name of names) if (selected.has(name)) reporter.emit({ bench: name, skipped: true, reason });
  };

  const forms = tempPath('forms.json');
  await formsCatalogFile(forms);
  const catalog = parseFormsCatalog(JSON.parse(readFileSync(forms, 'utf8')), forms);
  const mainFile = tempPath(`events-${size.ingest}.ndjson`);
  if (
    wants(
      ...MAIN.filter((n) => !n.startsWith('http-') && n !== 'ingest-sqlite-1m'),
      ...NORMAL.filter((n) => !n.startsWith('http-')),
    )
  ) {
    note(`simulating ${size.ingest.toLocaleString('en')} events…`);
    await simulateFile(mainFile, size.ingest, SEED);
  }

  // The events parsed once, and the rows of the raw-append baselines, built before any timing.
  let events: Record<string, unknown>[] | null = null;
  let rows: EventRow[] | null = null;
  const parsedEvents = async (): Promise<Record<string, unknown>[]> =>
    (events ??= await readEvents(mainFile));
  const eventRows = async (): Promise<EventRow[]> => (rows ??= buildEventRows(await parsedEvents(), catalog));

  // --- validation ---------------------------------------------------------------------------------------------
  if (wants('validate-raw', 'validate', 'validate-dry-run')) {
    note('validate-raw, validate, validate-dry-run…');
    try {
      const { raw, validate, dryRun } = await benchValidate(await parsedEvents(), {
        minSeconds: size.validateSeconds,
        maxPasses: 500,
        forms: catalog,
        dryRun: selected.has('validate-dry-run'),
      });
      for (const row of [raw, validate, dryRun]) {
        if (row !== null && selected.has(row.bench)) reporter.emit(judge(row, reporter));
      }
    } catch (error) {
      for (const name of ['validate-raw', 'validate', 'validate-dry-run']) {
        if (selected.has(name)) reporter.emit({ bench: name, error: (error as Error).message });
      }
    }
  }

  // --- SQLite -------------------------------------------------------------------------------------------------
  const sqliteDurabilities: Array<[SqliteDurability, string]> = [
    ['full', ''],
    ['normal', '-normal'],
  ];
  let startupSeconds: number | undefined;
  const ingestMain = async (durability: SqliteDurability, suffix: string): Promise<Row> => {
    if (startupSeconds === undefined) {
      // What `ingest` costs before its first line: node, the modules, opening and migrating the store.
      const empty = tempPath('empty.ndjson');
      writeFileSync(empty, '');
      startupSeconds = await withTempDb(
        'startup.sqlite',
        async (db) => (await runIngest(empty, ['--db', db, '--forms', forms], 60_000)).seconds,
      );
    }
    return withTempDb(`ingest${suffix}.sqlite`, (db) =>
      ingestSqlite(`ingest-sqlite${suffix}`, mainFile, size.ingest, {
        db,
        forms,
        durability,
        timeoutMs: 60_000 + size.ingest,
        startupSeconds,
      }),
    );
  };
  // Recorded once (untimed) from an in-process run of the pipeline, replayed in each round.
  let recording: StoreRecording | null = null;
  const storeRecording = async (): Promise<StoreRecording> => {
    if (recording === null) {
      note('recording the statements of the pipeline for store-raw-sqlite…');
      recording = await withTempDb('store-recording.sqlite', (db) => recordStoreWork(mainFile, catalog, db));
    }
    return recording;
  };
  for (const [durability, suffix] of sqliteDurabilities) {
    await alternating([
      [
        `append-raw-sqlite${suffix}`,
        () =>
          withTempDb(`append-raw${suffix}.sqlite`, async (db) =>
            appendRawSqlite(`append-raw-sqlite${suffix}`, await eventRows(), db, durability),
          ),
      ],
      [
        `store-raw-sqlite${suffix}`,
        () =>
          withTempDb(`store-raw${suffix}.sqlite`, async (db) =>
            replayStoreWork(`store-raw-sqlite${suffix}`, await storeRecording(), db, durability),
          ),
      ],
      [`ingest-sqlite${suffix}`, () => ingestMain(durability, suffix)],
    ]);
  }
  // Its statements and their parameters hold a few hundred MB: not kept through the rows that follow.
  recording = null;

  // --- SQLite, 1M ---------------------------------------------------------------------------------------------
  await step('ingest-sqlite-1m', async () => {
    const file = tempPath(`events-${size.million}.ndjson`);
    const db = tempPath('ingest-1m.sqlite');
    try {
      note(`simulating ${size.million.toLocaleString('en')} events…`);
      await simulateFile(file, size.million, SEED);
      // This run takes about a minute, over which a shared VM's speed drifts: it is judged against an ingest-sqlite
      // run right before it and one right after, not against the median of rounds run minutes earlier.
      const adjacent: number[] = [];
      let baselineProblem: string | undefined;
      const adjacentRun = async (when: string): Promise<void> => {
        if (baselineProblem !== undefined) return;
        note(`ingest-sqlite once more, right ${when} ingest-sqlite-1m…`);
        try {
          const run = await ingestMain('full', '');
          if (run['accepted'] !== run['events']) {
            baselineProblem = `the ingest-sqlite run ${when} it accepted ${String(run['accepted'])} of ${String(run['events'])} events`;
          } else adjacent.push(run['events_per_s'] as number);
        } catch (error) {
          baselineProblem = `the ingest-sqlite run ${when} it failed: ${(error as Error).message}`;
        }
      };
      await adjacentRun('before');
      note('ingest-sqlite-1m…');
      const row = await ingestSqlite('ingest-sqlite-1m', file, size.million, {
        db,
        forms,
        durability: 'full',
        timeoutMs: 60_000 + size.million,
        startupSeconds,
      });
      await adjacentRun('after');
      // Judged against the ingest-sqlite row instead.
      if (baselineProblem !== undefined) return { ...row, baseline_problem: baselineProblem };
      return {
        ...row,
        baseline_runs_events_per_s: adjacent,
        baseline_events_per_s: Math.round((adjacent[0]! + adjacent[1]!) / 2),
      };
    } finally {
      removeDb(db);
      rmSync(file, { force: true });
    }
  });

  // --- HTTP ---------------------------------------------------------------------------------------------------
  if (wants('http-batch', 'http-single', 'http-single-ceiling', 'http-batch-normal', 'http-single-normal')) {
    const httpEvents = Math.max(
      size.httpBatch + size.httpBatchWarmup,
      size.httpSingle + size.httpSingleWarmup,
    );
    const httpFile = tempPath(`http-${httpEvents}.ndjson`);
    note(`simulating ${httpEvents.toLocaleString('en')} events for HTTP…`);
    await simulateFile(httpFile, httpEvents, `${SEED}-http`);
    const single = {
      mode: 'single',
      events: size.httpSingle,
      warmup: size.httpSingleWarmup,
      concurrency: HTTP_SINGLE_CONNECTIONS,
      batch: 1,
      timeoutMs: 60_000 + size.httpSingle * 5,
    } as const;
    const batch = {
      mode: 'batch',
      events: size.httpBatch,
      warmup: size.httpBatchWarmup,
      concurrency: HTTP_BATCH_POSTERS,
      batch: HTTP_BATCH,
      timeoutMs: 60_000 + size.httpBatch,
    } as const;
    // The load client against a server that answers at once: what the client and loopback allow here.
    const ceiling = (): Promise<Row> =>
      benchHttp('http-single-ceiling', {
        file: httpFile,
        forms,
        db: '',
        durability: 'full',
        ...single,
        stub: true,
      });
    /** `serve` on a fresh file under one of the two loads. */
    const httpRun = async (
      load: typeof single | typeof batch,
      durability: SqliteDurability,
      suffix: string,
    ): Promise<Row> => {
      const name = `http-${load.mode}${suffix}`;
      return withTempDb(`${name}.sqlite`, (db) =>
        benchHttp(name, { file: httpFile, forms, db, durability, ...load }),
      );
    };
    // In rounds too: http-single is judged beside the client's ceiling measured in the same minutes.
    await alternating([
      ['http-single-ceiling', ceiling],
      ['http-batch', () => httpRun(batch, 'full', '')],
      ['http-single', () => httpRun(single, 'full', '')],
    ]);
    await alternating([
      ['http-batch-normal', () => httpRun(batch, 'normal', '-normal')],
      ['http-single-normal', () => httpRun(single, 'normal', '-normal')],
    ]);
    rmSync(httpFile, { force: true });
  }

  // --- PostgreSQL ---------------------------------------------------------------------------------------------
  if (wants('append-raw-postgres', 'ingest-postgres')) {
    const url = postgresUrl();
    const unreachable = await postgresUnreachable(url);
    if (unreachable !== null) {
      skip(
        ['append-raw-postgres', 'ingest-postgres'],
        `PostgreSQL is not reachable at ${redact(url)}: ${unreachable}`,
      );
    } else {
      const settings = await postgresSettings(url);
      await alternating([
        ['append-raw-postgres', async () => appendRawPostgres(await eventRows(), url, settings)],
        [
          'ingest-postgres',
          () =>
            ingestPostgres(mainFile, size.ingest, url, settings, {
              forms,
              timeoutMs: 60_000 + size.ingest * 2,
            }),
        ],
      ]);
    }
  }

  // --- summary ------------------------------------------------------------------------------------------------
  const judged = reporter.rows.filter((r) => typeof r['met'] === 'boolean' || r['met'] === null);
  const failed = reporter.rows.filter((r) => r['error'] !== undefined).map((r) => r.bench);
  reporter.emit({
    bench: 'summary',
    seconds: round((now() - began) / 1000, 1),
    targets_met: judged.filter((r) => r['met'] === true).map((r) => r.bench),
    targets_missed: judged.filter((r) => r['met'] === false).map((r) => r.bench),
    ...(judged.some((r) => r['met'] === null)
      ? { targets_unjudged: judged.filter((r) => r['met'] === null).map((r) => r.bench) }
      : {}),
    skipped: reporter.rows.filter((r) => r['skipped'] === true).map((r) => r.bench),
    failed,
    loadavg_1m: round(os.loadavg()[0] ?? 0, 2),
  });
  reporter.printTable();
  return failed.length > 0 ? 1 : 0;
}

const cleanUp = (): void => {
  killAllChildren();
  removeTempRoot();
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping\n`);
    cleanUp();
    process.exit(130);
  });
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    if (
      error instanceof UsageError ||
      String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`bench: ${(error as Error).message} (see --help)\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  })
  .finally(cleanUp);
