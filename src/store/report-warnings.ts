import type { ReportLead, WarningCounts } from './port.js';

/** A row of the adapters' warning queries: events of one webinar (and lead) carrying one warning code. */
export interface WarningCountRow {
  readonly lead_id?: string | null;
  readonly code: string;
  readonly events: number;
}

export function warningCounts(rows: readonly WarningCountRow[]): WarningCounts {
  const out: Record<string, number> = {};
  for (const row of rows) out[row.code] = (out[row.code] ?? 0) + Number(row.events);
  return out;
}

/** Each lead of a report page with its warning counts, from rows keyed by lead. */
export function withLeadWarnings(
  leads: ReadonlyArray<Omit<ReportLead, 'warnings'>>,
  rows: readonly WarningCountRow[],
): ReportLead[] {
  const byLead = new Map<string, WarningCountRow[]>();
  for (const row of rows) {
    if (row.lead_id === null || row.lead_id === undefined) continue;
    const list = byLead.get(row.lead_id);
    if (list === undefined) byLead.set(row.lead_id, [row]);
    else list.push(row);
  }
  return leads.map((lead) => ({ ...lead, warnings: warningCounts(byLead.get(lead.lead_id) ?? []) }));
}
