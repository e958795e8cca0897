/**
 * append-raw-postgres (pg alone, multi-row INSERTs in 1000-row transactions, the baseline) and ingest-postgres
 * (the `ingest --postgres URL` command as a child). Each runs in a fresh schema of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresEventStore } from '../src/store/postgres/postgres-store.js';
import type { Row } from './report.js';
import { EVENT_COLUMNS, type EventRow } from './rows.js';
import { cpuCeilingFields, ServerCpu } from './server-cpu.js';
import { cpuFields, runIngest } from './sqlite.js';
import { now, round } from './util.js';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function postgresUrl(): string {
  const url = process.env['DATABASE_URL_BENCH'];
  return url !== undefined && url !== '' ? url : DEFAULT_POSTGRES_URL;
}

/** The URL without its password, fit for output. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Null when the server answers; else why it does not. */
export async function postgresUnreachable(url: string): Promise<string | null> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
    return null;
  } catch (error) {
    return (error as Error).message || String(error);
  }
}

/** The server settings that decide what a commit costs. */
export async function postgresSettings(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'full_page_writes')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  });
}

const freshSchema = (what: string): string =>
  `bench_${what}_${process.pid}_${randomBytes(4).toString('hex')}`;

async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(
    (error: unknown) =>
      process.stderr.write(`bench: could not drop schema ${schema}: ${(error as Error).message}\n`),
  );
}

const APPEND = `INSERT INTO events (${EVENT_COLUMNS})
  SELECT u.*, $12 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS u(position, source, id, type, lead_id, webinar_id, session_id, content_hash, causationid, envelope, warnings)`;

export async function appendRawPostgres(
  rows: readonly EventRow[],
  url: string,
  settings: Record<string, string>,
  batch = 1000,
): Promise<Row> {
  const schema = freshSchema('raw');
  try {
    // The adapter creates the schema and its tables, as the service would.
    const store = await PostgresEventStore.open(url, { schema, max: 1 });
    await store.close();
    return await withClient(url, async (client) => {
      await client.query("SELECT set_config('search_path', $1, false)", [`"${schema}"`]);
      const recordedAt = new Date().toISOString();
      // One parameter array per column per transaction, built before timing.
      const params: unknown[][] = [];
      for (let i = 0; i < rows.length; i += batch) {
        const chunk = rows.slice(i, i + batch);
        const columns: unknown[][] = Array.from({ length: 11 }, () => []);
        for (const row of chunk) row.forEach((value, c) => columns[c]!.push(value));
        params.push([...columns, recordedAt]);
      }
      const serverCpu = await ServerCpu.start(client);
      const cpu0 = process.cpuUsage();
      const start = now();
      for (const values of params) {
        await client.query('BEGIN');
        await client.query(APPEND, values);
        await client.query('COMMIT');
      }
      const seconds = (now() - start) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const clientCpu = (cpu.user + cpu.system) / 1e6;
      return {
        bench: 'append-raw-postgres',
        events: rows.length,
        seconds: round(seconds, 3),
        events_per_s: Math.round(rows.length / seconds),
        batch,
        transactions: params.length,
        cpu_user_s: round(cpu.user / 1e6, 2),
        cpu_system_s: round(cpu.system / 1e6, 2),
        ...cpuCeilingFields(rows.length, clientCpu, await serverCpu?.seconds()),
        ...settings,
      };
    });
  } finally {
    await dropSchema(url, schema);
  }
}

export async function ingestPostgres(
  file: string,
  events: number,
  url: string,
  settings: Record<string, string>,
  options: { readonly forms: string; readonly timeoutMs: number },
): Promise<Row> {
  const schema = freshSchema('ingest');
  try {
    // `ingest --postgres URL` has no schema option: the schema is created here and named by the URL's
    // search_path (libpq `options`); the adapter then puts its tables in current_schema().
    const serverCpu = await withClient(url, async (client) => {
      await client.query(`CREATE SCHEMA "${schema}"`);
      return ServerCpu.start(client);
    });
    const target = new URL(url);
    const libpq = target.searchParams.get('options');
    target.searchParams.set('options', `${libpq === null ? '' : `${libpq} `}-c search_path=${schema}`);
    const run = await runIngest(
      file,
      ['--postgres', target.toString(), '--forms', options.forms],
      options.timeoutMs,
    );
    const serverCpuSeconds = await serverCpu?.seconds();
    const stored = await withClient(url, (client) =>
      client.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".events`),
    );
    return {
      bench: 'ingest-postgres',
      events,
      seconds: round(run.seconds, 3),
      events_per_s: Math.round(events / run.seconds),
      peak_rss_mb: run.peakRssMb ?? null,
      ...cpuFields(run.cpu),
      ...cpuCeilingFields(
        events,
        run.cpu === undefined ? undefined : run.cpu.user + run.cpu.system,
        serverCpuSeconds,
      ),
      batch: 1000,
      ...run.summary,
      stored_events: Number(stored.rows[0]?.n),
      ...settings,
    };
  } finally {
    await dropSchema(url, schema);
  }
}
