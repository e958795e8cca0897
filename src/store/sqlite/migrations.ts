import type Database from 'better-sqlite3';
import { FORM_BACKFILL_PAGE, FORM_SUBMITTED, formKeyOf } from '../form-backfill.js';

/** Numbered migrations, applied in order at start inside one transaction each. Never edit a shipped one. */
export interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Data to write after `sql`, in the same transaction: what SQL alone cannot work out the same way. */
  readonly backfill?: (db: Database.Database) => void;
}

function backfillForms(db: Database.Database): void {
  const page = db.prepare(
    `SELECT position, envelope FROM events WHERE type = '${FORM_SUBMITTED}' AND causationid IS NULL
      AND position > ? ORDER BY position LIMIT ${FORM_BACKFILL_PAGE}`,
  );
  const insert = db.prepare(
    'INSERT OR IGNORE INTO intake_forms (lead_id, webinar_id, form_id) VALUES (?, ?, ?)',
  );
  let after = 0;
  for (;;) {
    const rows = page.all(after) as Array<{ position: number; envelope: string }>;
    if (rows.length === 0) return;
    for (const row of rows) {
      const key = formKeyOf(row.envelope);
      if (key !== null) insert.run(...key);
    }
    after = rows[rows.length - 1]!.position;
  }
}

export const MIGRATIONS: ReadonlyArray<SqliteMigration> = [
  {
    version: 1,
    name: 'log, intake state, quarantine, processors',
    sql: `
CREATE TABLE events (
  position     INTEGER PRIMARY KEY,
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
CREATE INDEX events_lead ON events (lead_id, position) WHERE lead_id IS NOT NULL;
CREATE INDEX events_session ON events (session_id) WHERE session_id IS NOT NULL AND lead_id IS NULL;

CREATE TABLE intake_registrations (lead_id TEXT NOT NULL, webinar_id TEXT NOT NULL, PRIMARY KEY (lead_id, webinar_id)) WITHOUT ROWID;
CREATE TABLE intake_entries (lead_id TEXT NOT NULL, webinar_id TEXT NOT NULL, PRIMARY KEY (lead_id, webinar_id)) WITHOUT ROWID;
CREATE TABLE intake_webinars (webinar_id TEXT PRIMARY KEY, webinar_type TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE intake_sessions (
  session_id TEXT PRIMARY KEY,
  webinar_id TEXT NOT NULL,
  lead_id    TEXT,
  entered    INTEGER NOT NULL,
  left_      INTEGER NOT NULL,
  completed  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE intake_forms (
  lead_id TEXT NOT NULL, webinar_id TEXT NOT NULL, form_id TEXT NOT NULL,
  PRIMARY KEY (lead_id, webinar_id, form_id)
) WITHOUT ROWID;

CREATE TABLE rejections (
  seq          INTEGER PRIMARY KEY,
  received_at  TEXT NOT NULL,
  origin       TEXT NOT NULL,
  event_id     TEXT,
  raw          TEXT NOT NULL,
  raw_encoding TEXT NOT NULL,
  errors       TEXT NOT NULL
);

CREATE TABLE checkpoints (processor TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE evaluations (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  webinar_id   TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  requester    TEXT NOT NULL,
  at_position  INTEGER NOT NULL
);

CREATE TABLE attendance (
  webinar_id    TEXT NOT NULL,
  lead_id       TEXT NOT NULL,
  registered    INTEGER NOT NULL,
  entries       INTEGER NOT NULL,
  lefts         INTEGER NOT NULL,
  completions   INTEGER NOT NULL,
  forms         INTEGER NOT NULL,
  verdict       INTEGER,
  classified_at TEXT,
  route_status  TEXT,
  PRIMARY KEY (webinar_id, lead_id)
) WITHOUT ROWID;
CREATE TABLE attendance_sessions (
  session_id      TEXT PRIMARY KEY,
  webinar_id      TEXT NOT NULL,
  lead_id         TEXT,
  pending_entries INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE attendance_webinars (webinar_id TEXT PRIMARY KEY, anonymous_entries INTEGER NOT NULL) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'warned events by webinar, for the report',
    // Partial: only the events that carry warnings (out-of-order deliveries, a few percent) pay for it.
    sql: `CREATE INDEX events_warned ON events (webinar_id, lead_id) WHERE warnings IS NOT NULL;`,
  },
  {
    version: 3,
    name: 'content hashes worked out on demand',
    // No change of shape: from here on client events are stored with content_hash NULL, and the rules work the
    // hash out from the envelope when a source+id comes again. Numbered so that an older build, which took a NULL
    // hash for "other content" (ID_CONFLICT on every retry), refuses the file instead.
    sql: `SELECT 1;`,
  },
  {
    version: 4,
    name: 'client and derived event ids in indexes of their own',
    // Derived ids are uuid5 hashes: in the shared (source, id) index each derived row landed on a random leaf
    // among the long client keys, and each commit rewrote most of that part of the index (the replay of the
    // pipeline's statements, 200k events: 2.96 s of storage work as it was, 2.22 s with no uniqueness for derived
    // ids at all). Apart, the derived ids' index holds only them, keyed by the id alone: 2.54 s (uniqueness across
    // derived sources is stronger, and uuid5 names never collide). Client rows never carry a causationid (the
    // envelope refuses one), derived rows always do. Rebuilding the indexes took 1.4 s for 1.27M events, once.
    sql: `DROP INDEX events_source_id;
CREATE UNIQUE INDEX events_client_id ON events (source, id) WHERE causationid IS NULL;
CREATE UNIQUE INDEX events_derived_id ON events (id) WHERE causationid IS NOT NULL;`,
  },
  {
    version: 5,
    name: 'first submissions of re-submittable forms recorded too',
    // Until schema 4 a submission of a form the catalog let repeat was not recorded, so a catalog that later
    // stopped allowing it let one more through. The rows are found in the log by `backfill` (form-backfill.ts),
    // in the same transaction; an older build (which would go on not recording them) refuses the file.
    sql: `SELECT 1;`,
    backfill: backfillForms,
  },
  {
    version: 6,
    name: 'derived events unique by webinar, lead and id',
    // The unique index on the derived id alone (schema 4) put each uuid5 id on a random leaf: a commit that derived
    // a few hundred events rewrote most of that index's pages. Keyed by webinar and lead first, a webinar's derived
    // rows sit together (a classification run is one webinar's leads, in lead order) and a commit touches a few
    // pages: `ingest` of the 200k bench events 7.05 s against 7.77 s (medians of five alternating runs), as fast as
    // with no derived index at all, and less system time (fewer pages written per commit). It
    // refuses every second row the service can produce: a derived id is uuid5 of a name holding its lead and
    // webinar (a route's, of its classification's), so the same id always comes with the same webinar and lead;
    // two rows differing there but sharing an id would take a SHA-1 collision. Both are never NULL in a derived
    // row (derivedEventRow refuses one without them), where the index would let NULLs repeat.
    sql: `DROP INDEX events_derived_id;
CREATE UNIQUE INDEX events_derived_key ON events (webinar_id, lead_id, id) WHERE causationid IS NOT NULL;`,
  },
];
