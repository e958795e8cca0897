/**
 * append-raw-sqlite (better-sqlite3 alone, the baseline) and ingest-sqlite (the `ingest` command, a child
 * process, timed from spawn to exit).
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { SqliteEventStore, type SqliteDurability } from '../src/store/sqlite/sqlite-store.js';
import type { Row } from './report.js';
import { EVENT_COLUMNS, type EventRow } from './rows.js';
import { now, round, runCli, writtenMb, type Finished } from './util.js';

/** Per-connection settings copied from the service's own connection onto the baseline's. */
const COPIED_PRAGMAS = [
  'journal_mode',
  'synchronous',
  'cache_size',
  'temp_store',
  'wal_autocheckpoint',
  'mmap_size',
  'locking_mode',
  'busy_timeout',
] as const;
const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

type Pragmas = Record<string, string | number>;

/**
 * Opens the service's store on `path` (it applies its pragmas and migrations, whatever they are today) and reads
 * the settings of its connection back. The connection is a private field of the adapter: read it, never use it.
 */
export async function serviceSettings(
  path: string,
  durability: SqliteDurability,
): Promise<{ pragmas: Pragmas; source: string }> {
  const store = new SqliteEventStore(path, { durability });
  try {
    const db = (store as unknown as { db?: Database.Database }).db;
    if (db === undefined || typeof db.pragma !== 'function') {
      return {
        pragmas: { journal_mode: 'wal', synchronous: durability === 'normal' ? 1 : 2 },
        source: 'assumed (SqliteEventStore has no db field any more)',
      };
    }
    const pragmas: Pragmas = {};
    for (const name of COPIED_PRAGMAS) pragmas[name] = db.pragma(name, { simple: true }) as string | number;
    return { pragmas, source: 'read from a SqliteEventStore connection' };
  } finally {
    await store.close();
  }
}

function fileMb(path: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += statSync(path + suffix).size;
    } catch {
      // no such file
    }
  }
  return round(bytes / 2 ** 20, 1);
}

export async function appendRawSqlite(
  name: string,
  rows: readonly EventRow[],
  dbPath: string,
  durability: SqliteDurability,
  batch = 1000,
): Promise<Row> {
  const { pragmas, source } = await serviceSettings(dbPath, durability);
  const db = new Database(dbPath);
  try {
    for (const [pragma, value] of Object.entries(pragmas)) db.pragma(`${pragma} = ${value}`);
    const insert = db.prepare(
      `INSERT INTO events (${EVENT_COLUMNS}) VALUES (${Array(12).fill('?').join(', ')})`,
    );
    const recordedAt = new Date().toISOString();
    const append = db.transaction((chunk: readonly EventRow[]) => {
      for (const row of chunk) insert.run(...row, recordedAt);
    });
    const chunks: EventRow[][] = [];
    for (let i = 0; i < rows.length; i += batch) chunks.push(rows.slice(i, i + batch));
    const blocksBefore = process.resourceUsage().fsWrite;
    const start = now();
    // BEGIN IMMEDIATE, as the service's transactions.
    for (const chunk of chunks) append.immediate(chunk);
    const seconds = (now() - start) / 1000;
    // The checkpoint at close writes too: counted after it, as the ingest child's count includes its own.
    db.close();
    const written = writtenMb(process.resourceUsage().fsWrite - blocksBefore);
    const synchronous = pragmas['synchronous'];
    return {
      bench: name,
      events: rows.length,
      seconds: round(seconds, 3),
      events_per_s: Math.round(rows.length / seconds),
      batch,
      transactions: chunks.length,
      durability,
      synchronous: typeof synchronous === 'number' ? (SYNCHRONOUS[synchronous] ?? synchronous) : synchronous,
      pragmas,
      pragmas_source: source,
      db_mb: fileMb(dbPath),
      written_mb: written ?? null,
    };
  } finally {
    if (db.open) db.close();
  }
}

export interface IngestRun {
  readonly seconds: number;
  readonly peakRssMb: number | undefined;
  readonly writtenMb: number | undefined;
  readonly cpu: Finished['cpu'];
  readonly summary: IngestSummary;
}

export interface IngestSummary {
  readonly accepted?: number;
  readonly duplicate?: number;
  readonly rejected?: number;
  readonly log_head?: number;
}

/** Reads the counts out of the `ingest` summary ("ingest: N events: A accepted, D duplicate, R rejected"). */
export function parseIngestSummary(stdout: string): IngestSummary {
  const counts = /(\d+) accepted, (\d+) duplicates?, (\d+) rejected/.exec(stdout);
  const head = /log head: position (\d+)/.exec(stdout);
  return {
    ...(counts === null
      ? {}
      : { accepted: Number(counts[1]), duplicate: Number(counts[2]), rejected: Number(counts[3]) }),
    ...(head === null ? {} : { log_head: Number(head[1]) }),
  };
}

/** `webinar-events ingest FILE …` as a child, with its peak RSS. */
export async function runIngest(
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<IngestRun> {
  const finished = await runCli(['ingest', file, ...args], { timeoutMs, rssProbe: true }, [0, 3]);
  return {
    seconds: finished.seconds,
    peakRssMb: finished.peakRssMb,
    writtenMb: finished.writtenMb,
    cpu: finished.cpu,
    summary: parseIngestSummary(finished.stdout),
  };
}

/** `cpu_user_s` and `cpu_system_s` of a measured child, when the probe gave them. */
export function cpuFields(cpu: Finished['cpu']): Record<string, number> {
  return cpu === undefined ? {} : { cpu_user_s: cpu.user, cpu_system_s: cpu.system };
}

export async function ingestSqlite(
  name: string,
  file: string,
  events: number,
  options: {
    readonly db: string;
    readonly forms: string;
    readonly durability: SqliteDurability;
    readonly timeoutMs: number;
    readonly startupSeconds?: number;
  },
): Promise<Row> {
  const args = ['--db', options.db, '--forms', options.forms];
  if (options.durability === 'normal') args.push('--durability', 'normal');
  const run = await runIngest(file, args, options.timeoutMs);
  return {
    bench: name,
    events,
    seconds: round(run.seconds, 3),
    events_per_s: Math.round(events / run.seconds),
    peak_rss_mb: run.peakRssMb ?? null,
    ...cpuFields(run.cpu),
    durability: options.durability,
    batch: 1000,
    ...run.summary,
    ...(options.startupSeconds === undefined ? {} : { startup_s: round(options.startupSeconds, 3) }),
    db_mb: fileMb(options.db),
    written_mb: run.writtenMb ?? null,
  };
}
