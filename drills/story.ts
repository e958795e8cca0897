/**
 * The traffic of the drills and the checks on what was stored: a funnel of valid client events with unique ids
 * (any order is accepted), and the integrity figures of a log against what was acknowledged.
 */
import { randomBytes } from 'node:crypto';
import { messageId } from '../src/bus/port.js';
import { leadFunnel, shuffled } from '../test/int/story.js';
import type { Json } from './common.js';

export const CLASSIFIED = 'client_webinar_attendance_classified';
export const ROUTE = 'post_webinar_route';

/** A short random tag: a drill run's sources, webinars and leads carry it. */
export const newTag = (): string => randomBytes(4).toString('hex');

/** One webinar's funnel and what the classifier must conclude from it. */
export interface Funnel {
  readonly webinar: string;
  readonly events: Json[];
  /** `lead_id webinar_id` of every lead that entered → whether it completed (its classification). */
  readonly expected: Map<string, boolean>;
}

/**
 * Webinar `W-<name>` with `leads` leads, from `source`: every lead registers; four in five enter and leave; every
 * other one of those completes. No two events conflict, so any order is accepted.
 */
export function funnel(source: string, name: string, leads: number): Funnel {
  const webinar_id = `W-${name}`;
  const webinar_type = leads % 2 === 0 ? 'live' : 'auto';
  const events: Json[] = [];
  const expected = new Map<string, boolean>();
  for (let l = 0; l < leads; l++) {
    const lead_id = `L-${name}-${l}`;
    const lead = leadFunnel(l, {
      source,
      lead_id,
      webinar_id,
      webinar_type,
      session: `S-${name}-${l}`,
      idTag: `${name}-${l}`,
    });
    events.push(...lead.events);
    if (lead.entered) expected.set(`${lead_id} ${webinar_id}`, lead.completed);
  }
  return { webinar: webinar_id, events, expected };
}

export { shuffled };

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The key of a stored event: `source id` (URI-encoded), as on JetStream. */
export const keyOf = (event: Json): string => messageId(event);

export interface Integrity {
  /** Distinct client events of the drill's source in the log. */
  readonly stored: number;
  /** Acknowledged (accepted or duplicate) but not in the log. */
  readonly lost: number;
  /** Extra copies: client events stored twice, derived events stored twice, a lead×webinar classified twice. */
  readonly duplicated: number;
  readonly classifications: number;
  readonly routes: number;
  /** Classifications without exactly one route naming them, plus routes naming no classification. */
  readonly classifications_without_one_route: number;
  /** Entered leads with no classification or the wrong verdict, and classifications of leads that never entered. */
  readonly misclassified: number;
  /** Positions of the whole log that are not 1…n. */
  readonly position_gaps: number;
}

/**
 * What the log says against what the drill knows: `acknowledged` client ids (all of `source`), `expected`
 * classifications (lead×webinar → attended), `mine` selects the drill's derived events.
 */
export function integrity(
  log: readonly Json[],
  source: string,
  acknowledged: ReadonlySet<string>,
  expected: ReadonlyMap<string, boolean>,
  mine: (event: Json) => boolean = () => true,
): Integrity {
  let gaps = 0;
  log.forEach((event, i) => {
    if (Number(event['position']) !== i + 1) gaps++;
  });
  const clientIds = log.filter((e) => e['source'] === source).map((e) => String(e['id']));
  const distinct = new Set(clientIds);
  let lost = 0;
  for (const id of acknowledged) if (!distinct.has(id)) lost++;
  let duplicated = clientIds.length - distinct.size;

  const classifications = log.filter((e) => e['type'] === CLASSIFIED && mine(e));
  const routes = log.filter((e) => e['type'] === ROUTE && mine(e));
  duplicated += routes.length - new Set(routes.map(keyOf)).size;

  const routesOf = new Map<string, number>();
  for (const route of routes) {
    const cause = String(route['causationid']);
    routesOf.set(cause, (routesOf.get(cause) ?? 0) + 1);
  }
  const classificationIds = new Set(classifications.map((c) => String(c['id'])));
  let withoutOneRoute = 0;
  for (const id of classificationIds) if (routesOf.get(id) !== 1) withoutOneRoute++;
  for (const cause of routesOf.keys()) if (!classificationIds.has(cause)) withoutOneRoute++;

  // One classification per entered lead×webinar (all events are in before the evaluation, so none is revised).
  const verdicts = new Map<string, boolean[]>();
  for (const c of classifications) {
    const data = c['data'] as Json;
    const key = `${String(data['lead_id'])} ${String(data['webinar_id'])}`;
    verdicts.set(key, [...(verdicts.get(key) ?? []), data['attended'] === true]);
  }
  let misclassified = 0;
  for (const [key, attended] of expected) {
    const got = verdicts.get(key);
    if (got === undefined || got[0] !== attended) misclassified++;
    else duplicated += got.length - 1;
  }
  for (const key of verdicts.keys()) if (!expected.has(key)) misclassified++;

  return {
    stored: distinct.size,
    lost,
    duplicated,
    classifications: classifications.length,
    routes: routes.length,
    classifications_without_one_route: withoutOneRoute,
    misclassified,
    position_gaps: gaps,
  };
}

/** What producers record of the funnels they send, for the drill's checks afterwards. */
export interface Sent {
  readonly webinars: string[];
  readonly expected: Map<string, boolean>;
  readonly events: Json[];
}

/**
 * One producer of a drill: funnel after funnel (`leads` leads each, named after the tag, producer and round) while
 * `going()`, each recorded in `sent` and its events handed to `send` shuffled, in batches of `batch`.
 */
export async function produceFunnels(options: {
  readonly source: string;
  readonly tag: string;
  readonly producer: number;
  readonly leads: number;
  readonly batch: number;
  readonly going: () => boolean;
  readonly sent: Sent;
  readonly send: (batch: Json[]) => Promise<void>;
}): Promise<void> {
  const { source, tag, producer: p, sent } = options;
  for (let r = 0; options.going() && r < 10_000; r++) {
    const f = funnel(source, `${tag}-p${p}-r${r}`, options.leads);
    sent.webinars.push(f.webinar);
    for (const [key, attended] of f.expected) sent.expected.set(key, attended);
    sent.events.push(...f.events);
    for (const batch of chunks(shuffled(f.events, p * 7919 + r), options.batch)) await options.send(batch);
  }
}
