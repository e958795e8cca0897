/** Facts and verdict of one lead at one webinar: the classifier's key (SPEC §4). */
export interface AttendanceRecord {
  readonly lead_id: string;
  readonly webinar_id: string;
  registered: boolean;
  entries: number;
  lefts: number;
  completions: number;
  forms: number;
  /** The latest verdict; null while unclassified. */
  verdict: boolean | null;
  classified_at: string | null;
}

/** A participation session as the classifier sees it, for attributing anonymous entries. */
export interface AttendanceSession {
  readonly session_id: string;
  readonly webinar_id: string;
  lead_id: string | null;
  /** Anonymous entries of this session not yet attributed to a lead. */
  pending_entries: number;
}

/** Entries never attributed to a lead, per webinar. */
export interface WebinarAttendance {
  readonly webinar_id: string;
  anonymous_entries: number;
}

const key = (lead: string, webinar: string): string => `${lead}\u0000${webinar}`;

/**
 * The classifier's state as a plain value: the whole of it in a replay, a prefetched slice in a store.
 * Tracks what changed so a store writes only that.
 */
export class AttendanceState {
  readonly records = new Map<string, AttendanceRecord>();
  readonly sessions = new Map<string, AttendanceSession>();
  readonly webinars = new Map<string, WebinarAttendance>();
  readonly dirtyRecords = new Set<AttendanceRecord>();
  readonly dirtySessions = new Set<AttendanceSession>();
  readonly dirtyWebinars = new Set<WebinarAttendance>();

  record(lead: string, webinar: string): AttendanceRecord {
    const k = key(lead, webinar);
    let record = this.records.get(k);
    if (record === undefined) {
      record = {
        lead_id: lead,
        webinar_id: webinar,
        registered: false,
        entries: 0,
        lefts: 0,
        completions: 0,
        forms: 0,
        verdict: null,
        classified_at: null,
      };
      this.records.set(k, record);
    }
    this.dirtyRecords.add(record);
    return record;
  }

  session(sessionId: string, webinar: string): AttendanceSession {
    let session = this.sessions.get(sessionId);
    if (session === undefined) {
      session = { session_id: sessionId, webinar_id: webinar, lead_id: null, pending_entries: 0 };
      this.sessions.set(sessionId, session);
    }
    this.dirtySessions.add(session);
    return session;
  }

  webinar(webinarId: string): WebinarAttendance {
    let webinar = this.webinars.get(webinarId);
    if (webinar === undefined) {
      webinar = { webinar_id: webinarId, anonymous_entries: 0 };
      this.webinars.set(webinarId, webinar);
    }
    this.dirtyWebinars.add(webinar);
    return webinar;
  }

  /** Loads a stored record (a store's prefetch); not marked dirty. */
  load(record: AttendanceRecord): void {
    this.records.set(key(record.lead_id, record.webinar_id), record);
  }
  loadSession(session: AttendanceSession): void {
    this.sessions.set(session.session_id, session);
  }
  loadWebinar(webinar: WebinarAttendance): void {
    this.webinars.set(webinar.webinar_id, webinar);
  }

  clearDirty(): void {
    this.dirtyRecords.clear();
    this.dirtySessions.clear();
    this.dirtyWebinars.clear();
  }
}
