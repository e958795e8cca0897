import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from '../../error-code.js';
import type {
  EvaluationRecord,
  EventStore,
  FeedEvent,
  RejectionFilter,
  RejectionRecord,
  ReportLead,
  ReportTotals,
  StoredLogRow,
  StoreTx,
  TxPurpose,
  WebinarSummary,
} from '../port.js';
import { REJECTIONS_PAGE_BYTES } from '../port.js';
import { assertKnownSchema } from '../schema-version.js';
import { warningCounts, withLeadWarnings, type WarningCountRow } from '../report-warnings.js';
import { feedEventFromRow, type FeedRow } from '../log-rows.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteTx, prepareStatements, type Statements } from './sqlite-tx.js';
import type { AttendanceRow } from './rows.js';

export type SqliteDurability = 'full' | 'normal';

export interface SqliteOptions {
  /** `full` (default): an acknowledged event survives power loss. `normal`: survives a process crash only. */
  readonly durability?: SqliteDurability;
  /**
   * How long a write waits for another process's write lock (default 5000 ms) before it fails with SQLITE_BUSY.
   * The wait is asynchronous: the event loop keeps serving while another process holds the lock.
   */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Retries of a busy BEGIN start 1 ms apart and back off to this. */
const MAX_LOCK_RETRY_MS = 25;

/**
 * Whether an existing, non-empty file holds a store (a database some version migrated), read without changing it:
 * false for a file that is not a database or is another application's. Any other failure to read it (no
 * permission, a directory where SQLite cannot create the -shm file of a WAL database) is thrown as it is.
 */
export function holdsSqliteStore(path: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return (
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !==
      undefined
    );
  } catch (error) {
    if (errorCode(error) === 'SQLITE_NOTADB') return false;
    throw error;
  } finally {
    db?.close();
  }
}

/**
 * SQLite's busy codes, extended ones included: better-sqlite3 reports those (SQLITE_BUSY_RECOVERY while another
 * process recovers the WAL after a crash), and SQLite's own busy loop retries them all.
 */
export function isSqliteBusy(error: unknown): boolean {
  return /^SQLITE_BUSY/.test(errorCode(error) ?? '');
}

