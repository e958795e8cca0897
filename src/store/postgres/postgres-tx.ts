import type { PoolClient } from 'pg';
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
import { copyRows } from './copy.js';
import { LOCK, type LockName } from './locks.js';
import { attendanceRecordFromRow, type AttendanceRow } from './rows.js';
import * as sql from './sql/index.js';

/** One array per column, the shape `unnest($1::a[], $2::b[], …)` reads: one round trip for all the rows. */
function transpose(rows: ReadonlyArray<readonly unknown[]>): unknown[][] {
  const out: unknown[][] = (rows[0] ?? []).map(() => []);
  for (const row of rows) row.forEach((value, i) => out[i]!.push(value));
  return out;
}

/** The rows distinct by `key`, the last of each winning: one multi-row upsert cannot touch a row twice. */
function lastByKey<T>(rows: Iterable<T>, key: (row: T) => string): Map<string, T> {
  const unique = new Map<string, T>();
  for (const row of rows) unique.set(key(row), row);
  return unique;
}

const byPair = (row: readonly unknown[]): string => key2(row[0] as string, row[1] as string);
const byFirst = (row: readonly unknown[]): string => row[0] as string;
const distinct = <T extends readonly unknown[]>(rows: Iterable<T>, key: (row: T) => string): unknown[][] =>
  transpose([...lastByKey(rows, key).values()]);

/**
 * As `distinct`, in the order of the keys: the classifier's and the router's writes to `attendance` can run at
 * the same time (neither holds the log lock yet), and two multi-row statements that lock rows in one order
 * cannot deadlock each other.
 */
