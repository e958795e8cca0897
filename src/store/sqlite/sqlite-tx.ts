/* eslint-disable @typescript-eslint/no-explicit-any -- rows from SQLite are untyped records */
import type Database from 'better-sqlite3';
import { AttendanceState, type AttendanceRecord } from '../../attendance/index.js';
import type { DerivedEvent, EventType, LogEvent } from '../../contract/index.js';
import {
  MemoryIntakeState,
  key2,
  key3,
  type IntakeKeys,
  type PlannedAppend,
  type PlannedRejection,
} from '../../intake/index.js';
import {
  clientEventRow,
  derivedEventRow,
  logEventFromRow,
  storedEventRef,
  type StoredEventRow,
} from '../log-rows.js';
import type { AttendanceKeys, EvaluationRecord, LogKey, StoreTx } from '../port.js';
import { attendanceRecordFromRow, type AttendanceRow } from './rows.js';

const uniquePairs = (pairs: Array<[string, string]>): string => {
  const seen = new Map<string, [string, string]>();
  for (const pair of pairs) seen.set(key2(pair[0], pair[1]), pair);
  return JSON.stringify([...seen.values()]);
};
const uniqueValues = (values: string[]): string => JSON.stringify([...new Set(values)]);

/** The SQL of the SQLite adapter, one named statement per operation. */
const SQL = {
  head: 'SELECT coalesce(max(position), 0) AS head FROM events',
  // Client keys only: `causationid IS NULL` lets SQLite use the partial index events_client_id (without it,
  // this would scan the log on every batch; a test checks the plan).
  loadEvents: `SELECT e.source, e.id, e.content_hash, e.position,
      CASE WHEN e.content_hash IS NULL THEN e.envelope END AS envelope FROM json_each(?) j
      JOIN events e ON e.source = j.value ->> 0 AND e.id = j.value ->> 1 AND e.causationid IS NULL`,
  loadRegistrations: `SELECT r.lead_id, r.webinar_id FROM json_each(?) j
      JOIN intake_registrations r ON r.lead_id = j.value ->> 0 AND r.webinar_id = j.value ->> 1`,
  loadEntries: `SELECT r.lead_id, r.webinar_id FROM json_each(?) j
      JOIN intake_entries r ON r.lead_id = j.value ->> 0 AND r.webinar_id = j.value ->> 1`,
  loadWebinars: `SELECT w.webinar_id, w.webinar_type FROM json_each(?) j
      JOIN intake_webinars w ON w.webinar_id = j.value`,
  loadSessions: `SELECT s.* FROM json_each(?) j JOIN intake_sessions s ON s.session_id = j.value`,
  loadForms: `SELECT f.lead_id, f.webinar_id, f.form_id FROM json_each(?) j
      JOIN intake_forms f ON f.lead_id = j.value ->> 0 AND f.webinar_id = j.value ->> 1 AND f.form_id = j.value ->> 2`,
  insertEvent: `INSERT INTO events (position, source, id, type, lead_id, webinar_id, session_id, content_hash,
      causationid, envelope, warnings, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertRegistration: 'INSERT INTO intake_registrations (lead_id, webinar_id) VALUES (?, ?)',
  insertEntry: 'INSERT OR IGNORE INTO intake_entries (lead_id, webinar_id) VALUES (?, ?)',
  insertWebinar: 'INSERT INTO intake_webinars (webinar_id, webinar_type) VALUES (?, ?)',
  upsertSession: `INSERT INTO intake_sessions (session_id, webinar_id, lead_id, entered, left_, completed)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET lead_id = excluded.lead_id,
      entered = excluded.entered, left_ = excluded.left_, completed = excluded.completed`,
  insertForm: 'INSERT INTO intake_forms (lead_id, webinar_id, form_id) VALUES (?, ?, ?)',
  insertRejection: `INSERT INTO rejections (received_at, origin, event_id, raw, raw_encoding, errors)
      VALUES (?, ?, ?, ?, ?, ?)`,
  checkpoint: 'SELECT position FROM checkpoints WHERE processor = ?',
  setCheckpoint: `INSERT INTO checkpoints (processor, position) VALUES (?, ?)
      ON CONFLICT (processor) DO UPDATE SET position = excluded.position`,
  // Processors scan position ranges and skip unwanted types without reading their envelopes: no type index to
  // maintain on every append.
  scanLog: `SELECT position, source, id, type,
      CASE WHEN type IN (SELECT value FROM json_each(?)) THEN envelope END AS envelope
    FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  logKeys: 'SELECT position, source, id FROM events WHERE position > ? ORDER BY position LIMIT ?',
  loadAttendance: `SELECT a.* FROM json_each(?) j
      JOIN attendance a ON a.webinar_id = j.value ->> 1 AND a.lead_id = j.value ->> 0`,
  loadAttendanceSessions: `SELECT s.* FROM json_each(?) j JOIN attendance_sessions s ON s.session_id = j.value`,
  loadAttendanceWebinars: `SELECT w.* FROM json_each(?) j JOIN attendance_webinars w ON w.webinar_id = j.value`,
  awaiting: `SELECT * FROM attendance WHERE webinar_id = ? AND entries > 0 AND completions = 0
      AND verdict IS NULL ORDER BY lead_id`,
  upsertAttendance: `INSERT INTO attendance (webinar_id, lead_id, registered, entries, lefts, completions, forms,
      verdict, classified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webinar_id, lead_id) DO UPDATE SET
      registered = excluded.registered, entries = excluded.entries, lefts = excluded.lefts,
      completions = excluded.completions, forms = excluded.forms, verdict = excluded.verdict,
      classified_at = excluded.classified_at`,
  upsertAttendanceSession: `INSERT INTO attendance_sessions (session_id, webinar_id, lead_id, pending_entries)
      VALUES (?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET lead_id = excluded.lead_id,
      pending_entries = excluded.pending_entries`,
  upsertAttendanceWebinar: `INSERT INTO attendance_webinars (webinar_id, anonymous_entries) VALUES (?, ?)
      ON CONFLICT (webinar_id) DO UPDATE SET anonymous_entries = excluded.anonymous_entries`,
  insertEvaluation: `INSERT INTO evaluations (id, webinar_id, requested_at, requester, at_position)
      VALUES (?, ?, ?, ?, ?)`,
  setRoute: 'UPDATE attendance SET route_status = ? WHERE webinar_id = ? AND lead_id = ?',
} as const;

