/**
 * The external services the integration suites need (PostgreSQL, NATS). A suite whose service is unreachable is
 * skipped with one loud line, unless WEBINAR_EVENTS_REQUIRE_SERVICES=1 (CI), where it fails instead.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';

export const postgresUrl = (): string =>
  process.env['DATABASE_URL_TEST'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const natsUrl = (): string => process.env['NATS_URL_TEST'] ?? 'nats://127.0.0.1:4222';

// Generous: a loaded 2-core machine (test files, a browser, a build at once) can take seconds to accept a
// connection. A server that is down refuses at once (ECONNREFUSED), so only a hung one waits this long.
const PROBE_TIMEOUT_MS = 10_000;

/** The URL without its password, fit for a log line. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A TCP connection to the URL's host and port is enough to call a broker reachable. */
function probeTcp(url: string, defaultPort: number): Promise<void> {
  const parsed = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port || defaultPort) });
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(new Error('timed out')));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

const warned = new Set<string>();

/**
 * Whether the service at `url` answers. If not: throws when WEBINAR_EVENTS_REQUIRE_SERVICES=1 (CI must fail, not
 * skip), else prints one loud line and returns false.
 */
export async function serviceAvailable(name: string, url: string): Promise<boolean> {
  try {
    if (/^postgres(ql)?:/.test(url)) await probePostgres(url);
    else await probeTcp(url, 4222);
    return true;
  } catch (error) {
    const reason = `cannot reach ${redact(url)} (${(error as Error).message})`;
    if (process.env['WEBINAR_EVENTS_REQUIRE_SERVICES'] === '1') {
      throw new Error(`${name} is required (WEBINAR_EVENTS_REQUIRE_SERVICES=1) but ${reason}`);
    }
    if (!warned.has(name)) {
      warned.add(name);
      console.error(
        `!!! SKIPPING ${name} suites: ${reason} (set WEBINAR_EVENTS_REQUIRE_SERVICES=1 to fail instead)`,
      );
    }
    return false;
  }
}

export interface FreshSchema {
  readonly schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Runs one statement on its own connection (test setup and inspection). */
export async function onPostgres(url: string, statement: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A schema name no one uses yet: `t_<pid>_<random>`. */
export const uniqueSchemaName = (): string => `t_${process.pid}_${randomBytes(6).toString('hex')}`;

/** A new, uniquely named, empty schema, so every test has a database of its own. */
export async function freshSchema(url: string = postgresUrl()): Promise<FreshSchema> {
  const schema = uniqueSchemaName();
  // Identifiers cannot be parameters; this one is made of [a-z0-9_] only.
  await onPostgres(url, `CREATE SCHEMA "${schema}"`);
  return {
    schema,
    drop: async () => {
      await onPostgres(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}