function distinctInKeyOrder<T extends readonly unknown[]>(
  rows: Iterable<T>,
  key: (row: T) => string,
): unknown[][] {
  const unique = lastByKey(rows, key);
  return transpose([...unique.keys()].sort().map((k) => unique.get(k)!));
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/**
 * StoreTx over one pooled connection inside BEGIN … COMMIT. The store took the purpose's locks; this takes the
 * log lock before anything that reads the head or the intake state to append (taking it twice is a no-op).
 */
export class PostgresTx implements StoreTx {
  private logLocked = false;

  constructor(
    private readonly client: PoolClient,
    private readonly namespace: number,
  ) {}

  async lock(name: LockName): Promise<void> {
    if (name === 'log') {
      if (this.logLocked) return;
      this.logLocked = true;
    }
    await this.client.query(sql.lockTransaction, [this.namespace, LOCK[name]]);
  }

  async head(): Promise<number> {
    await this.lock('log');
    return this.readHead();
  }

  private async readHead(): Promise<number> {
    const { rows } = await this.client.query<{ head: number }>(sql.readHead);
    return rows[0]!.head;
  }

  async loadIntakeState(keys: IntakeKeys): Promise<MemoryIntakeState> {
    await this.lock('log');
    const state = new MemoryIntakeState();
    const q = this.client;
    if (keys.events.length > 0) {
      const { rows } = await q.query<StoredEventRow & { source: string; id: string }>(
        sql.loadStoredEvents,
        distinct(keys.events, byPair),
      );
      for (const r of rows) state.events.set(key2(r.source, r.id), storedEventRef(r));
    }
    if (keys.leadWebinars.length > 0) {
      const pairs = distinct(keys.leadWebinars, byPair);
      type Pair = { lead_id: string; webinar_id: string };
      const registrations = await q.query<Pair>(sql.loadRegistrations, pairs);
      for (const r of registrations.rows) state.registrations.add(key2(r.lead_id, r.webinar_id));
      const entries = await q.query<Pair>(sql.loadEntries, pairs);
      for (const r of entries.rows) state.entries.add(key2(r.lead_id, r.webinar_id));
    }
    if (keys.webinars.length > 0) {
      const { rows } = await q.query<{ webinar_id: string; webinar_type: 'live' | 'auto' }>(
        sql.loadWebinarTypes,
        [[...new Set(keys.webinars)]],
      );
      for (const r of rows) state.webinarTypes.set(r.webinar_id, r.webinar_type);
    }
    if (keys.sessions.length > 0) {
      const { rows } = await q.query<{
        session_id: string;
        webinar_id: string;
        lead_id: string | null;
        entered: boolean;
        left_: boolean;
        completed: boolean;
      }>(sql.loadSessions, [[...new Set(keys.sessions)]]);
      for (const r of rows) {
        state.sessions.set(r.session_id, {
          webinar_id: r.webinar_id,
          lead_id: r.lead_id,
          entered: r.entered,
          left: r.left_,
          completed: r.completed,
        });
      }
    }
    if (keys.forms.length > 0) {
      const { rows } = await q.query<{ lead_id: string; webinar_id: string; form_id: string }>(
        sql.loadForms,
        distinct(keys.forms, (f) => key3(f[0], f[1], f[2])),
      );
      for (const r of rows) state.forms.add(key3(r.lead_id, r.webinar_id, r.form_id));
    }
    return state;
  }

  async appendClientEvents(appends: readonly PlannedAppend[], recordedAt: string): Promise<void> {
    if (appends.length === 0) return;
    await this.lock('log');
    const events: unknown[][] = [];
    const registrations: Array<[string, string]> = [];
    const webinars: Array<[string, string]> = [];
    const entries: Array<[string, string]> = [];
    const forms: Array<[string, string, string]> = [];
    const sessions: Array<[string, string, string | null, boolean, boolean, boolean]> = [];
    for (const append of appends) {
      const { facts } = append;
      events.push(clientEventRow(append));
      if (facts.registration) registrations.push([facts.registration.lead_id, facts.registration.webinar_id]);
      if (facts.webinarType) webinars.push([facts.webinarType.webinar_id, facts.webinarType.webinar_type]);
      if (facts.entry) entries.push([facts.entry.lead_id, facts.entry.webinar_id]);
      if (facts.form) forms.push([facts.form.lead_id, facts.form.webinar_id, facts.form.form_id]);
      if (facts.session) {
        const b = facts.session.binding;
        sessions.push([facts.session.session_id, b.webinar_id, b.lead_id, b.entered, b.left, b.completed]);
      }
    }
    await this.insertEvents(events, recordedAt);
    const q = this.client;
    // Registrations, webinar types and forms are unique by the rules: a repeat is a bug and fails, as in SQLite.
    if (registrations.length > 0) await q.query(sql.insertRegistrations, transpose(registrations));
    if (webinars.length > 0) await q.query(sql.insertWebinarTypes, transpose(webinars));
    if (forms.length > 0) await q.query(sql.insertForms, transpose(forms));
    if (entries.length > 0) await q.query(sql.insertEntries, distinct(entries, byPair));
    if (sessions.length > 0) await q.query(sql.upsertSessions, distinct(sessions, byFirst));
  }

  private async insertEvents(rows: unknown[][], recordedAt: string): Promise<void> {
    for (const row of rows) row.push(recordedAt);
    await copyRows(this.client, sql.copyEvents, rows);
  }

  async quarantine(
    rejections: readonly PlannedRejection[],
    origin: string,
    receivedAt: string,
  ): Promise<void> {
    if (rejections.length === 0) return;
    // Under the log lock: rejection numbers then commit in order, so `after=` readers skip none.
    await this.lock('log');
    await this.client.query(sql.insertRejections, [
      receivedAt,
      origin,
      rejections.map((r) => (r.id === null ? null : utf8(r.id))),
      rejections.map((r) => utf8(r.raw)),
      rejections.map((r) => r.rawEncoding),
      rejections.map((r) => JSON.stringify(r.errors)),
    ]);
  }

  async appendDerived(events: readonly DerivedEvent[], recordedAt: string): Promise<number> {
    await this.lock('log');
    const first = (await this.readHead()) + 1;
    if (events.length === 0) return first;
    const rows = events.map((event, i) => derivedEventRow(event, first + i));
    await this.insertEvents(rows, recordedAt);
    return first;
  }

  async checkpoint(processor: string): Promise<number> {
    const { rows } = await this.client.query<{ position: number }>(sql.readCheckpoint, [processor]);
    return rows[0]?.position ?? 0;
  }

  async setCheckpoint(processor: string, position: number): Promise<void> {
    await this.client.query(sql.storeCheckpoint, [processor, position]);
  }

  async readLog(
    after: number,
    limit: number,
    types: readonly EventType[],
  ): Promise<{ events: LogEvent[]; last: number }> {
    // Same scan as SQLite: one type reads that type only; several read everything and filter, so `last` agrees.
    const { rows } = await this.client.query<{
      position: number;
      source: string;
      id: string;
      type: EventType;
      envelope: string;
    }>(
      types.length === 1 ? sql.scanLogOfType : sql.scanLog,
      types.length === 1 ? [types[0], after, limit] : [after, limit],
    );
    const wanted = new Set(types);
    const out: LogEvent[] = [];
    let last = after;
    for (const row of rows) {
      last = row.position;
      if (!wanted.has(row.type)) continue;
      out.push(logEventFromRow(row));
    }
    return { events: out, last };
  }

  async logKeys(after: number, limit: number): Promise<LogKey[]> {
    return (await this.client.query<LogKey>(sql.logKeys, [after, limit])).rows;
  }

  async loadAttendance(keys: AttendanceKeys): Promise<AttendanceState> {
    const state = new AttendanceState();
    const q = this.client;
    if (keys.records.length > 0) {
      const { rows } = await q.query<AttendanceRow>(sql.loadAttendance, distinct(keys.records, byPair));
      for (const row of rows) state.load(attendanceRecordFromRow(row));
    }
    if (keys.sessions.length > 0) {
      const { rows } = await q.query<{
        session_id: string;
        webinar_id: string;
        lead_id: string | null;
        pending_entries: number;
      }>(sql.loadAttendanceSessions, [[...new Set(keys.sessions)]]);
      for (const row of rows) state.loadSession({ ...row });
    }
    if (keys.webinars.length > 0) {
      const { rows } = await q.query<{ webinar_id: string; anonymous_entries: number }>(
        sql.loadAttendanceWebinars,
        [[...new Set(keys.webinars)]],
      );
      for (const row of rows) state.loadWebinar({ ...row });
    }
    return state;
  }

  async awaitingEvaluation(webinarId: string): Promise<AttendanceRecord[]> {
    const { rows } = await this.client.query<AttendanceRow>(sql.awaitingEvaluation, [webinarId]);
    return rows.map(attendanceRecordFromRow);
  }

  async saveAttendance(state: AttendanceState): Promise<void> {
    const q = this.client;
    if (state.dirtyRecords.size > 0) {
      const rows = [...state.dirtyRecords].map((r) => [
        r.webinar_id,
        r.lead_id,
        r.registered,
        r.entries,
        r.lefts,
        r.completions,
        r.forms,
        r.verdict,
        r.classified_at,
      ]);
      await q.query(sql.upsertAttendance, distinctInKeyOrder(rows, byPair));
    }
    if (state.dirtySessions.size > 0) {
      const rows = [...state.dirtySessions].map((s) => [
        s.session_id,
        s.webinar_id,
        s.lead_id,
        s.pending_entries,
      ]);
      await q.query(sql.upsertAttendanceSessions, distinct(rows, byFirst));
    }
    if (state.dirtyWebinars.size > 0) {
      const rows = [...state.dirtyWebinars].map((w) => [w.webinar_id, w.anonymous_entries]);
      await q.query(sql.upsertAttendanceWebinars, distinct(rows, byFirst));
    }
    state.clearDirty();
  }

  async recordEvaluation(e: EvaluationRecord): Promise<void> {
    await this.client.query(sql.insertEvaluation, [
      e.id,
      e.webinar_id,
      e.requested_at,
      e.requester,
      e.at_position,
    ]);
  }

  async recordRoutes(routes: readonly DerivedEvent[]): Promise<void> {
    if (routes.length === 0) return;
    const rows = routes.map((route) => {
      const data = route.data as { status: string; webinar_id: string; lead_id: string };
      return [data.status, data.webinar_id, data.lead_id];
    });
    // Keyed by webinar × lead: a later route of the same lead (false, then true) wins, as in SQLite; in the
    // order saveAttendance writes the records.
    await this.client.query(
      sql.recordRoutes,
      distinctInKeyOrder(rows, (r) => key2(r[1] as string, r[2] as string)),
    );
  }
}
