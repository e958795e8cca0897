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
  const more = leads.length > limit;
  const page = more ? leads.slice(0, limit) : leads;
  return { webinar_id: webinarId, totals, leads: page, next: more ? page[page.length - 1]!.lead_id : null };
}

export interface WebinarList {
  readonly webinars: WebinarSummary[];
  /** The `after` of the next page, or null on the last one. */
  readonly next: string | null;
}

/** The webinars with leads, a page in webinar_id order, each with its report's totals. */
export async function webinarList(store: EventStore, after = '', limit = 100): Promise<WebinarList> {
  const rows = await store.webinars(after, limit + 1);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { webinars: page, next: more ? page[page.length - 1]!.webinar_id : null };
}
