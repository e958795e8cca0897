import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import * as sql from '../../src/store/postgres/sql/index.js';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.js';
import { freshSchema, postgresUrl, serviceAvailable, type FreshSchema } from './services.js';

const url = postgresUrl();
const available = await serviceAvailable('PostgreSQL', url);

const ROWS = 50_000;
const KEYS = 1000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan that reads `table`, with how it reads it (a write's ModifyTable node is not a read). */
function scansOf(node: PlanNode, table: string, out: string[] = []): string[] {
  if (node['Relation Name'] === table && node['Node Type'] !== 'ModifyTable') out.push(node['Node Type']);
  for (const child of node.Plans ?? []) scansOf(child, table, out);
  return out;
}

/** The keys a batch looks up: KEYS of the ROWS stored, spread over the table. */
const keys = (prefix: string): string[] =>
  Array.from({ length: KEYS }, (_, i) => `${prefix}${1 + ((i * 37) % ROWS)}`);
const webinarOf = (lead: string): string => `W-${Number(lead.slice(2)) % 50}`;

if (!available) {
  describe('PostgreSQL lookups', { skip: `cannot reach ${url}` }, () => {
    it('plans per-key index lookups', () => undefined);
  });
} else {
  describe('PostgreSQL: a batch looks its keys up through the indexes, whatever the tables hold', () => {
    let fresh: FreshSchema;
    let client: pg.Client;

    before(async () => {
      fresh = await freshSchema(url);
      const store = await PostgresEventStore.open(url, { schema: fresh.schema });
      await store.close();
      client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`SET search_path TO "${fresh.schema}"`);
      // Tables of the size where the planner preferred hashing the whole table to 1,000 index probes.
      await client.query(`
        INSERT INTO events (position, source, id, type, lead_id, webinar_id, envelope, recorded_at)
          SELECT g, '/src', 'E-' || g, 'client_webinar_registered', 'L-' || g, 'W-' || g % 50, '{}', 'x'
          FROM generate_series(1, ${ROWS}) g;
        INSERT INTO intake_registrations SELECT 'L-' || g, 'W-' || g % 50 FROM generate_series(1, ${ROWS}) g;
        INSERT INTO intake_entries SELECT 'L-' || g, 'W-' || g % 50 FROM generate_series(1, ${ROWS}) g;
        INSERT INTO intake_webinars SELECT 'W-' || g, 'live' FROM generate_series(1, ${ROWS}) g;
        INSERT INTO intake_sessions SELECT 'S-' || g, 'W-' || g % 50, 'L-' || g, true, false, false
          FROM generate_series(1, ${ROWS}) g;
        INSERT INTO intake_forms SELECT 'L-' || g, 'W-' || g % 50, 'F-1' FROM generate_series(1, ${ROWS}) g;
        INSERT INTO attendance (webinar_id, lead_id, registered, entries, lefts, completions, forms)
          SELECT 'W-' || g % 50, 'L-' || g, true, 1, 0, 0, 0 FROM generate_series(1, ${ROWS}) g;
        INSERT INTO attendance_sessions SELECT 'S-' || g, 'W-' || g % 50, 'L-' || g, 0
          FROM generate_series(1, ${ROWS}) g;
        INSERT INTO attendance_webinars SELECT 'W-' || g, 0 FROM generate_series(1, ${ROWS}) g;
        ANALYZE;`);
    });

    after(async () => {
      await client?.end();
      await fresh?.drop();
    });

    const leads = keys('L-');
    const lookups: Array<[string, string, unknown[], string]> = [
      ['loadStoredEvents', sql.loadStoredEvents, [leads.map(() => '/src'), keys('E-')], 'events'],
      ['loadRegistrations', sql.loadRegistrations, [leads, leads.map(webinarOf)], 'intake_registrations'],
      ['loadEntries', sql.loadEntries, [leads, leads.map(webinarOf)], 'intake_entries'],
      ['loadWebinarTypes', sql.loadWebinarTypes, [keys('W-')], 'intake_webinars'],
      ['loadSessions', sql.loadSessions, [keys('S-')], 'intake_sessions'],
      ['loadForms', sql.loadForms, [leads, leads.map(webinarOf), leads.map(() => 'F-1')], 'intake_forms'],
      ['loadAttendance', sql.loadAttendance, [leads, leads.map(webinarOf)], 'attendance'],
      ['loadAttendanceSessions', sql.loadAttendanceSessions, [keys('S-')], 'attendance_sessions'],
      ['loadAttendanceWebinars', sql.loadAttendanceWebinars, [keys('W-')], 'attendance_webinars'],
      // The router's write: an EXPLAIN only, nothing is changed.
      ['recordRoutes', sql.recordRoutes, [leads.map(() => 'ok'), leads.map(webinarOf), leads], 'attendance'],
    ];

    it('recordRoutes sets route_status alone on rows that exist, and inserts nothing', async () => {
      await client.query('BEGIN');
      try {
        const before = await client.query(
          `SELECT * FROM attendance WHERE lead_id IN ('L-1', 'L-2') ORDER BY lead_id`,
        );
        const result = await client.query(sql.recordRoutes, [
          ['attended', 'not_attended', 'attended'],
          ['W-1', 'W-2', 'W-1'],
          ['L-1', 'L-2', 'L-no-such-lead'],
        ]);
        assert.equal(result.rowCount, 2);
        const after = await client.query(
          `SELECT * FROM attendance WHERE lead_id IN ('L-1', 'L-2') ORDER BY lead_id`,
        );
        assert.deepEqual(
          after.rows,
          before.rows.map((row: Record<string, unknown>, i: number) => ({
            ...row,
            route_status: ['attended', 'not_attended'][i],
          })),
        );
        const missing = await client.query(
          `SELECT count(*)::int AS n FROM attendance WHERE lead_id = 'L-no-such-lead'`,
        );
        assert.equal(missing.rows[0].n, 0);
      } finally {
        await client.query('ROLLBACK');
      }
    });

    for (const [name, text, params, table] of lookups) {
      it(`${name}: ${KEYS} keys are ${KEYS} index lookups in ${table}, not a scan of its ${ROWS} rows`, async () => {
        const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (FORMAT JSON) ${text}`,
          params,
        );
        const scans = scansOf(rows[0]!['QUERY PLAN'][0]!.Plan, table);
        assert.ok(scans.length > 0, `${table} is not read at all`);
        for (const scan of scans) assert.match(scan, /^Index (Only )?Scan$/, `${table} read by ${scan}`);
        // And the lookups find what is there.
        if (name.startsWith('load')) assert.equal((await client.query(text, params)).rowCount, KEYS);
      });
    }
  });
}
