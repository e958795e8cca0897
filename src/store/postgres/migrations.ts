import type { PoolClient } from 'pg';
import { FORM_BACKFILL_PAGE, FORM_SUBMITTED, formKeyOf } from '../form-backfill.js';

/**
 * Numbered migrations of the PostgreSQL store, the same tables as the SQLite adapter's. Applied at open, one
 * transaction each, under a session advisory lock so instances starting at once migrate once. Never edit a
 * shipped one.
 *
 * Types: positions BIGINT; timestamps stay TEXT (returned exactly as the pipeline gave them); the envelope, the
 * warnings and the errors are TEXT holding the JSON text, so key order and spelling come back verbatim (JSONB
 * would reorder keys). A quarantined input and its id are BYTEA: TEXT cannot hold U+0000, which a rejected
 * input may contain. The attendance keys are COLLATE "C" so the report pages in code point order, like SQLite.
 */
export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Data to write after `sql`, in the same transaction: what SQL alone cannot work out the same way. */
  readonly backfill?: (client: PoolClient) => Promise<void>;
}

async function backfillForms(client: PoolClient): Promise<void> {
  let after = 0;
  for (;;) {
    const { rows } = await client.query<{ position: string | number; envelope: string }>(
      `SELECT position, envelope FROM events WHERE type = $1 AND causationid IS NULL AND position > $2
        ORDER BY position LIMIT ${FORM_BACKFILL_PAGE}`,
      [FORM_SUBMITTED, after],
    );
    if (rows.length === 0) return;
    const keys = rows.map((row) => formKeyOf(row.envelope)).filter((key) => key !== null);
    if (keys.length > 0) {
      await client.query(
        `INSERT INTO intake_forms (lead_id, webinar_id, form_id)
          SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
        [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
      );
    }
    after = Number(rows[rows.length - 1]!.position);
  }
}

export const MIGRATIONS: ReadonlyArray<PostgresMigration> = [
  {
    version: 1,
    name: 'log, intake state, quarantine, processors',
    sql: `
CREATE TABLE events (
  position     BIGINT PRIMARY KEY,
  source       TEXT NOT NULL,
  id           TEXT NOT NULL,
  type         TEXT NOT NULL,
  lead_id      TEXT,
  webinar_id   TEXT,
  session_id   TEXT,
  content_hash TEXT,
  causationid  TEXT,
  envelope     TEXT NOT NULL,
  warnings     TEXT,
  recorded_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX events_source_id ON events (source, id);
CREATE INDEX events_type ON events (type, position);
CREATE INDEX events_lead ON events (lead_id, position) WHERE lead_id IS NOT NULL;
CREATE INDEX events_session ON events (session_id) WHERE session_id IS NOT NULL AND lead_id IS NULL;

CREATE TABLE intake_registrations (lead_id TEXT NOT NULL, webinar_id TEXT NOT NULL, PRIMARY KEY (lead_id, webinar_id));
CREATE TABLE intake_entries (lead_id TEXT NOT NULL, webinar_id TEXT NOT NULL, PRIMARY KEY (lead_id, webinar_id));
CREATE TABLE intake_webinars (webinar_id TEXT PRIMARY KEY, webinar_type TEXT NOT NULL);
CREATE TABLE intake_sessions (
  session_id TEXT PRIMARY KEY,
  webinar_id TEXT NOT NULL,
  lead_id    TEXT,
  entered    BOOLEAN NOT NULL,
  left_      BOOLEAN NOT NULL,
  completed  BOOLEAN NOT NULL
);
CREATE TABLE intake_forms (
  lead_id TEXT NOT NULL, webinar_id TEXT NOT NULL, form_id TEXT NOT NULL,
  PRIMARY KEY (lead_id, webinar_id, form_id)
);

CREATE TABLE rejections (
  seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at  TEXT NOT NULL,
  origin       TEXT NOT NULL,
  event_id     BYTEA,
  raw          BYTEA NOT NULL,
  raw_encoding TEXT NOT NULL,
  errors       TEXT NOT NULL
);

CREATE TABLE checkpoints (processor TEXT PRIMARY KEY, position BIGINT NOT NULL);
CREATE TABLE evaluations (
  seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  webinar_id   TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  requester    TEXT NOT NULL,
  at_position  BIGINT NOT NULL
);

CREATE TABLE attendance (
  webinar_id    TEXT COLLATE "C" NOT NULL,
  lead_id       TEXT COLLATE "C" NOT NULL,
  registered    BOOLEAN NOT NULL,
  entries       INTEGER NOT NULL,
  lefts         INTEGER NOT NULL,
  completions   INTEGER NOT NULL,
  forms         INTEGER NOT NULL,
  verdict       BOOLEAN,
  classified_at TEXT,
  route_status  TEXT,
  PRIMARY KEY (webinar_id, lead_id)
);
CREATE TABLE attendance_sessions (
  session_id      TEXT PRIMARY KEY,
  webinar_id      TEXT NOT NULL,
  lead_id         TEXT,
  pending_entries INTEGER NOT NULL
);
-- The timeline finds a lead's anonymous entries through the sessions attributed to it.
CREATE INDEX attendance_sessions_lead ON attendance_sessions (lead_id) WHERE lead_id IS NOT NULL;
CREATE TABLE attendance_webinars (webinar_id TEXT PRIMARY KEY, anonymous_entries INTEGER NOT NULL);
`,
  },
  {
    version: 2,
    name: 'warned events by webinar, for the report',
    // Partial: only the events that carry warnings (out-of-order deliveries, a few percent) pay for it. Built
    // inside the migration's transaction (not CONCURRENTLY): writers wait while it builds, once.
    sql: `CREATE INDEX events_warned ON events (webinar_id, lead_id) WHERE warnings IS NOT NULL;`,
  },
  {
    version: 3,
    name: 'content hashes worked out on demand',
    // As SQLite's migration 3: new client events have content_hash NULL; an older build would take that for "other
    // content", so the version makes it refuse the database. Stop every older instance before starting this one.
    sql: `COMMENT ON COLUMN events.content_hash IS
      'NULL since schema 3: worked out from the envelope when a source+id comes again';`,
  },
  {
    version: 4,
    name: 'first submissions of re-submittable forms recorded too',
    // As SQLite's migration 5: the rows are found in the log by `backfill` (form-backfill.ts), in the same
    // transaction. Not by SQL: PostgreSQL's JSON parser refuses texts the intake accepted (a lone surrogate escape,
    // `\u0000`) and would make the migration, and so every start, fail.
    sql: `SELECT 1;`,
    backfill: backfillForms,
  },
];
