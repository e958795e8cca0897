import pg from 'pg';
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
import { LOCK, LOG_LOCK_AT_START, PROCESSOR_LOCKS, lockNamespace } from './locks.js';
import { MIGRATIONS } from './migrations.js';
import { PostgresTx } from './postgres-tx.js';
import { feedEventFromRow, type FeedRow } from '../log-rows.js';
import { rejectionFromRow, reportLeadFromRow, type AttendanceRow, type RejectionRow } from './rows.js';
import { assertKnownSchema } from '../schema-version.js';
import { warningCounts, withLeadWarnings, type WarningCountRow } from '../report-warnings.js';
import * as sql from './sql/index.js';

/** The two parameters of the SQL's rejection filter: the codes (text[]) and the origin prefix, or nulls. */
function filterParams(filter: RejectionFilter): [readonly string[] | null, string | null] {
  return [filter.codes ?? null, filter.originPrefix ?? null];
}

export interface PostgresOptions {
  /** The schema holding the tables (created if missing); default: the connection's `current_schema()`. */
  readonly schema?: string;
  /** Pool size (default 10). */
  readonly max?: number;
  /** How long `ping()` may take, in ms (default 2000). */
  readonly pingTimeoutMs?: number;
  /** How long getting a connection may take, in ms, waiting for a free one included (default 10000). */
  readonly connectTimeoutMs?: number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const INT8_OID = 20;

/** BIGINT (positions, counts) as a JS number, for this pool only: positions stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The scale store: PostgreSQL through a `pg` pool, for any number of API instances and workers at once.
 * Appends are serialized by a transaction-scoped advisory lock, so positions commit in order (README.md).
 */
export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly pingTimeoutMs: number;
  private namespace: number;
  private closed: Promise<void> | null = null;

