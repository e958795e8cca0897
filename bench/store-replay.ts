/**
 * store-raw-sqlite: the storage work the embedded pipeline asks of SQLite, without the service's JavaScript.
 * Every statement the pipeline runs for the bench's events (the intake state's loads and writes, the log rows, the
 * classifier's and router's reads, rows and checkpoints) is recorded once, with its parameters and its
 * transaction, from an in-process run of the same pipeline as `ingest` (1,000-line batches, inline processors);
 * the timed part replays them with better-sqlite3 alone, transaction by transaction, on a fresh file with the
 * service's settings. So `append-raw-sqlite` is what storing the client events costs, `store-raw-sqlite` what
 * storing everything the contract derives from them costs, and `ingest-sqlite` adds the service's own code.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import type { FormsCatalog } from '../src/intake/forms-catalog.js';
import { drainClassifier, drainRouter, ingestBatch, judgeText } from '../src/pipeline/index.js';
import { SqliteEventStore, type SqliteDurability } from '../src/store/sqlite/sqlite-store.js';
import type { Row } from './report.js';
import { serviceSettings } from './sqlite.js';
import { now, round, writtenMb } from './util.js';

type Method = 'run' | 'get' | 'all';

interface Call {
  readonly sql: string;
  readonly method: Method;
  readonly args: unknown[];
}

export interface StoreRecording {
  readonly events: number;
  readonly accepted: number;
  readonly transactions: readonly Call[][];
  readonly statements: number;
}

const METHODS: readonly Method[] = ['run', 'get', 'all'];
/** The `ingest` command's batch. */
const BATCH = 1000;

/**
 * Runs the pipeline in this process over `file` into a fresh store at `dbPath`, recording every prepared
 * statement the store's transactions execute. The adapter's statements are private fields: read, never changed
 * except for the recording wrappers, and the store is closed afterwards.
 */
export async function recordStoreWork(
  file: string,
  forms: FormsCatalog,
  dbPath: string,
): Promise<StoreRecording> {
  const store = new SqliteEventStore(dbPath, { durability: 'normal' });
  const transactions: Call[][] = [];
  let current: Call[] | null = null;
  let statements = 0;
  try {
    const st = (store as unknown as { st?: Record<string, Database.Statement> }).st;
    if (st === undefined)
      throw new Error('SqliteEventStore has no st field any more: update bench/store-replay.ts');
    for (const statement of Object.values(st)) {
      const sql = statement.source;
      for (const method of METHODS) {
        const original = statement[method].bind(statement) as (...args: unknown[]) => unknown;
        (statement as unknown as Record<Method, (...args: unknown[]) => unknown>)[method] = (
          ...args: unknown[]
        ) => {
          if (current === null) throw new Error(`a statement ran outside a transaction: ${sql}`);
          current.push({ sql, method, args });
          statements++;
          return original(...args);
        };
      }
    }
    const transaction = store.transaction.bind(store);
    store.transaction = (purpose, work) =>
      transaction(purpose, async (tx) => {
        const calls: Call[] = [];
        current = calls;
        try {
          const result = await work(tx);
          // Only committed work is replayed: a transaction that threw was rolled back.
          transactions.push(calls);
          return result;
        } finally {
          current = null;
        }
      });

    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    let accepted = 0;
    for (let i = 0; i < lines.length; i += BATCH) {
      const inputs = lines.slice(i, i + BATCH).map(judgeText);
      const verdicts = await ingestBatch(store, inputs, {
        forms,
        origin: 'ingest:bench',
        inlineProcessors: true,
      });
      for (const v of verdicts) if (v.status === 'accepted') accepted++;
    }
    // As `ingest` does before it exits: the processors catch up (here, they find nothing left).
    await drainClassifier(store);
    await drainRouter(store);
    return { events: lines.length, accepted, transactions, statements };
  } finally {
    await store.close();
  }
}

/** Replays a recording on a fresh file at `dbPath` with the service's settings; only the replay is timed. */
export async function replayStoreWork(
  name: string,
  recording: StoreRecording,
  dbPath: string,
  durability: SqliteDurability,
): Promise<Row> {
  const { pragmas, source } = await serviceSettings(dbPath, durability);
  const db = new Database(dbPath);
  try {
    for (const [pragma, value] of Object.entries(pragmas)) db.pragma(`${pragma} = ${value}`);
    const prepared = new Map<string, Database.Statement>();
    const plan = recording.transactions.map((calls) =>
      calls.map((call) => {
        let statement = prepared.get(call.sql);
        if (statement === undefined) {
          statement = db.prepare(call.sql);
          prepared.set(call.sql, statement);
        }
        return { statement, method: call.method, args: call.args };
      }),
    );
    const begin = db.prepare('BEGIN IMMEDIATE');
    const blocksBefore = process.resourceUsage().fsWrite;
    const start = now();
    for (const calls of plan) {
      begin.run();
      for (const { statement, method, args } of calls) statement[method](...args);
      db.exec('COMMIT');
    }
    const seconds = (now() - start) / 1000;
    db.close();
    const written = writtenMb(process.resourceUsage().fsWrite - blocksBefore);
    return {
      bench: name,
      events: recording.events,
      seconds: round(seconds, 3),
      events_per_s: Math.round(recording.events / seconds),
      accepted: recording.accepted,
      transactions: plan.length,
      statements: recording.statements,
      durability,
      pragmas,
      pragmas_source: source,
      written_mb: written ?? null,
    };
  } finally {
    if (db.open) db.close();
  }
}