const PLUCKED: ReadonlySet<string> = new Set(['head', 'checkpoint']);

/** Prepared statements, compiled once per connection. */
export function prepareStatements(db: Database.Database): { [K in keyof typeof SQL]: Database.Statement } {
  const out: Record<string, Database.Statement> = {};
  for (const [name, sql] of Object.entries(SQL)) {
    const statement = db.prepare(sql);
    out[name] = PLUCKED.has(name) ? statement.pluck() : statement;
  }
  return out as { [K in keyof typeof SQL]: Database.Statement };
}
export type Statements = ReturnType<typeof prepareStatements>;

/** StoreTx over one better-sqlite3 connection; the caller holds the write lock and the open transaction. */
export class SqliteTx implements StoreTx {
  constructor(private readonly st: Statements) {}

  async head(): Promise<number> {
    return this.st.head.get() as number;
  }

  async loadIntakeState(keys: IntakeKeys): Promise<MemoryIntakeState> {
    const state = new MemoryIntakeState();
    const st = this.st;
    if (keys.events.length > 0) {
      type Row = StoredEventRow & { source: string; id: string };
      for (const r of st.loadEvents.all(uniquePairs(keys.events)) as Row[]) {
        state.events.set(key2(r.source, r.id), storedEventRef(r));
      }
    }
    if (keys.leadWebinars.length > 0) {
      const pairs = uniquePairs(keys.leadWebinars);
      for (const r of st.loadRegistrations.all(pairs) as Array<Record<string, string>>) {
        state.registrations.add(key2(r['lead_id']!, r['webinar_id']!));
      }
      for (const r of st.loadEntries.all(pairs) as Array<Record<string, string>>) {
        state.entries.add(key2(r['lead_id']!, r['webinar_id']!));
      }
    }
    if (keys.webinars.length > 0) {
      for (const r of st.loadWebinars.all(uniqueValues(keys.webinars)) as Array<Record<string, string>>) {
        state.webinarTypes.set(r['webinar_id']!, r['webinar_type'] as 'live' | 'auto');
      }
    }
    if (keys.sessions.length > 0) {
      for (const r of st.loadSessions.all(uniqueValues(keys.sessions)) as Array<Record<string, any>>) {
        state.sessions.set(r['session_id'], {
          webinar_id: r['webinar_id'],
          lead_id: r['lead_id'] ?? null,
          entered: r['entered'] === 1,
          left: r['left_'] === 1,
          completed: r['completed'] === 1,
        });
      }
    }
    if (keys.forms.length > 0) {
      const unique = new Map(keys.forms.map((f) => [key3(f[0], f[1], f[2]), f]));
      for (const r of st.loadForms.all(JSON.stringify([...unique.values()])) as Array<
        Record<string, string>
      >) {
        state.forms.add(key3(r['lead_id']!, r['webinar_id']!, r['form_id']!));
      }
    }
    return state;
  }

