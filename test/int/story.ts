/** A small deterministic funnel for integration tests and drills: registration, entry, leave, completion for some. */
type Json = Record<string, unknown>;

const at = (minute: number): string => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();

export interface LeadInFunnel {
  readonly source: string;
  readonly lead_id: string;
  readonly webinar_id: string;
  readonly webinar_type: 'live' | 'auto';
  readonly session: string;
  /** Makes the event ids: `reg-<idTag>`, `ent-<idTag>`, `left-<idTag>`, `done-<idTag>`. */
  readonly idTag: string;
}

/**
 * One lead's events, the `index`-th of its webinar: it registers; four in five (not index % 5 = 4) enter and
 * leave; every other one of those (even index) completes. No two leads' events conflict.
 */
export function leadFunnel(
  index: number,
  who: LeadInFunnel,
): { events: Json[]; entered: boolean; completed: boolean } {
  const { source, lead_id, webinar_id, webinar_type, session, idTag } = who;
  const base = { specversion: '1.0', source };
  const events: Json[] = [
    {
      ...base,
      id: `reg-${idTag}`,
      type: 'client_webinar_registered',
      data: { lead_id, webinar_id, webinar_type, registered_at: at(0), source: 'landing' },
    },
  ];
  if (index % 5 === 4) return { events, entered: false, completed: false };
  events.push(
    {
      ...base,
      id: `ent-${idTag}`,
      type: 'client_webinar_entered',
      sessionid: session,
      data: { lead_id, webinar_id, timestamp: at(1) },
    },
    {
      ...base,
      id: `left-${idTag}`,
      type: 'client_webinar_left',
      data: {
        lead_id,
        webinar_id,
        webinar_type,
        session_id: session,
        left_at: at(50),
        leave_reason: 'user_exit',
      },
    },
  );
  const completed = index % 2 === 0;
  if (completed) {
    events.push({
      ...base,
      id: `done-${idTag}`,
      type: 'client_webinar_completed',
      data: { lead_id, webinar_id, webinar_type, session_id: session, completed_at: at(55) },
    });
  }
  return { events, entered: true, completed };
}

/** `webinars` × `leadsPerWebinar` leads from source `/test-room`, webinars `W-<w>`, leads `L-<w>-<l>`. */
export function funnelEvents(webinars: number, leadsPerWebinar: number): Json[] {
  const events: Json[] = [];
  for (let w = 0; w < webinars; w++) {
    for (let l = 0; l < leadsPerWebinar; l++) {
      const lead = leadFunnel(l, {
        source: '/test-room',
        lead_id: `L-${w}-${l}`,
        webinar_id: `W-${w}`,
        webinar_type: w % 2 === 0 ? 'live' : 'auto',
        session: `S-${w}-${l}`,
        idTag: `${w}-${l}`,
      });
      events.push(...lead.events);
    }
  }
  return events;
}

/** A deterministic shuffle (LCG). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