function migrate(db: Database.Database, path: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  assertKnownSchema(applied, MIGRATIONS, `the SQLite database ${path}`);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      // Another process opening the same file may have applied it since the versions above were read: looked
      // at again under the write lock, so each migration runs once.
      if (isApplied.get(migration.version) !== undefined) return;
      db.exec(migration.sql);
      migration.backfill?.(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

/**
 * Opens the file, sets the connection up and migrates it. A failure (not a database, a directory, no write
 * permission, a newer schema) closes the connection and names the file, so the operator knows which one.
 */
function openDatabase(path: string, options: SqliteOptions, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    // Bigger pages: shallower B-trees and fewer page writes per commit (about 9% faster ingest here). Only a new
    // file takes it; an existing one keeps its page size.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    migrate(db, path);
    return db;
  } catch (error) {
    if (db?.open) db.close();
    const message = (error as Error).message;
    if (message.includes(path)) throw error;
    throw new Error(`cannot open the SQLite database ${path}: ${message}`, { cause: error });
  }
}

/**
 * A RejectionFilter over @codes (the codes as a JSON array, or null) and @origin (a prefix, or null). Only objects
 * among the errors have a code.
 */
const REJECTION_FILTER = `(@codes IS NULL OR EXISTS (SELECT 1 FROM json_each(errors) e
    WHERE e.type = 'object' AND e.value ->> 'code' IN (SELECT value FROM json_each(@codes))))
  AND (@origin IS NULL OR substr(origin, 1, length(@origin)) = @origin)`;

/** The counts of leads of a report's totals and of the list of webinars, over rows of `attendance`. */
const LEAD_COUNTS = `count(*) FILTER (WHERE registered) AS registered,
  count(*) FILTER (WHERE entries > 0) AS entered,
  count(*) FILTER (WHERE completions > 0) AS completed,
  count(*) FILTER (WHERE verdict = 1) AS attended,
  count(*) FILTER (WHERE verdict = 0) AS not_attended,
  count(*) FILTER (WHERE verdict IS NULL) AS unclassified`;

/**
 * A page of the quarantine after @seq (`>`, counted from the oldest) or before it (`<`, counted from the newest),
 * returned oldest first.
 */
function rejectionPage(direction: '>' | '<'): string {
  const order = direction === '>' ? 'seq' : 'seq DESC';
  return `SELECT * FROM rejections WHERE seq IN (
    SELECT seq FROM (
      SELECT seq, sum(n) OVER (ORDER BY ${order}) - n AS before FROM (
        SELECT seq, octet_length(raw) AS n FROM rejections WHERE seq ${direction} @seq AND ${REJECTION_FILTER}
        ORDER BY ${order} LIMIT @limit))
    WHERE before < @bytes)
  ORDER BY seq`;
}

/** @codes and @origin of REJECTION_FILTER. */
function filterParams(filter: RejectionFilter): { codes: string | null; origin: string | null } {
  return {
    codes: filter.codes === undefined ? null : JSON.stringify(filter.codes),
    origin: filter.originPrefix ?? null,
  };
}

function rejectionRecord(row: Record<string, unknown>): RejectionRecord {
  return {
    seq: row['seq'] as number,
    received_at: row['received_at'] as string,
    origin: row['origin'] as string,
    id: (row['event_id'] as string | null) ?? null,
    raw: row['raw'] as string,
    raw_encoding: row['raw_encoding'] as 'utf8' | 'base64',
    errors: JSON.parse(row['errors'] as string) as unknown[],
  };
}

/**
 * The embedded store: one SQLite file in WAL mode. One connection; writes are serialized by an in-process queue,
 * which also makes every position handed out in a transaction final and gap-free.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly tx: SqliteTx;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly queries;
  private readonly busyTimeoutMs: number;
  private readonly begin: Database.Statement;

  constructor(
    readonly path: string,
    options: SqliteOptions = {},
  ) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.db = openDatabase(path, options, this.busyTimeoutMs);
    this.st = prepareStatements(this.db);
    this.tx = new SqliteTx(this.st);
    this.begin = this.db.prepare('BEGIN IMMEDIATE');
    const q = (sql: string) => this.db.prepare(sql);
    this.queries = {
      feed: q(`SELECT position, envelope, warnings, recorded_at FROM events WHERE position > ?
        ORDER BY position LIMIT ?`),
      storedLog: q(`SELECT position, causationid IS NOT NULL AS derived, envelope, warnings FROM events
        WHERE position > ? ORDER BY position LIMIT ?`),
      feedType:
        q(`SELECT position, envelope, warnings, recorded_at FROM events WHERE type = ? AND position > ?
        ORDER BY position LIMIT ?`),
      // A page stops at maxRawBytes of raw inputs (the first row always in): see the PostgreSQL twin.
      // @seq, @limit, the byte budget @bytes, and the filter's @codes (a JSON array) and @origin, or nulls.
      rejections: q(rejectionPage('>')),
      rejectionsHead: q('SELECT coalesce(max(seq), 0) FROM rejections').pluck(),
      rejectionExistsBefore: q(
        `SELECT EXISTS (SELECT 1 FROM rejections WHERE seq < @seq AND ${REJECTION_FILTER})`,
      ).pluck(),
      rejectionsBefore: q(rejectionPage('<')),
      timeline: q(`SELECT position, envelope, warnings, recorded_at FROM events WHERE lead_id = @lead
          AND (@webinar IS NULL OR webinar_id = @webinar)
        UNION
        SELECT e.position, e.envelope, e.warnings, e.recorded_at FROM attendance_sessions s
          JOIN events e ON e.session_id = s.session_id AND e.lead_id IS NULL
          WHERE s.lead_id = @lead AND (@webinar IS NULL OR s.webinar_id = @webinar)
        ORDER BY position`),
      totals: q(`SELECT ${LEAD_COUNTS} FROM attendance WHERE webinar_id = ?`),
      anonymous: q('SELECT anonymous_entries FROM attendance_webinars WHERE webinar_id = ?').pluck(),
      // Both read the partial index events_warned: only events that carry warnings are in it.
      warnings: q(`SELECT j.value ->> 'code' AS code, count(DISTINCT e.position) AS events
        FROM events e, json_each(e.warnings) j WHERE e.webinar_id = ? AND e.warnings IS NOT NULL
        GROUP BY code`),
      leadWarnings: q(`SELECT e.lead_id, j.value ->> 'code' AS code, count(DISTINCT e.position) AS events
        FROM events e, json_each(e.warnings) j WHERE e.webinar_id = ? AND e.warnings IS NOT NULL
          AND e.lead_id IN (SELECT value FROM json_each(?))
        GROUP BY e.lead_id, code`),
      leads: q('SELECT * FROM attendance WHERE webinar_id = ? AND lead_id > ? ORDER BY lead_id LIMIT ?'),
      // Along the primary key (webinar_id, lead_id): a page reads only its webinars' rows.
      webinars: q(`SELECT webinar_id, ${LEAD_COUNTS},
          count(*) FILTER (WHERE entries > 0 AND completions = 0 AND verdict IS NULL) AS awaiting_evaluation
        FROM attendance WHERE webinar_id > ? GROUP BY webinar_id ORDER BY webinar_id LIMIT ?`),
      evaluations: q(
        `SELECT id, webinar_id, requested_at, requester, at_position FROM evaluations
          WHERE @webinar IS NULL OR webinar_id = @webinar ORDER BY seq`,
      ),
      checkpoints: q('SELECT processor, position FROM checkpoints'),
      ping: q('SELECT 1').pluck(),
    };
  }

  transaction<T>(_purpose: TxPurpose, work: (tx: StoreTx) => Promise<T>): Promise<T> {
    // The wait for another process's lock counts from now, not from the turn in this process's queue: requests
    // queued behind a waiting one must not add up their waits (each would get 5 s more).
    const deadline = Date.now() + this.busyTimeoutMs;
    const run = async (): Promise<T> => {
      await this.beginImmediate(deadline);
      try {
        const result = await work(this.tx);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Takes the write lock. When another process holds it (an `ingest` run, a second `serve`, a sqlite3 shell),
   * SQLite's busy handler would sleep inside the call and freeze the event loop for up to the whole timeout; here
   * each attempt fails at once and the retry waits on a timer, so reads, health checks and other requests go on
   * meanwhile. At `deadline` (busyTimeoutMs after the transaction was asked for) the last SQLITE_BUSY is thrown
   * (the API answers 503 STORE_UNAVAILABLE); a transaction reaching its turn later than that tries once.
   */
  private async beginImmediate(deadline: number): Promise<void> {
    for (let delay = 1; ; delay = Math.min(delay * 2, MAX_LOCK_RETRY_MS)) {
      // SQLite's own busy wait off for this one statement (a PRAGMA acts when prepared, so not a prepared one).
      this.db.pragma('busy_timeout = 0');
      try {
        this.begin.run();
        return;
      } catch (error) {
        if (!isSqliteBusy(error) || Date.now() >= deadline) throw error;
      } finally {
        this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    }
  }

  async readEvents(after: number, limit: number, type?: string): Promise<FeedEvent[]> {
    const rows =
      type === undefined
        ? this.queries.feed.all(after, limit)
        : this.queries.feedType.all(type, after, limit);
    return (rows as FeedRow[]).map(feedEventFromRow);
  }

  async readStoredLog(after: number, limit: number): Promise<StoredLogRow[]> {
    const rows = this.queries.storedLog.all(after, limit) as Array<
      Omit<StoredLogRow, 'derived'> & { derived: number }
    >;
    return rows.map((row) => ({ ...row, derived: row.derived === 1 }));
  }

  async readRejections(
    after: number,
    limit: number,
    maxRawBytes = REJECTIONS_PAGE_BYTES,
    filter: RejectionFilter = {},
  ): Promise<RejectionRecord[]> {
    return this.rejectionPage(this.queries.rejections, after, limit, maxRawBytes, filter);
  }

  async readRejectionsBefore(
    before: number,
    limit: number,
    maxRawBytes = REJECTIONS_PAGE_BYTES,
    filter: RejectionFilter = {},
  ): Promise<RejectionRecord[]> {
    return this.rejectionPage(this.queries.rejectionsBefore, before, limit, maxRawBytes, filter);
  }

  /** A page of either direction: the statements differ only in the comparison with @seq and the order. */
  private rejectionPage(
    statement: Database.Statement,
    seq: number,
    limit: number,
    bytes: number,
    filter: RejectionFilter,
  ): RejectionRecord[] {
    const rows = statement.all({ seq, limit, bytes, ...filterParams(filter) });
    return (rows as Array<Record<string, unknown>>).map(rejectionRecord);
  }

  async hasRejectionsBefore(seq: number, filter: RejectionFilter = {}): Promise<boolean> {
    return this.queries.rejectionExistsBefore.get({ seq, ...filterParams(filter) }) === 1;
  }

  async rejectionsHead(): Promise<number> {
    return this.queries.rejectionsHead.get() as number;
  }

  async timeline(leadId: string, webinarId?: string): Promise<FeedEvent[]> {
    return (this.queries.timeline.all({ lead: leadId, webinar: webinarId ?? null }) as FeedRow[]).map(
      feedEventFromRow,
    );
  }

  async reportTotals(webinarId: string): Promise<ReportTotals> {
    const totals = this.queries.totals.get(webinarId) as Omit<ReportTotals, 'anonymous_entries'>;
    const anonymous = (this.queries.anonymous.get(webinarId) as number | undefined) ?? 0;
    const warnings = warningCounts(this.queries.warnings.all(webinarId) as WarningCountRow[]);
    return { ...totals, anonymous_entries: anonymous, warnings };
  }

  async reportLeads(webinarId: string, afterLead: string, limit: number): Promise<ReportLead[]> {
    const leads = (this.queries.leads.all(webinarId, afterLead, limit) as AttendanceRow[]).map((r) => ({
      lead_id: r.lead_id,
      registered: r.registered === 1,
      entries: r.entries,
      lefts: r.lefts,
      completions: r.completions,
      forms: r.forms,
      attended: r.verdict === null ? null : r.verdict === 1,
      classified_at: r.classified_at,
      route: r.route_status as ReportLead['route'],
    }));
    if (leads.length === 0) return [];
    const ids = JSON.stringify(leads.map((l) => l.lead_id));
    return withLeadWarnings(leads, this.queries.leadWarnings.all(webinarId, ids) as WarningCountRow[]);
  }

  /**
   * No lease across processes: a relay holding the file's write lock while it publishes would stop intake. Relays
   * of two processes on one file each publish (JetStream drops the repeats); the embedded runtime has one.
   */
  async withLease<T>(_name: 'relay', work: () => Promise<T>): Promise<T | undefined> {
    return work();
  }

  async webinars(afterWebinar: string, limit: number): Promise<WebinarSummary[]> {
    return this.queries.webinars.all(afterWebinar, limit) as WebinarSummary[];
  }

  async evaluations(webinarId?: string): Promise<EvaluationRecord[]> {
    return this.queries.evaluations.all({ webinar: webinarId ?? null }) as EvaluationRecord[];
  }

  async checkpoints(): Promise<Record<string, number>> {
    const rows = this.queries.checkpoints.all() as Array<{ processor: string; position: number }>;
    return Object.fromEntries(rows.map((r) => [r.processor, r.position]));
  }

  async head(): Promise<number> {
    return this.st.head.get() as number;
  }

  async ping(): Promise<void> {
    this.queries.ping.get();
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}