  constructor(
    url: string,
    private readonly options: PostgresOptions = {},
  ) {
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new Error(`schema must match ${SCHEMA_NAME.source}, got ${JSON.stringify(schema)}`);
    }
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2000;
    this.namespace = lockNamespace(schema ?? 'public');
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: 'webinar-events',
      keepAlive: true,
      // A holder of the log lock that hangs mid-transaction is cut off instead of stalling every writer.
      idle_in_transaction_session_timeout: 60_000,
      types,
      onConnect:
        schema === undefined
          ? undefined
          : async (client) => {
              await client.query("SELECT set_config('search_path', $1, false)", [`"${schema}"`]);
            },
    });
    // An idle connection that breaks (server restart) is dropped by the pool; the next checkout reconnects.
    this.pool.on('error', () => undefined);
  }

  /**
   * Whether the schema the URL's connections use (`current_schema()`) holds a store: migrated by some version,
   * so that opening it reads what is there rather than creating the tables. Does not change anything.
   */
  static async holdsStore(url: string): Promise<boolean> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ present: boolean }>(
        // In current_schema() itself, where open() would create the tables: to_regclass would search the whole
        // search_path and find another schema's store.
        `SELECT EXISTS (SELECT 1 FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_name = 'schema_migrations') AS present`,
      );
      return rows[0]?.present === true;
    } finally {
      await client.end();
    }
  }

  /** Opens the store and brings its schema up to date. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(url, options);
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * A pooled connection held for a while, and how to give it back. The pool listens for errors only on idle
   * connections: one that breaks while held (PostgreSQL restarting between two statements of a transaction) emits
   * 'error' with no listener, which would end the process. Held here, that error is kept instead (the next
   * statement fails on its own), and the connection is discarded at release, as one whose statement failed is.
   */
  private async checkout(): Promise<{ client: pg.PoolClient; release(broken?: Error): void }> {
    const client = await this.pool.connect();
    let lost: Error | undefined;
    const onError = (error: Error): void => {
      lost = error;
    };
    client.on('error', onError);
    return {
      client,
      release: (broken) => {
        client.off('error', onError);
        client.release(broken ?? lost);
      },
    };
  }

  /**
   * LOCK.relayLease, tried (never waited for) in a transaction of its own connection, held while `work` runs:
   * undefined when another process holds it. The transaction sits idle while `work` publishes, so a holder whose
   * machine vanished is cut off by idle_in_transaction_session_timeout (60 s) and the lease freed, instead of
   * waiting for TCP keepalives; a standby never blocks, so it stops at once at a signal.
   */
  async withLease<T>(name: 'relay', work: () => Promise<T>): Promise<T | undefined> {
    const key = { relay: LOCK.relayLease }[name];
    const { client, release } = await this.checkout();
    let broken: Error | undefined;
    const lease = async (statement: string, params?: unknown[]): Promise<pg.QueryResult> => {
      try {
        return await client.query(statement, params);
      } catch (error) {
        broken = error as Error; // the connection, not the work, failed: it is discarded
        throw error;
      }
    };
    try {
      await lease('BEGIN');
      const held = (await lease(sql.tryLockTransaction, [this.namespace, key])).rows[0]?.held === true;
      if (!held) {
        await lease('ROLLBACK');
        return undefined;
      }
      let result: T;
      try {
        result = await work();
      } catch (error) {
        await lease('ROLLBACK');
        throw error;
      }
      await lease('COMMIT');
      return result;
    } finally {
      release(broken);
    }
  }

  /** Applies the missing migrations, one transaction each, under a session lock: concurrent opens migrate once. */
  async migrate(): Promise<void> {
    const { client, release } = await this.checkout();
    let broken: Error | undefined;
    try {
      const schema =
        this.options.schema ??
        (await client.query<{ schema: string | null }>(sql.currentSchema)).rows[0]?.schema ??
        'public';
      this.namespace = lockNamespace(schema);
      await client.query(sql.lockSession, [this.namespace, LOCK.migrations]);
      try {
        if (this.options.schema !== undefined) {
          // An identifier, checked against SCHEMA_NAME, cannot be a parameter.
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.options.schema}"`);
        }
        await client.query(sql.createMigrationsTable).catch((error: unknown) => {
          // No schema of the search_path exists (`options=-c search_path=x` naming one never created).
          if (errorCode(error) !== '3F000') throw error;
          throw new Error(
            `no schema of the connection's search_path exists, so the store has nowhere to be created ` +
              `(create it first: CREATE SCHEMA name; or fix search_path): ${(error as Error).message}`,
            { cause: error },
          );
        });
        const applied = new Set(
          (await client.query<{ version: number }>(sql.appliedMigrations)).rows.map((r) => r.version),
        );
        assertKnownSchema(applied, MIGRATIONS, `the PostgreSQL schema "${schema}"`);
        for (const migration of MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await migration.backfill?.(client);
            await client.query(sql.recordMigration, [
              migration.version,
              migration.name,
              new Date().toISOString(),
            ]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query(sql.unlockSession, [this.namespace, LOCK.migrations]);
      }
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      // A connection that failed mid-way is discarded, so no session lock or open transaction survives it.
      release(broken);
    }
  }

  async transaction<T>(purpose: TxPurpose, work: (tx: StoreTx) => Promise<T>): Promise<T> {
    const { client, release } = await this.checkout();
    let broken: Error | undefined;
    try {
      // READ COMMITTED: every statement sees what committed before it, so reads after a lock see its last holder.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const tx = new PostgresTx(client, this.namespace);
      // Lock order is always processor locks (classifier before router), then log lock: no deadlock between
      // purposes.
      for (const processor of PROCESSOR_LOCKS[purpose]) await tx.lock(processor);
      if (LOG_LOCK_AT_START.has(purpose)) await tx.lock('log');
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      release(broken);
    }
  }

  async readEvents(after: number, limit: number, type?: string): Promise<FeedEvent[]> {
    const { rows } =
      type === undefined
        ? await this.pool.query<FeedRow>(sql.feed, [after, limit])
        : await this.pool.query<FeedRow>(sql.feedOfType, [type, after, limit]);
    return rows.map(feedEventFromRow);
  }

  async readStoredLog(after: number, limit: number): Promise<StoredLogRow[]> {
    return (await this.pool.query<StoredLogRow>(sql.storedLog, [after, limit])).rows;
  }

  async readRejections(
    after: number,
    limit: number,
    maxRawBytes = REJECTIONS_PAGE_BYTES,
    filter: RejectionFilter = {},
  ): Promise<RejectionRecord[]> {
    return this.rejectionPage(sql.readRejections, after, limit, maxRawBytes, filter);
  }

  async readRejectionsBefore(
    before: number,
    limit: number,
    maxRawBytes = REJECTIONS_PAGE_BYTES,
    filter: RejectionFilter = {},
  ): Promise<RejectionRecord[]> {
    return this.rejectionPage(sql.readRejectionsBefore, before, limit, maxRawBytes, filter);
  }

  /** A page of either direction: the statements differ only in the comparison with $1 and the order. */
  private async rejectionPage(
    text: string,
    seq: number,
    limit: number,
    bytes: number,
    filter: RejectionFilter,
  ): Promise<RejectionRecord[]> {
    const { rows } = await this.pool.query<RejectionRow>(text, [seq, limit, bytes, ...filterParams(filter)]);
    return rows.map(rejectionFromRow);
  }

  async hasRejectionsBefore(seq: number, filter: RejectionFilter = {}): Promise<boolean> {
    const { rows } = await this.pool.query<{ older: boolean }>(sql.rejectionExistsBefore, [
      seq,
      ...filterParams(filter),
    ]);
    return rows[0]?.older === true;
  }

  async rejectionsHead(): Promise<number> {
    // BIGINT comes back as a number from this pool (its type parser); coalesce makes the one row non-null.
    const { rows } = await this.pool.query<{ head: number }>(sql.rejectionsHead);
    return rows[0]!.head;
  }

  async timeline(leadId: string, webinarId?: string): Promise<FeedEvent[]> {
    const { rows } = await this.pool.query<FeedRow>(sql.timeline, [leadId, webinarId ?? null]);
    return rows.map(feedEventFromRow);
  }

  async reportTotals(webinarId: string): Promise<ReportTotals> {
    const [{ rows }, warned] = await Promise.all([
      this.pool.query<Omit<ReportTotals, 'warnings'>>(sql.reportTotals, [webinarId]),
      this.pool.query<WarningCountRow>(sql.reportWarnings, [webinarId]),
    ]);
    const t = rows[0]!;
    return {
      registered: t.registered,
      entered: t.entered,
      completed: t.completed,
      attended: t.attended,
      not_attended: t.not_attended,
      unclassified: t.unclassified,
      anonymous_entries: t.anonymous_entries,
      warnings: warningCounts(warned.rows),
    };
  }

  async reportLeads(webinarId: string, afterLead: string, limit: number): Promise<ReportLead[]> {
    const { rows } = await this.pool.query<AttendanceRow>(sql.reportLeads, [webinarId, afterLead, limit]);
    if (rows.length === 0) return [];
    const leads = rows.map(reportLeadFromRow);
    const warned = await this.pool.query<WarningCountRow>(sql.reportLeadWarnings, [
      webinarId,
      leads.map((l) => l.lead_id),
    ]);
    return withLeadWarnings(leads, warned.rows);
  }

  async webinars(afterWebinar: string, limit: number): Promise<WebinarSummary[]> {
    return (await this.pool.query<WebinarSummary>(sql.webinars, [afterWebinar, limit])).rows;
  }

  async evaluations(webinarId?: string): Promise<EvaluationRecord[]> {
    return (await this.pool.query<EvaluationRecord>(sql.readEvaluations, [webinarId ?? null])).rows;
  }

  async checkpoints(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ processor: string; position: number }>(sql.readCheckpoints);
    return Object.fromEntries(rows.map((r) => [r.processor, r.position]));
  }

  async head(): Promise<number> {
    return (await this.pool.query<{ head: number }>(sql.readHead)).rows[0]!.head;
  }

  async ping(): Promise<void> {
    await withTimeout(this.pool.query(sql.ping), this.pingTimeoutMs, 'PostgreSQL ping');
  }

  /** Ends the pool once; waits for the connections in use to be released. */
  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }
}
