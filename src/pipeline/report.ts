import type { EventStore, ReportLead, ReportTotals, WebinarSummary } from '../store/port.js';

export interface AttendanceReport {
  readonly webinar_id: string;
  readonly totals: ReportTotals;
  readonly leads: ReportLead[];
  /** The `after` of the next page, or null on the last one. */
  readonly next: string | null;
}

/** The report of SPEC §7: totals count leads; `leads` is a page ordered by lead_id. */
export async function attendanceReport(
  store: EventStore,
  webinarId: string,
  after = '',
  limit = 100,
): Promise<AttendanceReport> {
  const [totals, leads] = await Promise.all([
    store.reportTotals(webinarId),
    store.reportLeads(webinarId, after, limit + 1),
  ]);
  const { page, next } = pageOf(leads, limit, (l) => l.lead_id);
  return { webinar_id: webinarId, totals, leads: page, next };
}

/** A page from `limit + 1` rows keyed by an id: the first `limit`, and the `after` of the next page or null. */
function pageOf<T>(rows: T[], limit: number, key: (row: T) => string): { page: T[]; next: string | null } {
  if (rows.length <= limit) return { page: rows, next: null };
  const page = rows.slice(0, limit);
  return { page, next: key(page[page.length - 1]!) };
}

export interface WebinarList {
  readonly webinars: WebinarSummary[];
  /** The `after` of the next page, or null on the last one. */
  readonly next: string | null;
}

/** The webinars with leads, a page in webinar_id order, each with its report's totals. */
export async function webinarList(store: EventStore, after = '', limit = 100): Promise<WebinarList> {
  const { page, next } = pageOf(await store.webinars(after, limit + 1), limit, (w) => w.webinar_id);
  return { webinars: page, next };
}
