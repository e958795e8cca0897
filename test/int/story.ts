/** A small deterministic funnel for integration tests: registration, entry, leave, completion for some. */
export function funnelEvents(webinars: number, leadsPerWebinar: number): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  const at = (minute: number): string => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();
  for (let w = 0; w < webinars; w++) {
    const webinar_id = `W-${w}`;
    const webinar_type = w % 2 === 0 ? 'live' : 'auto';
    for (let l = 0; l < leadsPerWebinar; l++) {
      const lead_id = `L-${w}-${l}`;
      const session = `S-${w}-${l}`;
      const base = { specversion: '1.0', source: '/test-room' };
      events.push({
        ...base,
        id: `reg-${w}-${l}`,
        type: 'client_webinar_registered',
        data: { lead_id, webinar_id, webinar_type, registered_at: at(0), source: 'landing' },
      });
      if (l % 5 === 4) continue; // registered, never entered
      events.push({
        ...base,
        id: `ent-${w}-${l}`,
        type: 'client_webinar_entered',
        sessionid: session,
        data: { lead_id, webinar_id, timestamp: at(1) },
      });
      events.push({
        ...base,
        id: `left-${w}-${l}`,
        type: 'client_webinar_left',
        data: {
          lead_id,
          webinar_id,
          webinar_type,
          session_id: session,
          left_at: at(50),
          leave_reason: 'user_exit',
        },
      });
      if (l % 2 === 0) {
        events.push({
          ...base,
          id: `done-${w}-${l}`,
          type: 'client_webinar_completed',
          data: { lead_id, webinar_id, webinar_type, session_id: session, completed_at: at(55) },
        });
      }
    }
  }
  return events;
}