  async appendClientEvents(appends: readonly PlannedAppend[], recordedAt: string): Promise<void> {
    const st = this.st;
    for (const append of appends) {
      const { facts } = append;
      st.insertEvent.run(...clientEventRow(append), recordedAt);
      if (facts.registration)
        st.insertRegistration.run(facts.registration.lead_id, facts.registration.webinar_id);
      if (facts.webinarType)
        st.insertWebinar.run(facts.webinarType.webinar_id, facts.webinarType.webinar_type);
      if (facts.entry) st.insertEntry.run(facts.entry.lead_id, facts.entry.webinar_id);
      if (facts.form) st.insertForm.run(facts.form.lead_id, facts.form.webinar_id, facts.form.form_id);
      if (facts.session) {
        const b = facts.session.binding;
        st.upsertSession.run(
          facts.session.session_id,
          b.webinar_id,
          b.lead_id,
          b.entered ? 1 : 0,
          b.left ? 1 : 0,
          b.completed ? 1 : 0,
        );
      }
    }
  }

  async quarantine(
    rejections: readonly PlannedRejection[],
    origin: string,
    receivedAt: string,
  ): Promise<void> {
    for (const r of rejections) {
      this.st.insertRejection.run(receivedAt, origin, r.id, r.raw, r.rawEncoding, JSON.stringify(r.errors));
    }
  }

  async appendDerived(events: readonly DerivedEvent[], recordedAt: string): Promise<number> {
    const first = (this.st.head.get() as number) + 1;
    let position = first;
    for (const event of events) this.st.insertEvent.run(...derivedEventRow(event, position++), recordedAt);
    return first;
  }

  async checkpoint(processor: string): Promise<number> {
    return (this.st.checkpoint.get(processor) as number | undefined) ?? 0;
  }

  async setCheckpoint(processor: string, position: number): Promise<void> {
    this.st.setCheckpoint.run(processor, position);
  }

  async readLog(
    after: number,
    limit: number,
    types: readonly EventType[],
  ): Promise<{ events: LogEvent[]; last: number }> {
    const rows = this.st.scanLog.all(JSON.stringify(types), after, limit) as Array<{
      position: number;
      source: string;
      id: string;
      type: EventType;
      envelope: string | null;
    }>;
    const out: LogEvent[] = [];
    let last = after;
    for (const row of rows) {
      last = row.position;
      if (row.envelope === null) continue;
      out.push(logEventFromRow({ ...row, envelope: row.envelope }));
    }
    return { events: out, last };
  }

  async logKeys(after: number, limit: number): Promise<LogKey[]> {
    return this.st.logKeys.all(after, limit) as LogKey[];
  }

  async loadAttendance(keys: AttendanceKeys): Promise<AttendanceState> {
    const state = new AttendanceState();
    if (keys.records.length > 0) {
      for (const row of this.st.loadAttendance.all(uniquePairs(keys.records)) as AttendanceRow[]) {
        state.load(attendanceRecordFromRow(row));
      }
    }
    if (keys.sessions.length > 0) {
      for (const row of this.st.loadAttendanceSessions.all(uniqueValues(keys.sessions)) as Array<
        Record<string, any>
      >) {
        state.loadSession({
          session_id: row['session_id'],
          webinar_id: row['webinar_id'],
          lead_id: row['lead_id'] ?? null,
          pending_entries: row['pending_entries'],
        });
      }
    }
    if (keys.webinars.length > 0) {
      for (const row of this.st.loadAttendanceWebinars.all(uniqueValues(keys.webinars)) as Array<
        Record<string, any>
      >) {
        state.loadWebinar({ webinar_id: row['webinar_id'], anonymous_entries: row['anonymous_entries'] });
      }
    }
    return state;
  }

  async awaitingEvaluation(webinarId: string): Promise<AttendanceRecord[]> {
    return (this.st.awaiting.all(webinarId) as AttendanceRow[]).map(attendanceRecordFromRow);
  }

  async saveAttendance(state: AttendanceState): Promise<void> {
    for (const r of state.dirtyRecords) {
      this.st.upsertAttendance.run(
        r.webinar_id,
        r.lead_id,
        r.registered ? 1 : 0,
        r.entries,
        r.lefts,
        r.completions,
        r.forms,
        r.verdict === null ? null : r.verdict ? 1 : 0,
        r.classified_at,
      );
    }
    for (const s of state.dirtySessions) {
      this.st.upsertAttendanceSession.run(s.session_id, s.webinar_id, s.lead_id, s.pending_entries);
    }
    for (const w of state.dirtyWebinars)
      this.st.upsertAttendanceWebinar.run(w.webinar_id, w.anonymous_entries);
    state.clearDirty();
  }

  async recordEvaluation(e: EvaluationRecord): Promise<void> {
    this.st.insertEvaluation.run(e.id, e.webinar_id, e.requested_at, e.requester, e.at_position);
  }

  async recordRoutes(routes: readonly DerivedEvent[]): Promise<void> {
    for (const route of routes) {
      const data = route.data as { status: string; webinar_id: string; lead_id: string };
      this.st.setRoute.run(data.status, data.webinar_id, data.lead_id);
    }
  }
}
